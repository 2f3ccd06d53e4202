"""Running replications: executors, chunking, checkpoints and resume, Ctrl-C, precision targets.

Every run is short (horizon 2016-2019, a few replications); the Dask tests share one
LocalCluster of two worker processes.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import as_command_line, folder_bytes
from scipy import stats

import cgt_sim
from cgt_sim import executors
from cgt_sim.checkpoint import Checkpoint, read_part
from cgt_sim.errors import CgtSimError, ScenarioError
from cgt_sim.executors import chunk_size, chunks, local_cluster
from cgt_sim.runner import FIRST_BATCH, Interrupted, Precision, tables

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
P_IND = "regulatory.p_ind_clear"
FRAMES = ("annual", "programs", "products", "sampled")


@pytest.fixture(scope="module")
def uncertain(tmp_path_factory) -> Path:
    """The baseline with one parameter sampled per replication (so `sampled` has a column)."""
    path = tmp_path_factory.mktemp("scenario") / "uncertain.yaml"
    path.write_text(f"extends: {BASELINE}\nuncertain:\n"
                    "  manufacturing.cogs_annual_decline: {dist: triangular, low: 0.0, mode: 0.02, high: 0.08}\n")
    return path


@pytest.fixture(scope="module")
def reference(uncertain):
    """Six replications to 2019, one after another in this process."""
    return cgt_sim.run(uncertain, replications=6, seed=5, until=2019, executor="serial")


@pytest.fixture(scope="module")
def dask_cluster():
    cluster = local_cluster(2)
    yield cluster
    cluster.close()


def assert_same(a, b) -> None:
    for name in FRAMES:
        x, y = getattr(a, name), getattr(b, name)
        assert x.equals(y), name
        pd.testing.assert_frame_equal(x, y)  # also dtypes and index


def stop_after(n: int):
    """A progress callback that presses Ctrl-C once ``n`` replications have finished."""
    def callback(done, total):
        if done >= n:
            raise KeyboardInterrupt
    return callback


# --------------------------------------------------------------------------- executors

def test_reference_has_what_it_should(reference):
    assert sorted(reference.annual["replication"].unique()) == list(range(6))
    assert list(reference.sampled.columns) == ["replication", "manufacturing.cogs_annual_decline"]
    assert reference.sampled["manufacturing.cogs_annual_decline"].between(0.0, 0.08).all()
    assert reference.manifest["executor"] == "serial" and reference.manifest["workers"] == 1


@pytest.mark.parametrize("executor,workers", [("process", 2), ("process", 1), ("serial", 3)])
def test_results_are_identical_across_executors_and_workers(uncertain, reference, executor, workers):
    res = cgt_sim.run(uncertain, replications=6, seed=5, until=2019, executor=executor, workers=workers)
    assert_same(res, reference)
    assert res.manifest["executor"] == executor
    assert res.manifest["workers"] == (1 if executor == "serial" else workers)


def test_dask_gives_identical_results(uncertain, reference, dask_cluster):
    seen = []
    res = cgt_sim.run(uncertain, replications=6, seed=5, until=2019, executor="dask",
                      scheduler=dask_cluster.scheduler_address, progress=lambda d, t: seen.append((d, t)))
    assert_same(res, reference)
    assert res.manifest["executor"] == "dask" and res.manifest["workers"] == 2  # the cluster's threads
    assert seen[0] == (0, 6) and seen[-1] == (6, 6)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    # 6 replications on 2 threads: chunks of one, each reported
    assert len(seen) == 7


CTRL_C_WHILE_STARTING = """
import os, signal, sys
import dask.distributed
from cgt_sim.executors import local_cluster

real = dask.distributed.LocalCluster
started = []

def starting(*args, **kwargs):  # Ctrl-C while the cluster starts, before any worker exists
    os.kill(os.getpid(), signal.SIGINT)
    started.append(real(*args, **kwargs))
    return started[-1]

dask.distributed.LocalCluster = starting
try:
    local_cluster(1)
except KeyboardInterrupt:
    print("interrupted", started[0].status.name)
    sys.exit(0)
print("not interrupted")
sys.exit(1)
"""


def test_ctrl_c_while_a_local_dask_cluster_starts_stops_it():
    """The workers ignore Ctrl-C from birth, and this process does not: a Ctrl-C pressed while
    the cluster starts is raised once it is up, and the cluster is closed."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", CTRL_C_WHILE_STARTING], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.split() == ["interrupted", "closed"]
    assert "Traceback" not in proc.stderr


