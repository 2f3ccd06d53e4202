"""CPU per program of baseline replications: this checkout against earlier commits, paired.

    python benchmarks/paired.py --against 4b63af5            # 3 rounds of 2 replications each
    python benchmarks/paired.py --against 4b63af5 d000839 --rounds 5 --replications 3 --until 2035

Each earlier commit is checked out into a temporary git worktree (removed afterwards). Each
round runs the same replications (seed 42, replications 0..n-1 of each checkout's baseline) once
in a fresh process of each checkout, in an order that is reversed every other round (A B C,
then C B A, ...), so that a machine whose speed drifts during the measurement affects all
alike. Every process measures its own CPU time (``time.process_time``) around the simulation
only (imports and scenario loading excluded), and a bare SimPy loop in the same process after
it: ``BARE_TIMEOUTS`` timeouts yielded one after another by a single process (``yield
env.timeout(1)`` in a ``while`` loop, run with ``env.run(until=n)``), whose CPU per event is
the unit "bare timeouts". The script prints, per checkout, the median CPU per program and per
replication, CPU per program in bare timeouts, and the median of the per-round ratios
(earlier / this: above 1 means this checkout is faster); and whether each earlier checkout
produced the same tables as this one to the bit (a hash of every column of the three tables;
a commit with another calibration or model gives other tables).

All checkouts run in this interpreter (the same installed dependencies); an earlier commit
must have ``cgt_sim.model.world.simulate(scenario, replication, seed)`` and
``cgt_sim.load_scenario``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BARE_TIMEOUTS = 200_000

WORKER = r"""
import hashlib, json, sys, time
import numpy as np, pandas as pd, simpy
reps, until, bare_n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
import cgt_sim
from cgt_sim.model.world import simulate
overrides = {} if until == "-" else {"simulation.horizon_year": int(until)}
sc = cgt_sim.load_scenario("scenarios/baseline.yaml", overrides)

def bare(n):
    env = simpy.Environment()
    def loop(env):
        while True:
            yield env.timeout(1)
    env.process(loop(env))
    t = time.process_time()
    env.run(until=n)
    return (time.process_time() - t) / n

def digest(tables, h):
    for name in ("annual", "programs", "products"):
        for col, values in tables[name].items():
            h.update(f"{name}.{col}".encode())
            if isinstance(values, pd.Categorical):
                h.update(repr(list(values.categories)).encode())
                h.update(np.asarray(values.codes).tobytes())
            else:
                a = np.asarray(values)
                h.update(str(a.dtype).encode())
                h.update(a.tobytes())

h = hashlib.sha256()
cpu = programs = 0.0
for r in range(reps):
    t = time.process_time()
    tables = simulate(sc, r, 42)
    cpu += time.process_time() - t
    programs += len(tables["programs"]["program_id"])
    digest(tables, h)
print(json.dumps({"cpu": cpu, "programs": programs, "bare": bare(bare_n), "digest": h.hexdigest()}))
"""


def measure(checkout: Path, reps: int, until: str) -> dict:
    env = {"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0"}
    out = subprocess.run([sys.executable, "-c", WORKER, str(reps), until, str(BARE_TIMEOUTS)],
                         cwd=checkout, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{checkout}: the measurement failed:\n{out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", required=True, nargs="+", help="the earlier commits (git revisions)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--replications", type=int, default=2)
    ap.add_argument("--until", default="-", help="last simulated year (default the baseline's horizon)")
    args = ap.parse_args()
    revs = [subprocess.run(["git", "rev-parse", "--short", r], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.strip() for r in args.against]
    with tempfile.TemporaryDirectory() as tmp:
        checkouts = [("this", ROOT)]
        try:
            for rev in revs:
                checkouts.append((rev, Path(tmp) / rev))
                subprocess.run(["git", "worktree", "add", "--detach", str(checkouts[-1][1]), rev], cwd=ROOT,
                               capture_output=True, check=True)
            runs: dict[str, list[dict]] = {name: [] for name, _ in checkouts}
            for i in range(args.rounds):
                for name, checkout in checkouts if i % 2 == 0 else checkouts[::-1]:
                    runs[name].append(measure(checkout, args.replications, args.until))
                    r = runs[name][-1]
                    print(f"round {i + 1}: {name:8s} {r['cpu'] / r['programs'] * 1e6:7.1f} us CPU per program, "
                          f"bare timeout {r['bare'] * 1e6:.3f} us", file=sys.stderr, flush=True)
        finally:
            for _, checkout in checkouts[1:]:
                subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=ROOT,
                               capture_output=True)
    horizon = "the baseline horizon" if args.until == "-" else args.until
    print(f"baseline, replications 0-{args.replications - 1} to {horizon}, {args.rounds} rounds in alternating "
          f"order (this checkout, {', '.join(revs)}); CPU time (process time) of the simulation only, per process; "
          f"a bare timeout: the CPU per event of one SimPy process yielding env.timeout(1) in a while loop, "
          f"{BARE_TIMEOUTS:,} events, measured in each process after its replications")
    for name, _ in checkouts:
        rs = runs[name]
        per_prog = statistics.median(r["cpu"] / r["programs"] for r in rs)
        per_rep = statistics.median(r["cpu"] / args.replications for r in rs)
        bare = statistics.median(r["bare"] for r in rs)
        in_bare = statistics.median(r["cpu"] / r["programs"] / r["bare"] for r in rs)
        label = "this checkout" if name == "this" else name
        print(f"  {label:14s} {per_prog * 1e6:7.1f} us per program = {in_bare:6.1f} bare timeouts "
              f"({bare * 1e6:.2f} us each); {per_rep:.2f} s per replication; "
              f"{rs[0]['programs'] / args.replications:,.0f} programs per replication")
    for rev in revs:
        ratios = [e["cpu"] / e["programs"] / (t["cpu"] / t["programs"]) for t, e in zip(runs["this"], runs[rev])]
        print(f"  ratio {rev} / this checkout, CPU per program: median {statistics.median(ratios):.3f} "
              f"(rounds {', '.join(f'{x:.3f}' for x in ratios)}; above 1: this checkout is faster)")
        same = runs["this"][0]["digest"] == runs[rev][0]["digest"]
        print(f"  tables of {rev} the same to the bit: {'yes' if same else 'no'} "
              f"(sha256 {runs['this'][0]['digest'][:16]} vs {runs[rev][0]['digest'][:16]})")


if __name__ == "__main__":
    main()
