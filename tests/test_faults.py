"""Faults: the system refusing to write (a full disk, a name too long, no permission, a read-only
file system), damaged result folders, two writers of one result, and a killed parent.

Each gives one line and a documented exit code (2 for bad input, 3 when the system refused),
leaves no temporary file or folder behind, and leaves nothing that blocks the next run.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import folder_bytes, table_file
from typer.testing import CliRunner

import cgt_sim
from cgt_sim.cli import app
from cgt_sim.runner import Interrupted

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
FASTER = ROOT / "scenarios" / "faster_approval.yaml"
RUN = ["run", str(BASELINE), "--until", "2015", "--workers", "1", "--quiet"]


def refusal(result, code: int, fragments=()) -> str:
    """A refusal: ``code``, one line on stderr (notes aside) naming every fragment, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = [line for line in result.stderr.splitlines() if not line.startswith("note: ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def invoke(args) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def no_space(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def leftovers(folder: Path) -> list[str]:
    """Temporary files and folders, locks and probes anywhere below ``folder``."""
    return sorted(p.name for p in folder.rglob("*") if any(s in p.name for s in (".tmp", ".old-", ".probe-", ".lock")))


def stop_after(n: int):
    def callback(done, total):
        if done >= n:
            raise KeyboardInterrupt
    return callback


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """Two finished results of one seed and years: base (baseline) and other (faster approval),
    2 replications to 2015."""
    root = tmp_path_factory.mktemp("results")
    cgt_sim.run(BASELINE, replications=2, seed=1, until=2015, executor="serial", out=root / "base")
    cgt_sim.run(FASTER, replications=2, seed=1, until=2015, executor="serial", out=root / "other")
    return root


# --------------------------------------------------------------------------- the system refuses

def test_a_name_too_long_for_out_is_one_line_exit_3(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / ("x" * 300)
    result = invoke([*RUN, "-r", "1", "--out", out])
    refusal(result, 3, [str(tmp_path), "the name is too long", "the system refused"])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("when", ["part", "save"])
def test_a_full_disk_during_a_run_is_one_line_and_blocks_nothing(tmp_path, monkeypatch, when):
    """No space left while a part is written, or while the result is saved: exit code 3, one line
    naming the folder; nothing temporary is left, and the next run goes on (a refused save keeps
    its finished replications for --resume, which completes it)."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "r"
    if when == "part":
        monkeypatch.setattr(pd.DataFrame, "to_parquet", no_space)
    else:
        monkeypatch.setattr("cgt_sim.results.write_manifest", no_space)
    result = invoke([*RUN, "-r", "2", "--out", out])
    refusal(result, 3, [str(out), "no space left on the device", "the system refused"])
    assert leftovers(tmp_path) == []
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    if when == "part":
        assert sorted(p.name for p in tmp_path.iterdir()) == []
        again = invoke([*RUN, "-r", "2", "--out", out])
    else:
        assert sorted(p.name for p in tmp_path.iterdir()) == ["r.partial"]
        again = invoke([*RUN, "-r", "2", "--out", out, "--resume"])
    assert again.exit_code == 0, again.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]
    assert json.loads((out / "manifest.json").read_text())["replications"] == 2


def test_a_full_disk_in_report_and_compare_leaves_no_temporary_file(results, tmp_path, monkeypatch):
    import matplotlib.figure

    monkeypatch.chdir(tmp_path)
    report = tmp_path / "rep"
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", no_space)
    refusal(invoke(["report", results / "base", "--out", report]), 3, [str(report), "no space left"])
    assert list(tmp_path.iterdir()) == []

    table = tmp_path / "c.csv"
    assert invoke(["compare", results / "base", results / "other", "--out", table, "--quiet"]).exit_code == 0
    before = table.read_bytes()

    def empty_then_full(self, path, *args, **kwargs):  # a 0-byte file, then no space
        Path(path).write_bytes(b"")
        no_space()

    monkeypatch.setattr(pd.DataFrame, "to_csv", empty_then_full)
    refusal(invoke(["compare", results / "base", results / "other", "--out", table, "--quiet"]), 3,
            [str(table), "no space left"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv"] and table.read_bytes() == before


@pytest.mark.parametrize("number,words", [(errno.EACCES, "permission denied"), (errno.EROFS, "read-only file system"),
                                          (errno.EPERM, "operation not permitted")])
def test_permission_and_read_only_are_one_line_exit_3(tmp_path, monkeypatch, number, words):
    monkeypatch.chdir(tmp_path)
    real = Path.mkdir

    def refuse(self, *args, **kwargs):
        if self.name.startswith("."):  # the probe of the output's folder
            raise OSError(number, os.strerror(number), str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refuse)
    refusal(invoke([*RUN, "-r", "1", "--out", tmp_path / "r"]), 3, [str(tmp_path / "r"), words])
    assert list(tmp_path.iterdir()) == []


def test_a_scenario_the_system_will_not_let_us_read_is_exit_3(tmp_path, monkeypatch):
    from cgt_sim import safe_load

    real = os.open

    def refuse(path, *args, **kwargs):
        if str(path).endswith("baseline.yaml"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(safe_load.os, "open", refuse)
    refusal(invoke(["show", BASELINE]), 3, ["baseline.yaml", "cannot be read: permission denied"])


def _mount_tmpfs(folder: Path, size: str) -> bool:
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    return done.returncode == 0


def test_a_real_full_disk(tmp_path, results):
    """On a tmpfs of 64 kB (where this process may mount one): the run, report and compare
    each say the disk is full, and leave the file system as they found it."""
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "64k"):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        env = {**os.environ, "COLUMNS": "200"}
        for args in (["run", str(BASELINE), "-r", "4", "--until", "2016", "--workers", "1", "--quiet",
                      "--out", str(disk / "r")],
                     ["report", str(results / "base"), "--out", str(disk / "rep")]):
            done = subprocess.run([sys.executable, "-m", "cgt_sim.cli", *args], capture_output=True, text=True,
                                  env=env, timeout=300)
            assert done.returncode == 3, done.stderr
            assert done.stderr.count("\n") == 1 and "no space left on the device" in done.stderr, done.stderr
            assert leftovers(disk) == []
            if (disk / "r.partial").exists():  # replications finished before the disk filled, for --resume
                assert "for --resume" in done.stderr, done.stderr
                shutil.rmtree(disk / "r.partial")
            assert list(disk.iterdir()) == []
        with open(disk / "fill", "wb", buffering=0) as f:  # the disk full to the last byte
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass
        done = subprocess.run([sys.executable, "-m", "cgt_sim.cli", "compare", str(results / "base"),
                               str(results / "other"), "--out", str(disk / "c.csv"), "--quiet"],
                              capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 3 and "no space left" in done.stderr, done.stderr
        assert [p.name for p in disk.iterdir()] == ["fill"]
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


# --------------------------------------------------------------------------- damaged results

def _knots(m):
    key = next(iter(m["scenario"]["parameters"]))
    m["scenario"]["parameters"][key] = {"knots": [["2025-13-01", 1.0]]}


DAMAGES = {  # name -> change of a run's manifest
    "scenario_list": lambda m: m.update(scenario=[]),
    "scenario_text": lambda m: m.update(scenario="baseline"),
    "name_number": lambda m: m["scenario"].update(name=3),
    "years_text": lambda m: m.update(start_year="abc"),
    "horizon_fraction": lambda m: m.update(horizon_year=2015.5),
    "seed_text": lambda m: m.update(seed="1"),
    "seed_negative": lambda m: m.update(seed=-1),
    "replications_true": lambda m: m.update(replications=True),
    "replications_missing": lambda m: m.pop("replications"),
    "parameters_list": lambda m: m["scenario"].update(parameters=[]),
    "knot_bad_date": _knots,
    "origin_list": lambda m: m["scenario"].update(origin=["--set"]),
    "uncertain_number": lambda m: m["scenario"].update(uncertain={"market.cost_pass_through": 1}),
    "precision_text": lambda m: m.update(precision="5%"),
    "programs_other": lambda m: m.update(programs="some"),
    "files_text": lambda m: m["scenario"].update(files="baseline.yaml"),
}
RAW = {  # name -> the bytes of manifest.json
    "deep_json": b'{"written_by": "cgt-sim", "scenario": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "json_list": b"[]",
    "empty": b"",
    "not_utf8": b'\xff\xfe{"written_by": "cgt-sim"}',
    "not_json": b"{written_by: cgt-sim",
}


def _damage(results: Path, tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "damaged"
    shutil.copytree(results / "base", folder)
    manifest = folder / "manifest.json"
    if name in DAMAGES:
        m = json.loads(manifest.read_text())
        DAMAGES[name](m)
        manifest.write_text(json.dumps(m))
    elif name in RAW:
        manifest.write_bytes(RAW[name])
    elif name == "fifo":
        manifest.unlink()
        os.mkfifo(manifest)
    elif name == "folder":
        manifest.unlink()
        manifest.mkdir()
    return folder


@pytest.mark.parametrize("name", [*DAMAGES, *RAW, "fifo", "folder"])
def test_a_damaged_manifest_is_one_line_in_report_compare_and_resume(results, tmp_path, monkeypatch, name):
    folder = _damage(results, tmp_path, name)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    commands = {
        "report": ["report", folder, "--out", tmp_path / "rep"],
        "compare": ["compare", results / "base", folder, "--out", tmp_path / "c.csv", "--quiet"],
        "resume": [*RUN, "-r", "3", "--seed", "1", "--out", folder, "--resume"],
    }
    for command, args in commands.items():
        started = time.monotonic()
        result = invoke(args)
        line = refusal(result, 2, ["damaged"])
        assert time.monotonic() - started < 60, command  # (a FIFO is never waited on)
        assert len(line) < 500, line
        assert sorted(p.name for p in tmp_path.iterdir()) == before, command


@pytest.mark.parametrize("table", ["annual", "sampled"])
def test_a_table_that_is_a_fifo_is_refused_without_waiting_on_it(results, tmp_path, monkeypatch, table):
    folder = tmp_path / "damaged"
    shutil.copytree(results / "base", folder)
    file = table_file(folder, table)
    file.unlink()
    os.mkfifo(file)
    monkeypatch.chdir(tmp_path)
    for args in (["report", folder, "--out", tmp_path / "rep"],
                 ["compare", results / "base", folder, "--out", tmp_path / "c.csv", "--quiet"],
                 [*RUN, "-r", "3", "--seed", "1", "--out", folder, "--resume"]):
        started = time.monotonic()
        refusal(invoke(args), 2, [f"{table}/{file.name}: is not a regular file"])
        assert time.monotonic() - started < 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged"]


def test_resume_refuses_a_finished_result_whose_table_lacks_a_column(results, tmp_path):
    folder = tmp_path / "r"
    shutil.copytree(results / "base", folder)
    file = table_file(folder, "annual")
    annual = pd.read_parquet(file).drop(columns=["suites"])
    annual.to_parquet(file, index=False)
    before = folder_bytes(folder)
    with pytest.raises(cgt_sim.ResultError, match=f"annual/{file.name}: lacks the column suites"):
        cgt_sim.run(BASELINE, replications=3, seed=1, until=2015, executor="serial", out=folder, resume=True)
    assert folder_bytes(folder) == before and sorted(p.name for p in tmp_path.iterdir()) == ["r"]


@pytest.fixture
def unfinished(tmp_path) -> Path:
    """A run of 12 replications (to 2015, seed 1) stopped after 3, its parts in out.partial."""
    out = tmp_path / "u"
    with pytest.raises(Interrupted):
        cgt_sim.run(BASELINE, replications=12, seed=1, until=2015, executor="serial", out=out,
                    progress=stop_after(3))
    return out


def _parts(out: Path) -> list[Path]:
    return sorted(p for p in (out.parent / f"{out.name}.partial" / "parts").iterdir() if p.name.startswith("part-"))


def _resume(out: Path, replications: int = 12):
    return cgt_sim.run(BASELINE, replications=replications, seed=1, until=2015, executor="serial", out=out,
                       resume=True)


def test_resume_refuses_a_renamed_part_and_never_gives_fewer_replications(unfinished):
    """A part renamed to claim replications it does not hold is refused (it once gave a result of
    9 replications for 12); deleting it, as the line says, lets the run complete."""
    first = _parts(unfinished)[0]
    claimed = first.parent / "part-000003-000008"
    first.rename(claimed)
    with pytest.raises(cgt_sim.ResultError, match="part-000003-000008: annual.parquet holds replications 0-2, "
                                                  "not the 3-8 its name claims; delete this part"):
        _resume(unfinished)
    shutil.rmtree(claimed)
    res = _resume(unfinished)
    assert res.manifest["replications"] == 12 and sorted(res.annual["replication"].unique()) == list(range(12))
    assert cgt_sim.load_results(unfinished).annual["replication"].nunique() == 12


def test_resume_refuses_overlapping_parts(unfinished):
    first = _parts(unfinished)[0]  # replications 0-2
    again = first.parent / "part-000001-000001"
    again.mkdir()
    for table in ("annual", "programs", "products", "sampled"):
        df = pd.read_parquet(first / f"{table}.parquet")
        df[df["replication"] == 1].to_parquet(again / f"{table}.parquet", index=False)
    with pytest.raises(cgt_sim.ResultError, match="part-000001-000001: claims replications 1-1, which "
                                                  "part-000000-000002 also claims"):
        _resume(unfinished)


@pytest.mark.parametrize("change,message", [
    (lambda df: df.drop(columns=["suites"]), "lacks the column suites"),
    (lambda df: df.astype({"year": "float64"}), "its year column holds float64, not int64"),
    (lambda df: df.assign(extra=1.0), "has a column this version does not write"),
])
def test_resume_refuses_a_part_whose_table_is_not_this_versions(unfinished, change, message):
    part = _parts(unfinished)[0]
    annual = pd.read_parquet(part / "annual.parquet")
    change(annual).to_parquet(part / "annual.parquet", index=False)
    with pytest.raises(cgt_sim.ResultError, match=message):
        _resume(unfinished)


@pytest.mark.parametrize("change", [lambda r: r.update(seed="1"), lambda r: r.update(parameters=[]),
                                    lambda r: r.pop("programs")])
def test_resume_refuses_a_damaged_checkpoint_record(unfinished, change):
    record = unfinished.parent / f"{unfinished.name}.partial" / "checkpoint.json"
    data = json.loads(record.read_text())
    change(data)
    record.write_text(json.dumps(data))
    with pytest.raises(cgt_sim.ResultError, match="checkpoint.json: .*damaged"):
        _resume(unfinished)


# --------------------------------------------------------------------------- two writers

HOLD = textwrap.dedent("""
    import sys, time
    from cgt_sim.locks import hold
    with hold(sys.argv[1]):
        print("held", flush=True)
        time.sleep(120)
""")


@pytest.fixture
def holder(tmp_path):
    """Another process holding the lock of tmp_path/r (killed at the end)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "r")], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    yield proc
    proc.kill()
    proc.wait()


def test_a_second_writer_is_refused_naming_the_holder(tmp_path, monkeypatch, holder, results):
    monkeypatch.chdir(tmp_path)
    line = refusal(invoke([*RUN, "-r", "1", "--out", tmp_path / "r"]), 2,
                   [str(tmp_path / "r"), f"is being written by another cgt-sim run (process {holder.pid}",
                    "started "])
    assert "wait for it to end, or choose another --out" in line
    with pytest.raises(cgt_sim.ResultError, match=f"process {holder.pid}"):
        cgt_sim.run(BASELINE, replications=1, until=2015, executor="serial", out=tmp_path / "r")
    with pytest.raises(cgt_sim.ResultError, match=f"process {holder.pid}"):
        cgt_sim.load_results(results / "base").save(tmp_path / "r")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".r.lock"]  # the holder's, nothing else


