"""Wall time of analyses that run many evaluations: this checkout against an earlier commit,
with the fork and the spawn start methods, paired.

    python benchmarks/pools.py --against a995072              # 3 rounds of each case
    python benchmarks/pools.py --against HEAD~5 --rounds 5 --methods spawn

Two cases, each in a fresh process of each checkout, in alternating order (A B, then B A, ...),
for each start method (``multiprocessing.set_start_method``): a sweep of 20 grid points (2
replications each, to 2020) and a calibration of 20 evaluations (2 replications each, to the
targets' year), both on 2 worker processes. Each process reports the wall time of the call
only (imports and loading excluded) and a hash of its table, so the script also says whether
both checkouts gave the same numbers. The earlier commit is checked out into a temporary git
worktree (removed afterwards); both run in this interpreter.
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

WORKER = r"""
import hashlib, json, multiprocessing, sys, time
case, method = sys.argv[1], sys.argv[2]
multiprocessing.set_start_method(method)
import pandas as pd
import cgt_sim

if __name__ == "__main__":
    if case == "sweep":
        grid = {"regulatory.ind_review_working_days": list(range(20, 60, 2))}  # 20 points
        t = time.perf_counter()
        table = cgt_sim.sweep("scenarios/baseline.yaml", grid, replications=2, seed=42, until=2020, workers=2).table
        wall = time.perf_counter() - t
    else:
        from cgt_sim.analysis.calibration import fit, prepare
        ts, sc = prepare("calibration/targets.yaml", "scenarios/baseline.yaml")
        t = time.perf_counter()
        result = fit(sc, ts, budget=20, replications=2, seed=42, workers=2)
        wall = time.perf_counter() - t
        table = pd.DataFrame([{"objective": result.objective, **result.values}])
    digest = hashlib.sha256(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes()).hexdigest()
    print(json.dumps({"wall": wall, "digest": digest}))
"""


def measure(checkout: Path, case: str, method: str) -> dict:
    env = {"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0"}
    out = subprocess.run([sys.executable, "-c", WORKER, case, method], cwd=checkout, env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{checkout}: the measurement failed:\n{out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", required=True, help="the earlier commit (any git revision)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--methods", default="fork,spawn", help="start methods, comma-separated")
    ap.add_argument("--cases", default="sweep,calibration")
    args = ap.parse_args()
    rev = subprocess.run(["git", "rev-parse", "--short", args.against], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    runs: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        earlier = Path(tmp) / "earlier"
        subprocess.run(["git", "worktree", "add", "--detach", str(earlier), rev], cwd=ROOT,
                       capture_output=True, check=True)
        try:
            for i in range(args.rounds):
                for case in args.cases.split(","):
                    for method in args.methods.split(","):
                        order = [("this", ROOT), (rev, earlier)]
                        for name, checkout in order if i % 2 == 0 else order[::-1]:
                            r = measure(checkout, case, method)
                            runs.setdefault((case, method, name), []).append(r)
                            print(f"round {i + 1}: {case:11s} {method:5s} {name:8s} {r['wall']:6.2f} s",
                                  file=sys.stderr)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(earlier)], cwd=ROOT, capture_output=True)
    print(f"wall time of the call, median of {args.rounds} alternating rounds (this checkout vs {rev}); 2 workers")
    for case in args.cases.split(","):
        for method in args.methods.split(","):
            this, before = runs[(case, method, "this")], runs[(case, method, rev)]
            a, b = statistics.median(r["wall"] for r in before), statistics.median(r["wall"] for r in this)
            same = {r["digest"] for r in this} == {r["digest"] for r in before}
            print(f"  {case:11s} {method:5s} {rev}: {a:6.2f} s   this: {b:6.2f} s   ratio {a / b:.2f}   "
                  f"same numbers: {'yes' if same else 'no'}")


if __name__ == "__main__":
    main()
