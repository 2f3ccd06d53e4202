"""Scale: the parent's peak memory against replications, two-worker efficiency, opening a large result.

    python benchmarks/scale.py memory --reps 50 1000 --executors process dask --until 2030
    python benchmarks/scale.py efficiency --reps 200 --rounds 3 --until 2030
    python benchmarks/scale.py open RESULT [--check 200]

``memory``: each (executor, replications) runs a baseline run into a result folder (seed 42, 2
workers, ``--programs all``) in a fresh process, which reads its own peak resident memory
(VmHWM of /proc/self/status: the parent alone; worker processes and a local Dask cluster's
workers are other processes) after the run has returned its result. The ratio of each
executor's peak at the most replications to its peak at the fewest is the flatness.

``efficiency``: rounds of a run with 1 worker process and one with 2 (in alternating order, a
fresh process each, the same replications into a result folder), wall time of ``cgt_sim.run``
only; efficiency = rate with 2 / (2 x rate with 1), per round and its median.

``open``: seconds to open a result folder (``load_results``) and read its annual table, and
whether its ``summary.csv`` equals a pandas computation (groupby, mean and quantiles) over
the annual table of its first ``--check`` replications, computed both from the dataset and
with pandas alone when the result holds only those (and the whole table otherwise).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

WORKER = r"""
import json, sys, time
import cgt_sim
scenario, n, executor, workers, until, out = sys.argv[1:7]
t = time.perf_counter()
res = cgt_sim.run(scenario, replications=int(n), seed=42, workers=int(workers), executor=executor,
                  until=int(until), out=out)
wall = time.perf_counter() - t
import resource
cpu = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
          for f in ("ru_utime", "ru_stime"))
try:
    peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) * 1024