def test_a_stale_lock_is_taken_over_with_a_note(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    (tmp_path / ".r.lock").write_text(json.dumps({"pid": pid, "host": "here", "started": "2025-01-01T00:00:00",
                                                  "command": "cgt-sim run x"}))
    result = invoke([*RUN, "-r", "1", "--out", tmp_path / "r"])
    assert result.exit_code == 0, result.stderr
    assert f"note: {tmp_path / 'r'}: took over the lock left by process {pid} on here" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]
    (tmp_path / ".r.lock").write_text(json.dumps({"pid": pid}))
    from cgt_sim.locks import StaleNote

    with pytest.warns(StaleNote, match=f"took over the lock left by process {pid}"):
        cgt_sim.run(BASELINE, replications=1, until=2015, executor="serial", out=tmp_path / "r")


def test_another_thread_of_this_process_is_refused(tmp_path):
    import threading

    from cgt_sim.locks import hold

    entered, leave, seen = threading.Event(), threading.Event(), []

    def other():
        with hold(tmp_path / "r"):
            entered.set()
            leave.wait(30)

    thread = threading.Thread(target=other)
    thread.start()
    entered.wait(30)
    try:
        with pytest.raises(cgt_sim.ResultError, match="another thread of this process"):
            cgt_sim.run(BASELINE, replications=1, until=2015, executor="serial", out=tmp_path / "r")
        with hold(tmp_path / "s"), hold(tmp_path / "s"):  # re-entrant within a thread
            seen.append(True)
    finally:
        leave.set()
        thread.join()
    assert seen and sorted(p.name for p in tmp_path.iterdir()) == []


