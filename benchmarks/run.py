"""Throughput and scaling of cgt-sim, measured on this machine in one run.

    python benchmarks/run.py            # full table (a few minutes)
    python benchmarks/run.py --quick    # one repeat per case, fewer replications

Reports seconds per baseline replication on one core, the model's events per second against a
bare SimPy timeout loop and a bare Resource request/release loop measured in the same run, how
the cost grows with horizon, program arrival rate and patient demand (ratios to 1x), replications
per second with 1 and 2 worker processes (parallel efficiency), and the peak memory of a run
(measured in a fresh process; ``--memory-reps 1000`` for the full 1,000-replication figure).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cgt_sim import load_scenario, run
from cgt_sim.model.world import World
from cgt_sim.parameters import INDICATIONS

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"


def bare_timeouts(n: int = 200_000) -> float:
    env = simpy.Environment()

    def proc():
        for _ in range(n):
            yield env.timeout(1.0)

    env.process(proc())
    t = time.perf_counter()
    env.run()
    return n / (time.perf_counter() - t)


def bare_resource(n: int = 100_000) -> float:
    env = simpy.Environment()
    res = simpy.Resource(env, capacity=2)

    def proc():
        for _ in range(n):
            with res.request() as req:
                yield req
                yield env.timeout(1.0)

    env.process(proc())
    t = time.perf_counter()
    env.run()
    return 3 * n / (time.perf_counter() - t)  # request, timeout, release-triggered events


def one_replication(scenario, rep: int, seed: int = 42) -> tuple[float, int, int]:
    """Seconds, SimPy events processed and programs for one replication on this core."""
    w = World(scenario, rep, seed)
    env = w.env
    count = [0]
    step = env.step

    def counting_step():
        count[0] += 1
        step()

    env.step = counting_step
    gc.collect()
    t = time.perf_counter()
    w.run()
    return time.perf_counter() - t, count[0], len(w.programs)


def measure(overrides: dict, reps: int) -> dict:
    sc = load_scenario(BASELINE, overrides)
    rows = [one_replication(sc, r) for r in range(reps)]
    secs = [r[0] for r in rows]
    return {"s_per_rep": statistics.median(secs), "events": statistics.median(r[1] for r in rows),
            "programs": statistics.median(r[2] for r in rows),
            "events_per_s": statistics.median(r[1] / r[0] for r in rows)}


def throughput(workers: int, reps: int) -> float:
    """Replications per second of a baseline run (2015-2045) with ``workers`` processes."""
    t = time.perf_counter()
    run(BASELINE, replications=reps, seed=42, workers=workers)
    return reps / (time.perf_counter() - t)


# The peak is read from /proc/self/status (VmHWM) where there is one: Linux carries ru_maxrss
# over exec, so a process started from a big one (this benchmark, after its simulations) would
# report its parent's size.
MEMORY_SCRIPT = """
import resource, sys, cgt_sim
res = cgt_sim.run(sys.argv[1], replications=int(sys.argv[2]), seed=42, workers=2, programs=sys.argv[3])
size = sum(df.memory_usage(deep=True).sum() for df in (res.annual, res.programs, res.products))
try:
    status = open("/proc/self/status").read().split("VmHWM:")[1].split()
    peak = int(status[0]) * 1024
except (OSError, IndexError, ValueError):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(peak, size)
"""


def peak_memory(reps: int, programs: str = "all") -> tuple[float, float]:
    """Peak resident memory (bytes) of a fresh process running ``reps`` baseline replications on
    2 workers and holding the result (``programs``: the program rows kept), and the size of the
    result's tables."""
    out = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(BASELINE), str(reps), programs],
                         capture_output=True, text=True, check=True)
    peak, size = out.stdout.split()[-2:]
    return float(peak), float(size)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--memory-reps", type=int, default=0,
                    help="replications for the memory measurement (default 40, --quick 10)")
    args = ap.parse_args()
    reps = 1 if args.quick else 3

    bare_t = bare_timeouts()
    bare_r = bare_resource()
    print(f"bare SimPy timeout loop:          {bare_t:,.0f} events/s")
    print(f"bare SimPy Resource loop:         {bare_r:,.0f} events/s")

    base = measure({}, reps)
    print(f"baseline 2015-2045, one core:     {base['s_per_rep']:.2f} s/replication, "
          f"{base['events']:,.0f} events, {base['programs']:,.0f} programs, "
          f"{base['events_per_s']:,.0f} events/s = {base['events_per_s'] / bare_t:.0%} of bare timeouts")

    print("\nscaling (time relative to the 1x case in each group):")
    print(f"{'case':38s} {'s/rep':>7s} {'ratio':>6s} {'events':>9s} {'programs':>9s}")

    def group(name, cases):
        ref = None
        for label, ov in cases:
            m = measure(ov, reps)
            ref = ref or m["s_per_rep"]
            print(f"{name + ': ' + label:38s} {m['s_per_rep']:7.2f} {m['s_per_rep'] / ref:6.2f} "
                  f"{m['events']:9,.0f} {m['programs']:9,.0f}")

    horizons = (2035, 2045, 2065)
    group("horizon", [(str(h), {"simulation.horizon_year": h}) for h in horizons])
    group("arrival rate", [(f"{k}x", {"research.arrival_scale": float(k)}) for k in (1, 4)])
    demand = (1, 10, 100)
    group("patient demand", [
        (f"{k}x", {f"demand.{name}.{i}": load_scenario(BASELINE).value(f"demand.{name}.{i}") * k
                   for name in ("eligible_2025", "prevalent_2025", "pool_inflow_2025") for i in INDICATIONS})
        for k in demand])

    n = 4 if args.quick else 8
    one, two = throughput(1, n), throughput(2, n)
    print(f"\nthroughput ({n} baseline replications): 1 worker {one:.3f} rep/s, "
          f"2 workers {two:.3f} rep/s, parallel efficiency {two / (2 * one):.0%}")

    m = args.memory_reps or (10 if args.quick else 40)
    for programs in ("all", "clinical"):
        peak, size = peak_memory(m, programs)
        print(f"memory ({m} replications, 2 workers, --programs {programs}): peak {peak / 1e6:,.0f} MB "
              f"resident, result tables {size / 1e6:,.0f} MB = {size / m / 1e6:.2f} MB per replication"
              + ("" if m >= 1000 else f"; 1,000 replications: about {size / m * 1000 / 1e6:,.0f} MB "
                 "of tables"))


if __name__ == "__main__":
    main()
