"""Replications: seeds, parallel execution, assembly into a ResultSet.

Each replication depends only on (scenario, root seed, replication index), so results are the
same whatever the number of workers. Work is sent to worker processes in chunks of
replications to keep scheduling overhead small.
"""

from __future__ import annotations

import gc
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import pandas as pd

from . import __version__
from .model.world import simulate
from .results import ResultSet
from .scenario import Scenario, ScenarioError, load_scenario


def _chunk(scenario: Scenario, seed: int, reps: list[int]) -> list[dict]:
    out = []
    for r in reps:
        out.append(simulate(scenario, r, seed))
        gc.collect()  # generator reference cycles otherwise slow long serial runs
    return out


def resolve(scenario, overrides: dict | None = None, until: int | None = None) -> Scenario:
    """A Scenario from a Scenario or a path, with overrides and an optional horizon year."""
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(Path(scenario))
    if overrides:
        sc = sc.with_overrides(overrides)
    if until is not None:
        if isinstance(until, bool) or not isinstance(until, int):
            raise ScenarioError("--until", None, f"must be a year such as 2035 (got {until!r})")
        if until < sc.start_year:
            raise ScenarioError("--until", None, f"must not be before the start year "
                                f"{sc.start_year} (got {until})")
        sc = sc.with_overrides({"simulation.horizon_year": until}, label="--until")
    return sc


def run(scenario, replications: int = 100, seed: int = 42, workers: int | None = None,
        overrides: dict | None = None, until: int | None = None, progress=None) -> ResultSet:
    """Run ``replications`` replications of a scenario (a Scenario or a YAML path).

    ``workers``: processes to use (default: all cores; 1 runs in this process).
    ``progress``: optional callable(done, total) called as replications finish.
    """
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ValueError(f"replications must be a whole number >= 1 (got {replications!r})")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0 (got {seed!r})")
    sc = resolve(scenario, overrides, until)
    workers = max(1, min(workers or os.cpu_count() or 1, replications))
    started = time.perf_counter()
    reps = list(range(replications))
    results: list[dict] = []
    if workers == 1:
        for r in reps:
            results.extend(_chunk(sc, seed, [r]))
            if progress:
                progress(len(results), replications)
    else:
        size = max(1, min(8, replications // (workers * 4) or 1))
        chunks = [reps[i:i + size] for i in range(0, replications, size)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_chunk, sc, seed, c) for c in chunks]
            for fut in as_completed(futures):
                results.extend(fut.result())
                if progress:
                    progress(len(results), replications)
    results.sort(key=lambda d: int(d["annual"]["replication"][0]))
    wall = time.perf_counter() - started
    frames = {name: pd.concat([pd.DataFrame(r[name]) for r in results], ignore_index=True)
              for name in ("annual", "programs", "products")}
    sampled = pd.DataFrame([{"replication": i, **r["sampled"]} for i, r in enumerate(results)])
    manifest = {
        "scenario": sc.to_dict(),
        "seed": seed,
        "replications": replications,
        "workers": workers,
        "start_year": sc.start_year,
        "horizon_year": sc.horizon_year,
        "package_version": __version__,
        "wall_time_s": round(wall, 3),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    return ResultSet(frames["annual"], frames["programs"], frames["products"], manifest, sampled)