def test_two_runs_into_one_folder_one_writes_the_other_refuses(tmp_path):
    """The second run starts once the first holds the folder's lock (started together, a loaded
    machine can let the first finish before the second begins, and then both rightly succeed)."""
    import time

    from cgt_sim.locks import lock_path

    def args(until):
        return [sys.executable, "-m", "cgt_sim.cli", "run", str(BASELINE), "-r", "2", "--until", str(until),
                "--workers", "1", "--quiet", "--out", str(tmp_path / "r")]

    first = subprocess.Popen(args(2030), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not lock_path(tmp_path / "r").exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert first.poll() is None, "the first run ended before its lock was seen"
    second = subprocess.run(args(2016), capture_output=True, text=True, timeout=300)
    _out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert second.returncode == 2, second.stderr
    assert second.stderr.count("\n") == 1 and "is being written by another cgt-sim run" in second.stderr
    assert cgt_sim.load_results(tmp_path / "r").annual["replication"].nunique() == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


# --------------------------------------------------------------------------- killed parents

WORKERS = textwrap.dedent("""
    import time
    from cgt_sim.executors import ProcessExecutor
    with ProcessExecutor(2) as ex:
        print(" ".join(str(p.pid) for p, _ in ex.workers), flush=True)
        for _ in ex.calls(time.sleep, [(120,), (120,)]):
            pass
""")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # (a zombie has ended; its new parent reaps it)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_when_their_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", WORKERS], stdout=subprocess.PIPE, text=True)
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    try:
        deadline = time.monotonic() + 20
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers), "workers outlived their parent"
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_run_removes_what_a_killed_save_left_beside_its_out(results, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "r"
    shutil.copytree(results / "base", out)
    ours = tmp_path / ".r.tmp-0123abcd"
    shutil.copytree(results / "base", ours)  # a save killed while writing: cgt-sim's files only
    users = tmp_path / ".r.tmp-89abcdef"
    users.mkdir()
    (users / "notes.txt").write_text("mine")  # a swap killed after it moved a user's file aside
    old = tmp_path / ".r.old-deadbeef"
    shutil.copytree(results / "base", old)
    (tmp_path / ".r.probe-00000000").mkdir()
    (tmp_path / ".other.tmp-0123abcd").mkdir()  # another output's: not this run's to touch
    result = invoke([*RUN, "-r", "1", "--replace", "--out", out])  # (the earlier result there has 2)
    assert result.exit_code == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    assert sum("removed" in n for n in notes) == 3 and sum("left .r.tmp-89abcdef" in n for n in notes) == 1, notes
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.tmp-0123abcd", ".r.tmp-89abcdef", "r"]


def test_an_earlier_result_moved_aside_by_a_killed_swap_is_put_back(results, tmp_path):
    from cgt_sim.storage import clean_strays

    shutil.copytree(results / "base", tmp_path / ".r.old-deadbeef")
    with pytest.warns(UserWarning, match="put back the earlier output"):
        clean_strays(tmp_path / "r")
    assert folder_bytes(tmp_path / "r") == folder_bytes(results / "base")


def test_the_docs_show_the_lines_the_commands_print():
    """The examples of a full disk and of a second writer (docs/cli.md) are the lines cgt-sim gives."""
    from cgt_sim.cli.common import option_of
    from cgt_sim.errors import command_line, refused
    from cgt_sim.locks import busy

    readme = (ROOT / "docs" / "cli.md").read_text()
    full = refused(OSError(errno.ENOSPC, "No space left on device"), "results/big")
    assert f"error: {command_line(full, option_of)}\n" in readme
    second = busy("results/baseline", {"pid": 4242, "host": "host", "started": "2025-06-01T10:00:00+08:00",
                                       "command": "cgt-sim run scenarios/baseline.yaml"})
    assert f"error: {command_line(second, option_of)}\n" in readme
