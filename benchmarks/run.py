"""Throughput and scaling of cgt-sim, measured on this machine in one run.

    python benchmarks/run.py            # full table (a few minutes)
    python benchmarks/run.py --quick    # fewer repeats, shorter horizons

Reports seconds per baseline replication on one core, the model's events per second against a
bare SimPy timeout loop and a bare Resource request/release loop measured in the same run, and
how the cost grows with horizon, program arrival rate and patient demand (ratios to 1x).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cgt_sim import MODALITIES, load_scenario  # noqa: E402
from cgt_sim.model.world import World  # noqa: E402

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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
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

    horizons = (2035, 2045) if args.quick else (2035, 2045, 2065)
    group("horizon", [(str(h), {"simulation.horizon_year": h}) for h in horizons])
    group("arrival rate", [(f"{k}x", {"research.arrival_scale": float(k)}) for k in (1, 4)])
    demand = (1, 10) if args.quick else (1, 10, 100)
    group("patient demand", [
        (f"{k}x", {f"market.eligible_per_year.{m}": v * k for m, v in
                   ((m, load_scenario(BASELINE).value(f"market.eligible_per_year.{m}")) for m in MODALITIES)})
        for k in demand])


if __name__ == "__main__":
    main()