def test_unknown_executor_and_stray_scheduler(uncertain):
    with pytest.raises(CgtSimError, match=r"^executor: unknown executor 'threads'; choose process, serial, dask$"):
        cgt_sim.run(uncertain, replications=1, until=2016, executor="threads")
    with pytest.raises(CgtSimError, match=r"^scheduler: only used with `executor` dask$"):
        cgt_sim.run(uncertain, replications=1, until=2016, scheduler="tcp://127.0.0.1:8786")


def _foreign_server(reply: bytes | None) -> tuple[str, object]:
    """A local server that is no Dask scheduler: it sends ``reply`` and hangs up, or (None)
    keeps every connection open without a word. Returns its address and its socket."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            if reply is None:
                held.append(conn)
            else:
                conn.sendall(reply)
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return f"tcp://127.0.0.1:{server.getsockname()[1]}", server


def test_unreachable_scheduler_is_one_line(uncertain, tmp_path, monkeypatch):
    from cgt_sim import executors

    monkeypatch.setattr(executors, "CONNECT_SECONDS", 1.0)
    silent, silent_socket = _foreign_server(None)  # accepts, never answers: no hang
    web, web_socket = _foreign_server(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 4)
    for address in ("tcp://127.0.0.1:9", "not-an-address::x", silent, web):
        with pytest.raises(CgtSimError) as info:
            cgt_sim.run(uncertain, replications=2, until=2016, executor="dask", scheduler=address,
                        out=tmp_path / "r")
        text = str(info.value)
        assert text.startswith(f"scheduler: cannot connect to {address!r} (") and "\n" not in text
        if address in (silent, web):
            assert "Dask scheduler" in text, text
    silent_socket.close()
    web_socket.close()
    assert list(tmp_path.iterdir()) == []  # no result, no partial folder


def test_chunks_keep_scheduling_overhead_small():
    assert chunk_size(1000, 2) == 8  # capped
    assert chunk_size(40, 2) == 5  # about four tasks per worker
    assert chunk_size(6, 2) == 1 and chunk_size(1, 16) == 1
    reps = list(range(3, 40))
    parts = chunks(reps, chunk_size(len(reps), 2))
    assert [r for c in parts for r in c] == reps
    assert max(len(c) for c in parts) == 5


def test_tables_concatenate_alike_however_grouped(tmp_path):
    """Text columns keep one dtype even when a replication has no rows, so tables assembled
    from any grouping of replications (and read back from Parquet) are equal."""
    def result(rep, n_products):
        return {"annual": {"replication": np.array([rep]), "year": np.array([2015]), "x": np.array([rep * 1.5])},
                "programs": {"replication": np.full(2, rep), "modality": ["a", "b"], "state": ["", "failed"]},
                "products": {"replication": np.full(n_products, rep), "modality": ["a"] * n_products,
                             "price": np.arange(n_products, dtype=float)},
                "sampled": {"k": 0.1 * rep}}
    results = [result(0, 0), result(1, 2), result(2, 0)]
    whole = tables(results)
    first, rest = tables(results[:1]), tables(results[1:])
    store = Checkpoint(tmp_path / "r")
    store.parts.mkdir(parents=True)
    store.write([1, 2], rest)
    back = read_part(store.parts / "part-000001-000002")
    for name in FRAMES:
        pd.testing.assert_frame_equal(pd.concat([first[name], rest[name]], ignore_index=True), whole[name])
        pd.testing.assert_frame_equal(pd.concat([first[name], back[name]], ignore_index=True), whole[name])
    assert whole["products"]["modality"].dtype == first["products"]["modality"].dtype
    # a Ctrl-C just after a part's rename leaves the runner to flush the same replications
    # again on its way out: the part on disk stays, with no error over the interrupt
    written = {p.name: p.read_bytes() for p in (store.parts / "part-000001-000002").iterdir()}
    store.write([1, 2], rest)
    assert {p.name: p.read_bytes() for p in (store.parts / "part-000001-000002").iterdir()} == written
    assert [p.name for p in store.parts.iterdir()] == ["part-000001-000002"]


# --------------------------------------------------------------------------- checkpoints, resume, Ctrl-C

def test_interrupt_keeps_finished_work_and_resume_completes_it(uncertain, reference, tmp_path):
    out = tmp_path / "run"
    earlier = cgt_sim.run(uncertain, replications=2, seed=99, until=2019, executor="serial", out=out)
    before = folder_bytes(out)
    with pytest.raises(Interrupted) as info:
        cgt_sim.run(uncertain, replications=6, seed=5, until=2019, executor="serial", out=out,
                    progress=stop_after(4))
    assert (info.value.finished, info.value.total) == (4, 6)
    assert info.value.partial == tmp_path / "run.partial"
    assert isinstance(info.value, KeyboardInterrupt)
    # the earlier result is untouched; the finished replications are on disk
    assert folder_bytes(out) == before
    assert Checkpoint(out).finished() == 4
    # a fresh run would throw them away: refused; so is resuming with fewer than are finished
    with pytest.raises(CgtSimError, match="holds 4 finished replications of an unfinished run; add `resume`"):
        cgt_sim.run(uncertain, replications=6, seed=5, until=2019, out=out)
    with pytest.raises(CgtSimError) as info:
        cgt_sim.run(uncertain, replications=3, seed=5, until=2019, out=out, resume=True)
    assert str(info.value) == (f"replications: {tmp_path / 'run.partial'} holds 4 finished replications of an "
                               "unfinished run; resuming it with 3 would drop 1: ask for 4 or more, or choose "
                               "another `out`")
    assert Checkpoint(out).finished() == 4
    done = []
    res = cgt_sim.run(uncertain, replications=6, seed=5, until=2019, workers=2, out=out, resume=True,
                      progress=lambda d, t: done.append(d))
    assert_same(res, reference)
    assert done[0] == 4 and done[-1] == 6
    assert res.manifest["resumed_replications"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # partial folder gone
    back = cgt_sim.load_results(out)
    for name in ("annual", "programs"):
        assert getattr(back, name).equals(getattr(reference, name)), name
    assert earlier.manifest["seed"] == 99  # and it has been replaced only now
    assert back.manifest["seed"] == 5


def test_ctrl_c_on_worker_processes_stops_them(uncertain, reference, tmp_path):
    out = tmp_path / "run"
    before = set(multiprocessing.active_children())  # e.g. the Dask cluster's
    with pytest.raises(Interrupted) as info:
        cgt_sim.run(uncertain, replications=6, seed=5, until=2019, workers=2, out=out, progress=stop_after(1))
    assert set(multiprocessing.active_children()) <= before  # the pool's workers were stopped, not left running
    kept = Checkpoint(out).finished()
    assert info.value.finished == kept >= 1
    assert not out.exists()
    res = cgt_sim.run(uncertain, replications=6, seed=5, until=2019, executor="serial", out=out, resume=True)
    assert_same(res, reference)
    assert res.manifest["resumed_replications"] == kept


def _die(*_):
    os._exit(3)


def _fail(*_):
    raise ValueError("boom in a worker")


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="workers see the patch only when forked")
@pytest.mark.parametrize("work,error,message", [(_die, RuntimeError, "a worker process stopped unexpectedly"),
                                                (_fail, ValueError, "boom in a worker")])
def test_a_failing_worker_stops_the_run_with_its_error(monkeypatch, work, error, message):
    """A worker that dies, or raises, ends the run with an error here, and no worker is left."""
    before = set(multiprocessing.active_children())
    monkeypatch.setattr(executors, "simulate_chunk", work)
    with pytest.raises(error, match=message), executors.ProcessExecutor(2) as ex:
        list(ex.run(cgt_sim.load_scenario(BASELINE), 5, [0, 1, 2, 3], 1))
    assert set(multiprocessing.active_children()) <= before


def test_resume_extends_a_finished_result(uncertain, reference, tmp_path):
    out = tmp_path / "run"
    cgt_sim.run(uncertain, replications=3, seed=5, until=2019, executor="serial", out=out)
    res = cgt_sim.run(uncertain, replications=6, seed=5, until=2019, executor="serial", out=out, resume=True)
    assert res.manifest["resumed_replications"] == 3
    assert_same(res, reference)


def test_resume_never_drops_or_rewrites_finished_replications(uncertain, tmp_path):
    """Resuming a finished result with fewer replications is refused; with as many it is left
    as it is (nothing to do)."""
    out = tmp_path / "run"
    first = cgt_sim.run(uncertain, replications=4, seed=5, until=2016, executor="serial", out=out)
    before = folder_bytes(out)
    with pytest.raises(CgtSimError) as info:
        cgt_sim.run(uncertain, replications=3, seed=5, until=2016, executor="serial", out=out, resume=True)
    assert str(info.value) == (f"replications: {out} holds a finished result of 4 replications; resuming it "
                               "with 3 would drop 1: ask for 4 or more, or choose another `out`")
    again = cgt_sim.run(uncertain, replications=4, seed=5, until=2016, executor="serial", out=out, resume=True)
    assert folder_bytes(out) == before
    assert again.manifest == first.manifest and not (tmp_path / "run.partial").exists()
    assert_same(again, first)


def test_resume_refuses_a_result_cut_down_to_later_replications(uncertain, tmp_path):
    """A result saved with replications 2 and 3 only is no start for a run (which makes 0, 1,
    ...): resuming it is refused, whatever the count, and the folder is left as it was."""
    res = cgt_sim.run(uncertain, replications=4, seed=5, until=2016, executor="serial")
    for table in ("annual", "programs", "products", "sampled"):
        frame = getattr(res, table)
        setattr(res, table, frame[frame["replication"] >= 2])
    out = res.save(tmp_path / "cut")
    before = folder_bytes(out)
    for n in (2, 3, 4):
        with pytest.raises(CgtSimError, match=f"^resume: {out} holds replications 2, 3, not the first 2 from 0"):
            cgt_sim.run(uncertain, replications=n, seed=5, until=2016, executor="serial", out=out, resume=True)
    assert folder_bytes(out) == before


def test_resume_refuses_work_from_another_seed_or_scenario(uncertain, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(Interrupted):
        cgt_sim.run(uncertain, replications=3, seed=5, until=2016, executor="serial", out=out,
                    progress=stop_after(1))
    partial = tmp_path / "run.partial"
    before = {p.relative_to(partial): p.read_bytes() for p in partial.rglob("*") if p.is_file()}
    cases = [
        (dict(seed=6), "was made with seed 5, not 6"),
        (dict(seed=5, overrides={"regulatory.ind_review_working_days": 30}),
         "was made with a different scenario (regulatory.ind_review_working_days differs)"),
        (dict(seed=5, until=2017), "runs to 2016, not 2017 (`until`, or the scenario's horizon)"),
        (dict(seed=5, programs="clinical"), "keeps all program rows, not clinical (`programs`)"),
    ]
    for kw, message in cases:
        kw.setdefault("until", 2016)
        with pytest.raises(CgtSimError) as info:
            cgt_sim.run(uncertain, replications=3, out=out, resume=True, **kw)
        assert str(info.value).startswith(f"resume: {partial} {message}; ")
    assert {p.relative_to(partial): p.read_bytes() for p in partial.rglob("*") if p.is_file()} == before
    # a plain baseline is another scenario too (its replications sample nothing)
    with pytest.raises(CgtSimError, match="different scenario"):
        cgt_sim.run(BASELINE, replications=3, seed=5, until=2016, out=out, resume=True)


def test_a_damaged_part_is_named_not_a_traceback(uncertain, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(Interrupted):
        cgt_sim.run(uncertain, replications=4, seed=5, until=2016, executor="serial", out=out,
                    progress=stop_after(2))
    part = next(p for p in Checkpoint(out).parts.iterdir() if p.name.startswith("part-"))
    (part / "annual.parquet").write_bytes(b"not parquet")
    with pytest.raises(CgtSimError, match=f"{part / 'annual.parquet'}: cannot be read .*delete this part"):
        cgt_sim.run(uncertain, replications=4, seed=5, until=2016, executor="serial", out=out, resume=True)


def test_resume_needs_a_folder(uncertain):
    with pytest.raises(CgtSimError, match=r"^resume: needs the result folder to complete \(out=\.\.\.\)$"):
        cgt_sim.run(uncertain, replications=1, until=2016, resume=True)


def test_python_errors_name_the_arguments_the_command_line_its_options(uncertain, command_line_of):
    with pytest.raises(cgt_sim.OptionError, match=r"^until: must not be before the start year 2015 \(got 2010\)$") as info:
        cgt_sim.run(uncertain, replications=1, until=2010)
    assert command_line_of(info.value) == "--until: must not be before the start year 2015 (got 2010)"
    with pytest.raises(CgtSimError, match=r"^overrides: regulatory.p_ind_clear: must be between 0 and 1") as info:
        cgt_sim.run(uncertain, replications=1, until=2016, overrides={"regulatory.p_ind_clear": 1.3})
    assert command_line_of(info.value).startswith("--set: regulatory.p_ind_clear: ")
    with pytest.raises(CgtSimError, match=r"^precision_year: only used with `precision`$") as info:
        cgt_sim.run(uncertain, replications=1, until=2016, precision_year=2016)
    assert command_line_of(info.value) == "--precision-year: only used with --precision"
    # a file name with dashes is not an option
    assert str(ScenarioError("results/a--b", None, "exists")) == "results/a--b: exists"


# --------------------------------------------------------------------------- program rows

def test_clinical_program_rows_are_the_programs_past_preclinical(uncertain, reference, tmp_path):
    out = tmp_path / "clinical"
    res = cgt_sim.run(uncertain, replications=6, seed=5, until=2019, executor="serial", programs="clinical",
                      out=out)
    for name in ("annual", "products", "sampled"):  # only the programs table changes
        pd.testing.assert_frame_equal(getattr(res, name), getattr(reference, name))
    every = reference.programs
    kept = every.merge(res.programs, how="left", indicator=True)["_merge"] == "both"
    assert kept.sum() == len(res.programs) and 0 < len(res.programs) < len(every) / 2
    past = (every["iit_track"] | every["ind_day"].notna()
            | every["state"].isin(["iit", "ind_review", "phase1", "phase2", "phase3", "nda_review", "approved"])
            | every["end_stage"].isin(["iit", "ind_review", "phase1", "phase2", "phase3", "review", "nda_review"]))
    assert (kept == past).all()
    assert (every.loc[~kept, "end_stage"].isin(["preclinical", ""])).all()
    assert res.manifest["programs"] == "clinical" and reference.manifest["programs"] == "all"
    back = cgt_sim.load_results(out)
    pd.testing.assert_frame_equal(back.programs, res.programs)
    # a resumed run keeps the same rows
    more = cgt_sim.run(uncertain, replications=7, seed=5, until=2019, executor="serial", programs="clinical",
                       out=out, resume=True)
    pd.testing.assert_frame_equal(more.programs[more.programs["replication"] < 6], res.programs)
    with pytest.raises(CgtSimError, match="^programs: unknown choice 'some'; choose all, clinical"):
        cgt_sim.run(uncertain, replications=1, until=2016, programs="some")


# --------------------------------------------------------------------------- precision

def test_precision_statistic():
    goal = Precision(0.05, "m", 2030)
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, np.nan])
    s = goal.evaluate(x)
    half = stats.t.ppf(0.975, 4) * np.std(x[:5], ddof=1) / math.sqrt(5)
    assert s["mean"] == 3.0 and s["half_width"] == pytest.approx(half)
    assert s["relative_half_width"] == pytest.approx(half / 3.0) and s["reached"] is False
    assert goal.evaluate(np.full(4, 7.0))["relative_half_width"] == 0.0  # no spread: exact
    assert goal.evaluate(np.array([-1.0, 1.0]))["relative_half_width"] == math.inf  # mean 0
    assert goal.evaluate(np.array([2.0, np.nan]))["reached"] is False  # one value: no interval
    zero = goal.evaluate(np.zeros(5))  # a mean of 0 has no relative precision
    assert zero["reached"] is False and zero["relative_half_width"] == math.inf and "0 in every" in zero["undefined"]
    none = goal.evaluate(np.full(3, np.nan))
    assert none["reached"] is False and none["undefined"] == "no replication has a value of it that year"
    assert goal.evaluate(x)["undefined"] is None
    s = goal.evaluate(np.array([100.0, 101.0, 99.0, 100.0]))
    assert s["reached"] is True and s["relative_half_width"] <= 0.05


def test_precision_batches_grow_within_bounds():
    goal = Precision(0.05, "m", 2030)
    assert goal.next_total(10, {"relative_half_width": 0.0501}, 1000) == 10 + FIRST_BATCH  # at least +10
    assert goal.next_total(10, {"relative_half_width": 0.10}, 1000) == 40  # 44 needed, at most 4-fold
    assert goal.next_total(40, {"relative_half_width": 0.06}, 1000) == math.ceil(1.1 * 40 * 1.44)
    assert goal.next_total(40, {"relative_half_width": math.inf}, 100) == 100  # within the cap


def test_precision_stops_at_the_first_check_that_meets_the_target(uncertain):
    kw = dict(seed=5, until=2017)
    metric, year = "programs_in_clinic", 2017
    # a target the first batch just misses, so more batches are needed
    first = cgt_sim.run(uncertain, replications=FIRST_BATCH, executor="serial", **kw).annual
    first = first[first["year"] == year][metric].to_numpy(dtype=float)
    target = 0.8 * Precision(1.0, metric, year).evaluate(first)["relative_half_width"]
    assert 0.0 < target < 1.0
    res = cgt_sim.run(uncertain, replications=60, workers=2, precision=target, metric=metric, **kw)
    p = res.manifest["precision"]
    n = res.manifest["replications"]
    assert (p["metric"], p["year"], p["target"], p["level"]) == (metric, year, target, 0.95)  # year: the horizon
    assert p["max_replications"] == 60 and n > FIRST_BATCH
    a = res.annual
    values = a[a["year"] == year].sort_values("replication")[metric].to_numpy(dtype=float)
    assert len(values) == n and np.array_equal(values[:FIRST_BATCH], first)
    # the same rule replayed on the data: checks at 10, then as next_total says; stop at the first hit
    goal, total = Precision(target, metric, year), FIRST_BATCH
    while not goal.evaluate(values[:total])["reached"] and total < 60:
        total = goal.next_total(total, goal.evaluate(values[:total]), 60)
    assert total == n
    final = goal.evaluate(values)
    assert p["relative_half_width"] == pytest.approx(final["relative_half_width"])
    assert p["reached"] == final["reached"] == (final["relative_half_width"] <= target)
    assert p["replications_needed"] == (n if p["reached"] else None)
    # the same result as a fixed-count run of that many replications
    fixed = cgt_sim.run(uncertain, replications=n, executor="serial", **kw)
    assert_same(res, fixed)


def test_precision_reports_a_target_not_reached_within_the_cap(uncertain):
    res = cgt_sim.run(uncertain, replications=4, seed=5, until=2016, executor="serial", precision=0.0001,
                      metric="new_programs")
    p = res.manifest["precision"]
    assert res.manifest["replications"] == 4
    assert p["reached"] is False and p["replications_needed"] is None and p["max_replications"] == 4
    assert p["year"] == 2016  # default: the horizon
    assert p["relative_half_width"] > 0.0001


def test_precision_stops_at_the_first_check_when_the_metric_has_no_usable_mean(uncertain):
    for metric in ("approvals", "vein_to_vein_days_median"):  # 0 in every replication; no value at all
        res = cgt_sim.run(uncertain, replications=40, seed=5, until=2016, executor="serial", precision=0.05,
                          metric=metric)
        p = res.manifest["precision"]
        assert res.manifest["replications"] == FIRST_BATCH and p["reached"] is False and p["undefined"]


def test_precision_metric_takes_the_short_names(uncertain):
    from cgt_sim.runner import check_precision, resolve

    sc = resolve(uncertain, until=2030)
    goal = check_precision(sc, 50, 0.05, "approvals", None)
    assert (goal.metric, goal.year, goal.relative) == ("cumulative_approvals", 2030, 0.05)
    assert check_precision(sc, 50, 0.05, "patients_treated", 2025).year == 2025
    assert check_precision(sc, 50, None, None, None) is None


@pytest.mark.parametrize("kw,message", [
    (dict(precision=1.5, metric="new_programs"), "precision: must be a relative half-width between 0 and 1"),
    (dict(precision=0.0, metric="new_programs"), "precision: must be a relative half-width between 0 and 1"),
    (dict(precision=0.05), "precision: needs `metric`, one of approvals, ind_approvals, programs_preclinical, "),
    (dict(precision=0.05, metric="approvalz"), "metric: unknown metric 'approvalz'; choose from "),
    (dict(metric="new_programs"), "metric: only used with `precision`"),
    (dict(precision=0.05, metric="new_programs", precision_year=2030), "precision_year: must be a simulated "
                                                                        "year, 2015-2016 (got 2030)"),
    (dict(precision=0.05, metric="new_programs", replications=1), "replications: is the most `precision`"),
])
def test_bad_precision_options(uncertain, kw, message):
    kw.setdefault("replications", 5)
    with pytest.raises(CgtSimError) as info:
        cgt_sim.run(uncertain, seed=1, until=2016, **kw)
    assert str(info.value).startswith(message)
    if "choose from" in message or "one of" in message:
        assert "cumulative_approvals" in str(info.value)


# --------------------------------------------------------------------------- the Python API's arguments

@pytest.mark.parametrize("kw,message", [
    (dict(replications=0), "replications: must be a whole number >= 1 (got 0)"),
    (dict(replications=2.0), "replications: must be a whole number >= 1 (got 2.0)"),
    (dict(seed=-1), "seed: must be a whole number >= 0 (got -1)"),
    (dict(workers=0), "workers: must be a whole number >= 1 (got 0)"),
    (dict(workers=2.5), "workers: must be a whole number >= 1 (got 2.5)"),
    (dict(workers="2"), "workers: must be a whole number >= 1 (got '2')"),
    (dict(until=2016.5), "until: must be a year such as 2035 (got 2016.5)"),
    (dict(overrides={5: 30}), "overrides: a parameter key must be text"),
    (dict(overrides=[("regulatory.p_ind_clear", 0.5)]), "overrides: must be a mapping"),
    (dict(progress=5), "progress: must be a function progress(done, total) or None (got 5)"),
    (dict(allow_other_model=True), "allow_other_model: only used with `resume`"),
    (dict(out=5), "out: must be a path (text or a pathlib.Path), not 5 (int)"),
    (dict(out=["results/x"]), "out: must be a path (text or a pathlib.Path), not ['results/x'] (list)"),
])
def test_bad_run_arguments_are_one_clear_error(kw, message):
    kw = {"replications": 2, "until": 2016, **kw}
    with pytest.raises(CgtSimError) as info:
        cgt_sim.run(BASELINE, **kw)
    assert str(info.value).startswith(message)


def test_a_path_argument_that_is_no_path_is_named(reference, tmp_path):
    """A number or None where a folder or file belongs: an OptionError naming the argument, not
    a TypeError from deep inside pathlib; nothing is written."""
    calls = {"path": [lambda: cgt_sim.load_results(5), lambda: cgt_sim.load_results(None),
                      lambda: reference.save(5)],
             "results": [lambda: cgt_sim.write_report([7], tmp_path / "r"), lambda: cgt_sim.query([7], "SELECT 1")],
             "out": [lambda: cgt_sim.write_report([reference], out=7),
                     lambda: cgt_sim.query([reference], "SELECT 1", out=7)]}
    for argument, made in calls.items():
        for call in made:
            with pytest.raises(cgt_sim.OptionError, match=rf"^{argument}: must be (a path|result folders)"):
                call()
    assert list(tmp_path.iterdir()) == []


def test_numpy_numbers_are_numbers(reference, uncertain):
    again = cgt_sim.run(uncertain, replications=np.int64(6), seed=np.int64(5), until=np.int64(2019),
                        workers=np.int64(1))
    assert_same(again, reference)
    sc = cgt_sim.load_scenario(BASELINE, overrides={"regulatory.ind_review_working_days": np.int64(30),
                                                    "regulatory.p_ind_clear": np.float32(0.5)})
    assert sc.value("regulatory.ind_review_working_days") == 30 and sc.value("regulatory.p_ind_clear") == 0.5


def test_products_and_programs_agree_on_approval_day():
    res = cgt_sim.run(BASELINE, replications=1, seed=3, until=2024, executor="serial")
    assert len(res.products) > 0
    joined = res.products.merge(res.programs, on=["replication", "program_id"], suffixes=("", "_program"))
    assert len(joined) == len(res.products)
    assert (joined["approval_day"] == joined["approval_day_program"]).all()


def test_notebook_friendly_reprs_and_clear_errors(reference, tmp_path, monkeypatch):
    assert repr(reference) == ("ResultSet(scenario='uncertain', replications=6, seed=5, 2015-2019; annual 30 rows, "
                               f"programs {len(reference.programs):,}, products {len(reference.products):,})")
    text = repr(cgt_sim.load_scenario(BASELINE))
    assert text.startswith("Scenario(name='baseline', path=") and "2015-2045" in text and len(text) < 300
    with pytest.raises(CgtSimError, match=r"^scenario: must be the path of a scenario file or a Scenario .*not a dict$"):
        cgt_sim.run({"name": "x"}, replications=1)
    with pytest.raises(FileNotFoundError, match="no such folder"):
        cgt_sim.load_results(tmp_path / "typo")
    monkeypatch.chdir(tmp_path)
    for here in (".", "", ".."):
        with pytest.raises(CgtSimError, match="is the current folder or holds it"):
            reference.save(here)
    assert list(tmp_path.iterdir()) == []


def test_results_compare_by_their_tables_and_hand_edited_scenarios_are_checked(reference, uncertain):
    again = cgt_sim.run(uncertain, replications=6, seed=5, until=2019, workers=2)
    assert again == reference and again.manifest["workers"] != reference.manifest["workers"]
    other = cgt_sim.run(uncertain, replications=6, seed=6, until=2019, workers=2)
    assert other != reference
    sc = cgt_sim.load_scenario(BASELINE)
    sc.values["regulatory.p_ind_clear"] = 1.5  # bypassing the checks of with_overrides
    with pytest.raises(CgtSimError, match=r"baseline.yaml \(changed after loading\): "
                       r"regulatory.p_ind_clear: must be between 0 and 1 \(got 1.5\)"):
        cgt_sim.run(sc, replications=1, until=2016)
    from cgt_sim.scenario import Uncertain
    for key, u, message in [(P_IND, Uncertain(P_IND, "uniform", {"low": 0.5, "high": 3}), "high: must be between 0 and 1"),
                            (P_IND, Uncertain("market.price_erosion", "uniform", {"low": 0, "high": 0.1}),
                             "must be the Uncertain of this key"),
                            (P_IND, Uncertain(P_IND, "beta", {"low": 0.5, "high": 0.9}), "unknown distribution 'beta'")]:
        sc = cgt_sim.load_scenario(BASELINE)
        sc.uncertain[key] = u  # bypassing the checks of with_uncertain
        with pytest.raises(CgtSimError, match=message):
            cgt_sim.run(sc, replications=1, until=2016)
    with pytest.raises(CgtSimError) as bad:
        cgt_sim.run(BASELINE, replications=0, until=2016)
    assert str(bad.value).startswith("replications: ") and as_command_line(bad.value).startswith("--replications: ")


def test_the_package_loads_its_parts_when_first_used():
    import subprocess
    import sys

    code = ("import sys, cgt_sim\nassert 'pandas' not in sys.modules\n"
            "assert cgt_sim.runner.Interrupted.__name__ == 'Interrupted'\n"
            "import cgt_sim.analysis.sweep\nassert callable(cgt_sim.sweep) and cgt_sim.sweep.__name__ == 'sweep'\n"
            "assert 'run' in dir(cgt_sim) and 'sys' not in dir(cgt_sim)\nprint('ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout == "ok\n", proc.stderr


def test_a_change_set_for_after_the_horizon_is_noted_not_refused(tmp_path):
    """A dated change given with overrides (--set) that the run never reaches is a warning (the
    command prints a note); the changes of scenario files are not: they serve several horizons."""
    from cgt_sim.scenario import AfterHorizonWarning

    late = {"market.price_erosion": {"value": 0.1, "from": 2030}}
    with pytest.warns(AfterHorizonWarning, match="market.price_erosion: its change from 2030-01-01 comes after the "
                                                 "last simulated year 2016 and has no effect in this run"):
        cgt_sim.run(BASELINE, replications=1, until=2016, workers=1, overrides=late)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", AfterHorizonWarning)
        cgt_sim.run(ROOT / "scenarios" / "faster_approval.yaml", replications=1, until=2016, workers=1)
    from typer.testing import CliRunner

    from cgt_sim.cli import app

    result = CliRunner().invoke(app, ["run", str(BASELINE), "--until", "2016", "-r", "1", "-w", "1", "-q", "--out",
                                      str(tmp_path / "r"), "--set", "market.price_erosion={value: 0.1, from: 2030}"])
    assert result.exit_code == 0 and result.stderr == (
        "note: market.price_erosion: its change from 2030-01-01 comes after the last simulated year 2016 and has no "
        "effect in this run\n")
