"""Worker processes as a library user meets them: inside a pool of their own (the EMA
Workbench's MultiprocessingEvaluator), one pool kept across the runs of an analysis, and Dask
as an extra that may be missing."""

from __future__ import annotations

import multiprocessing
import sys

import pytest
from typer.testing import CliRunner

import cgt_sim
from cgt_sim.cli import app
from cgt_sim.errors import OptionError
from cgt_sim.executors import _KEPT, kept_open

SHORT = dict(replications=3, seed=5, until=2016)


def _run_in_worker(workers):
    res = cgt_sim.run("baseline", workers=workers, **SHORT)
    return multiprocessing.current_process().daemon, res.manifest["workers"], res.annual


def _refused_in_worker(_):
    try:
        cgt_sim.run("baseline", workers=2, **SHORT)
    except OptionError as exc:
        return exc.line()
    return None


def test_run_inside_a_pool_worker_runs_there_by_itself():
    here = cgt_sim.run("baseline", workers=2, **SHORT)
    with multiprocessing.get_context().Pool(1) as pool:  # its workers are daemonic
        daemon, workers, annual = pool.apply(_run_in_worker, (None,))
        refused = pool.apply(_refused_in_worker, (None,))
    assert daemon and workers == 1
    assert annual.equals(here.annual)  # the same replications, to the bit
    assert refused.startswith("workers: this is a daemonic process (a worker of a multiprocessing.Pool, say), "
                              "which cannot start the 2 worker processes asked for")


def test_one_pool_serves_every_run_of_a_block():
    alone = [cgt_sim.run("baseline", workers=2, **SHORT), cgt_sim.run("faster_approval", workers=2, **SHORT)]
    with kept_open(2) as pool:
        first = cgt_sim.run("baseline", workers=2, **SHORT)
        pids = [proc.pid for proc, _ in pool.workers]
        second = cgt_sim.run("faster_approval", workers=2, **SHORT)
        assert [proc.pid for proc, _ in pool.workers] == pids and len(pids) == 2  # the same processes
    assert pool.workers == [] and _KEPT.get() is None  # closed with the block
    assert [first, second] == alone


def test_a_pool_of_no_whole_number_of_workers_is_refused():
    """As run refuses them (0 and -1 are not all cores; "2" and 2.5 are no counts)."""
    for workers in (0, -1, 2.5, "2", True):
        with pytest.raises(OptionError, match=r"^workers: must be a whole number >= 1 \(got "), kept_open(workers):
            pass  # pragma: no cover
    assert _KEPT.get() is None


def test_a_run_stopped_by_an_error_leaves_a_pool_that_starts_again():
    with kept_open(2) as pool:
        with pytest.raises(OptionError):
            cgt_sim.run("baseline", workers=2, precision=0.1, metric="nosuch_metric", **SHORT)
        cgt_sim.run("baseline", workers=2, **SHORT)
        pool.unfinished = True  # as a run stopped with chunks still out leaves it
        with cgt_sim.executors.open_executor("process", 2) as borrowed:
            assert borrowed.pool is pool
        assert pool.workers == []  # terminated: its workers might still be busy
        assert cgt_sim.run("baseline", workers=2, **SHORT) == cgt_sim.run("baseline", workers=1, **SHORT)
        assert len(pool.workers) == 2


def test_the_dask_executor_without_dask_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the dask extra were not installed
    with pytest.raises(OptionError) as refused:
        cgt_sim.run("baseline", executor="dask", **SHORT)
    assert refused.value.line() == "executor: dask needs Dask, which is not installed: pip install 'cgt-sim[dask]'"
    result = CliRunner().invoke(app, ["run", "baseline", "--executor", "dask", "-r", "1", "--quiet"])
    assert result.exit_code == 2
    assert result.stderr == "error: --executor: dask needs Dask, which is not installed: pip install 'cgt-sim[dask]'\n"