except (OSError, IndexError, ValueError):
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"wall": wall, "cpu": cpu, "peak": peak, "replications": res.manifest["replications"]}))
"""


def one_run(reps: int, executor: str, workers: int, until: int, keep: Path | None = None) -> dict:
    """A run in a fresh process (its result in ``keep``, else in a temporary folder removed after)."""
    with tempfile.TemporaryDirectory(prefix="cgt-scale-") as tmp:
        folder = keep if keep is not None else Path(tmp) / "r"
        out = subprocess.run([sys.executable, "-c", WORKER, str(BASELINE), str(reps), executor, str(workers),
                              str(until), str(folder)], cwd=ROOT, capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"the run failed:\n{out.stderr.strip()[-2000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def memory(args) -> None:
    print(f"peak resident memory of the parent, baseline to {args.until}, seed 42, 2 workers, --programs all, "
          "into a result folder")
    for executor in args.executors:
        rows = []
        for n in args.reps:
            keep = args.keep if args.keep is not None and n == args.reps[-1] else None
            r = one_run(n, executor, 2, args.until, keep)
            rows.append((n, r))
            print(f"  {executor:8s} {n:6d} replications: peak {r['peak'] / 2**20:7.0f} MB, wall {r['wall']:7.0f} s",
                  flush=True)
        low, high = rows[0], rows[-1]
        print(f"  {executor:8s} peak at {high[0]} / peak at {low[0]}: {high[1]['peak'] / low[1]['peak']:.2f}",
              flush=True)


def efficiency(args) -> None:
    print(f"two-worker efficiency, {args.reps} baseline replications to {args.until}, process executor, "
          f"{args.rounds} alternating rounds")
    effs, works = [], []
    for i in range(args.rounds):
        order = [1, 2] if i % 2 == 0 else [2, 1]
        runs = {w: one_run(args.reps, "process", w, args.until) for w in order}
        wall = {w: r["wall"] for w, r in runs.items()}
        cpu = {w: r["cpu"] for w, r in runs.items()}
        eff = (args.reps / wall[2]) / (2 * args.reps / wall[1])
        work = cpu[1] / cpu[2]
        effs.append(eff)
        works.append(work)
        print(f"  round {i + 1} ({order[0]} worker{'s' * (order[0] > 1)} first): 1 worker {wall[1]:.0f} s "
              f"({cpu[1]:.0f} s CPU), 2 workers {wall[2]:.0f} s ({cpu[2]:.0f} s CPU of the parent and its workers); "
              f"efficiency {eff:.1%}, CPU of 1 / CPU of 2 {work:.1%}", flush=True)
    print(f"  median efficiency {statistics.median(effs):.1%}; median CPU of 1 worker / CPU of 2: "
          f"{statistics.median(works):.1%} (the efficiency an idle 2-core machine would allow, start-up and "
          "the last chunks' imbalance aside)")


def pandas_summary(annual, metrics):
    """The summary computed with pandas alone (groupby per metric and year)."""
    import pandas as pd

    rows = []
    for m in metrics:
        g = annual.groupby("year")[m]
        rows.append(pd.DataFrame({"metric": m, "year": g.mean().index, "mean": g.mean().values,
                                  "p5": g.quantile(0.05).values, "p50": g.quantile(0.5).values,
                                  "p95": g.quantile(0.95).values, "n": g.count().values}))
    return pd.concat(rows, ignore_index=True)


def open_result(args) -> None:
    import numpy as np
    import pandas as pd

    import cgt_sim
    from cgt_sim.outputs import KEYS

    t = time.perf_counter()
    res = cgt_sim.load_results(args.result)
    opened = time.perf_counter() - t
    t = time.perf_counter()
    annual = res.annual
    read = time.perf_counter() - t
    files = sum(len(res.table_files(name) or []) for name in ("annual", "programs", "products", "sampled"))
    print(f"{args.result}: {res.manifest['replications']:,} replications in {files:,} files; opened in "
          f"{opened:.3f} s, annual table ({len(annual):,} rows) read in {read:.2f} s")
    metrics = [c for c in annual.columns if c not in KEYS]
    whole = pd.read_csv(Path(args.result) / "summary.csv")
    mine = pandas_summary(annual, metrics)
    same = np.allclose(whole[["mean", "p5", "p50", "p95", "n"]].to_numpy(float),
                       mine[["mean", "p5", "p50", "p95", "n"]].to_numpy(float), rtol=1e-12, equal_nan=True)
    print(f"  summary.csv against pandas over all {res.manifest['replications']:,} replications: "
          f"{'the same' if same else 'DIFFERENT'} ({len(whole):,} rows)")
    subset = annual[annual["replication"] < args.check]
    ours = cgt_sim.ResultSet(subset.reset_index(drop=True), res.programs_where({"replication": range(args.check)}),
                             res.products, dict(res.manifest)).summary()
    theirs = pandas_summary(subset, metrics)
    same = np.allclose(ours[["mean", "p5", "p50", "p95", "n"]].to_numpy(float),
                       theirs[["mean", "p5", "p50", "p95", "n"]].to_numpy(float), rtol=1e-12, equal_nan=True)
    print(f"  summary of its first {args.check} replications against pandas: {'the same' if same else 'DIFFERENT'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    m = sub.add_parser("memory")
    m.add_argument("--reps", type=int, nargs="+", default=[50, 1000])
    m.add_argument("--executors", nargs="+", default=["process", "dask"])
    m.add_argument("--until", type=int, default=2030)
    m.add_argument("--keep", type=Path, help="keep the result of the most replications in this folder")
    e = sub.add_parser("efficiency")
    e.add_argument("--reps", type=int, default=200)
    e.add_argument("--rounds", type=int, default=3)
    e.add_argument("--until", type=int, default=2030)
    o = sub.add_parser("open")
    o.add_argument("result")
    o.add_argument("--check", type=int, default=200)
    args = ap.parse_args()
    {"memory": memory, "efficiency": efficiency, "open": open_result}[args.what](args)


if __name__ == "__main__":
    main()
