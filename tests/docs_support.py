"""Running the documentation: the fenced blocks of README.md and docs/*.md, their cgt-sim
commands shortened (few replications, a near horizon) and run in a folder of their own per
document, and their Python blocks executed. Used by test_readme.py and test_docs.py."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import yaml

import cgt_sim
from cgt_sim import CATALOGUE
from cgt_sim.analysis.calibration import load_targets

ROOT = Path(__file__).resolve().parents[1]
DOCS = {name: (ROOT / name).read_text(encoding="utf-8")
        for name in ["README.md"] + [f"docs/{p.name}" for p in sorted((ROOT / "docs").glob("*.md"))]}


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """[(language, body)] of the fenced code blocks, in order."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", text,
                                                          re.MULTILINE | re.DOTALL)]


def section(doc: str, title: str) -> str:
    """The text of the ``## title`` section of a document (to the next ``## ``)."""
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", DOCS[doc], re.MULTILINE | re.DOTALL)
    assert m, f"{doc} has no '## {title}' section"
    return m.group(1)


def cli_lines(doc: str) -> list[str]:
    """The cgt-sim commands of a document's bash blocks, in order."""
    return [line.strip() for lang, body in fenced_blocks(DOCS[doc]) if lang == "bash"
            for line in body.splitlines() if line.strip().startswith("cgt-sim ")]


def python_blocks(doc: str) -> list[str]:
    return [body for lang, body in fenced_blocks(DOCS[doc]) if lang == "python"]


def env() -> dict:
    out = dict(os.environ)
    out.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb", "PYTHONIOENCODING": "utf-8"})
    return out


def make_workdir(root: Path) -> Path:
    """A folder with copies of the library and the calibration files, as a checkout has them."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "scenarios", root / "scenarios")
    shutil.copytree(ROOT / "calibration", root / "calibration")  # the baseline reads fitted.yaml
    (root / "redirected").mkdir()
    return root


def make_workdirs(root: Path, docs) -> dict:
    """{document: a work folder of its own (``make_workdir``) under ``root``}."""
    return {doc: make_workdir(root / doc.replace("/", "_")) for doc in docs}


def run_documented(lines, workdirs: dict) -> dict:
    """Run the documented (document, line) pairs, each in its document's work folder."""
    return run_lines([(doc, line, workdirs[doc]) for doc, line in lines])


def run_python_blocks(doc: str, workdir: Path) -> dict:
    """Exec every ```python block of ``doc`` in ``workdir``; return the namespace."""
    namespace = {"__name__": "__docs__"}
    old = os.getcwd()
    os.chdir(workdir)
    try:
        for i, block in enumerate(python_blocks(doc)):
            exec(compile(block, f"{doc} python block {i + 1}", "exec"), namespace)
    finally:
        os.chdir(old)
    return namespace


SHORT_RUN = {"--until": "2021", "--replications": "2", "--workers": "1"}
SHORT_SENSITIVITY = {"--samples": "2", "--replications": "1", "--workers": "1"}
SENSITIVITY_YEAR = "2016"  # the documented metric's year becomes this (the run stops at it)
# calibrate: two evaluations of one replication, written beside the other redirected output (the
# copy's calibration/fitted.yaml, which the other lines' baseline reads, stays as it is)
SHORT_CALIBRATE = {"--budget": "2", "--replications": "1", "--workers": "1", "--out": "redirected/fitted.yaml"}
SHORT_VALIDATE = {"--replications": "1", "--workers": "1"}
# history matching: one wave of four design points, two members; the ensemble beside the other redirected
# output (the copy's calibration/ensemble.parquet, which the other lines read, stays as it is)
SHORT_HISTORY = {"--waves": "1", "--points": "4", "--replications": "2", "--members": "2", "--workers": "1",
                 "--out": "redirected/ensemble.parquet"}
SHORT_DISCOVER = {"--experiments": "4", "--workers": "1"}
ALIASES = {"-r": "--replications", "-w": "--workers", "-n": "--samples", "-b": "--budget", "-o": "--out"}


def shorten_run(args: list[str], wanted: dict = SHORT_RUN) -> list[str]:
    """Keep a documented command fast: by default --until 2021 --replications 2 --workers 1
    (replacing values)."""
    out, seen, i = [], set(), 0
    while i < len(args):
        opt = ALIASES.get(args[i], args[i])
        if opt in wanted:
            out += [opt, wanted[opt]]
            seen.add(opt)
            i += 2
            continue
        out.append(args[i])
        i += 1
    for opt, value in wanted.items():
        if opt not in seen:
            out += [opt, value]
    return out + ["--quiet"]


def positionals(args: list[str]) -> list[str]:
    """The arguments of a command that are no option or option value (its inputs)."""
    flags = {"--quiet", "-q", "--resume", "--replace", "--allow-other-model", "--json"}
    out, i = [], 1
    while i < len(args):
        if args[i].startswith("-"):
            i += 1 if args[i] in flags else 2
            continue
        out.append(args[i])
        i += 1
    return out


def reads_results(args: list[str]) -> bool:
    """Whether a command reads result folders that other documented commands write (it runs after them)."""
    return args[0] in ("report", "query") or (args[0] == "compare" and any(a.startswith("results/")
                                                                          for a in positionals(args)))


def prepare(line: str, workdir: Path) -> tuple[list[str], Path | None]:
    """argv (without 'cgt-sim') and the file a '> file' redirection writes to."""
    tokens = shlex.split(line, comments=True)
    assert tokens[0] == "cgt-sim"
    args, redirect = tokens[1:], None
    if ">" in args:
        i = args.index(">")
        redirect = workdir / "redirected" / args[i + 1]
        args = args[:i] + args[i + 2:]
    if reads_results(args):
        args = args + ["--quiet"]  # saved results compare as they were run: no run options
    elif args[0] in ("run", "compare", "sweep"):
        args = shorten_run(args)
    elif args[0] == "sensitivity":
        args = shorten_run(args, SHORT_SENSITIVITY)
        i = args.index("--metric") + 1
        args[i] = args[i][:-4] + SENSITIVITY_YEAR
    elif args[0] == "calibrate" and "history-matching" in args:
        args = shorten_run(args, SHORT_HISTORY)
    elif args[0] == "calibrate":
        args = shorten_run(args, SHORT_CALIBRATE)
    elif args[0] == "discover":
        args = shorten_run(["--experiments" if a == "-n" else a for a in args], SHORT_DISCOVER)
        i = args.index("--outcome") + 1
        args[i] = re.sub(r"_\d{4}\b", f"_{SENSITIVITY_YEAR}", args[i])  # the runs stop at the outcome's year
    elif args[0] == "validate":
        args = shorten_run(args, SHORT_VALIDATE)[:-1]  # keep the table: the exit code must agree with it
    return args, redirect


def run_lines(jobs: list[tuple[str, str, Path]]) -> dict:
    """Run (doc, line, workdir) jobs: the commands that read results after the others, each
    group four at a time; return {(doc, line): (args, redirect, process)}."""
    def one(job):
        doc, line, workdir = job
        args, redirect = prepare(line, workdir)
        proc = subprocess.run([sys.executable, "-m", "cgt_sim.cli", *args], cwd=workdir, env=env(),
                              capture_output=True, text=True, timeout=600)
        if redirect is not None:
            redirect.write_text(proc.stdout)
        return (doc, line), (args, redirect, proc)

    done = {}
    later = [j for j in jobs if reads_results(prepare(j[1], j[2])[0])]
    first = [j for j in jobs if j not in later]
    for group in (first, later):
        with ThreadPoolExecutor(max_workers=4) as pool:
            done.update(pool.map(one, group))
    return done


def scenario_of(arg: str, workdir: Path):
    """The scenario a command names: a file of the work folder, or a library scenario."""
    path = workdir / arg
    return cgt_sim.load_scenario(path if path.exists() else arg)


def check_line(line: str, workdir: Path, args: list[str], redirect: Path | None, proc) -> None:
    """A documented command ran as documented, and wrote what it says it writes."""
    command = args[0]
    if command == "calibrate" and "history-matching" in args and proc.returncode == 1:
        assert "no parameter set survived" in proc.stderr  # a documented outcome of two tiny checks
    elif command == "validate" and proc.returncode == 1:
        # a failed check is a documented outcome (exit code 1); with one replication a target may
        # miss by chance (tests/test_targets.py holds the baseline to them): the table must say so
        assert "NO " in proc.stdout and "0 counted check(s) failed" not in proc.stdout, proc.stdout
    else:
        assert proc.returncode == 0, f"{line}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    given = positionals(args)
    if command == "run":
        out = (Path(args[args.index("--out") + 1]) if "--out" in args
               else Path("results") / scenario_of(given[0], workdir).name)
        manifest = json.loads((workdir / out / "manifest.json").read_text())
        assert manifest["replications"] == 2 and manifest["horizon_year"] == 2021
        if "--seed" in args:
            assert manifest["seed"] == int(args[args.index("--seed") + 1])
        for item in (args[i + 1] for i, a in enumerate(args) if a == "--set"):
            assert manifest["scenario"]["origin"][item.split("=")[0]] == "--set"
    elif command == "compare":
        out = Path(args[args.index("--out") + 1]) if "--out" in args else Path("results") / "compare.csv"
        table = pd.read_csv(workdir / out)
        if reads_results(args):
            names = [json.loads((workdir / g / "manifest.json").read_text())["scenario"]["name"] for g in given]
            assert table["scenario"].nunique() == len(names) - 1
        else:
            assert list(table["scenario"].unique()) == [scenario_of(s, workdir).name for s in given[1:]]
        assert set(table["year"]) == {2021}
        if "--report" in args:
            report = workdir / args[args.index("--report") + 1]
            assert (report / "report.md").is_file() and (report / "report.html").is_file()
    elif command == "sensitivity":
        scenario = scenario_of(given[0], workdir)
        out = workdir / "results" / f"{scenario.name}_sensitivity"
        manifest = json.loads((out / "manifest.json").read_text())
        if "--method" in args:
            assert manifest["method"] == args[args.index("--method") + 1]
        assert (manifest["samples"], manifest["replications"]) == (2, 1)
        assert manifest["horizon_year"] == int(SENSITIVITY_YEAR)
        indices = pd.read_csv(out / "indices.csv")
        assert sorted(indices["parameter"]) == sorted(scenario.uncertain)
        assert (out / "indices.png").exists() and (out / "samples.parquet").exists()
    elif command == "sweep":
        out = workdir / "results" / f"{scenario_of(given[0], workdir).name}_sweep"
        table = pd.read_csv(out / "sweep.csv")
        keys = [args[i + 1].split("=")[0] for i, a in enumerate(args) if a == "--grid"]
        assert list(table.columns[:len(keys)]) == keys and set(table["year"]) == {2021}
        assert len(list(out.glob("heatmap_*.png"))) == (table["metric"].nunique() if len(keys) == 2 else 0)
    elif command == "calibrate" and "history-matching" in args:
        report = workdir / "redirected" / "ensemble_report" / "report.md"
        assert report.exists() and proc.returncode in (0, 1)
        assert (workdir / "calibration" / "ensemble.parquet").read_bytes() == (
            ROOT / "calibration" / "ensemble.parquet").read_bytes()
    elif command == "discover":
        out = workdir / "results" / f"{scenario_of(given[0], workdir).name}_discover"
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["experiments"] == 4 and (out / "peeling.png").exists()
    elif command == "calibrate":
        fitted = yaml.safe_load((workdir / "redirected" / "fitted.yaml").read_text())
        free = load_targets(workdir / given[0]).free
        assert list(fitted["parameters"]) == [fp.key for fp in free]
        assert fitted["evaluations"] == 2 and fitted["replications"] == 1
        assert (workdir / "calibration" / "fitted.yaml").read_bytes() == (ROOT / "calibration" / "fitted.yaml").read_bytes()
    elif command == "validate":
        for group in ("chain", "queue", "target", "check", "LoA"):  # a row of each kind
            assert re.search(rf"^\W*{group}\s", proc.stdout, re.MULTILINE), group
    elif command == "report":
        folder = workdir / (args[args.index("--out") + 1] if "--out" in args else Path(given[0]) / "report")
        text = (folder / "report.md").read_text(encoding="utf-8")
        assert (folder / "funnel.png").exists() and (folder / "report.html").exists()
        title = "# cgt-sim 报告：" if "--lang" in args and args[args.index("--lang") + 1] == "zh" else "# cgt-sim report: "
        assert text.startswith(title)
    elif command == "show":
        text = proc.stdout if redirect is None else redirect.read_text()
        for key in CATALOGUE:
            assert f"  {key} = " in text
    elif command == "schema":
        text = proc.stdout if redirect is None else redirect.read_text()
        assert json.loads(text)["title"] == "cgt-sim scenario"
        if redirect is not None:
            assert proc.stdout == redirect.read_text()
    elif command == "scenarios":
        assert "payment_reform" in proc.stdout and "baseline" in proc.stdout
    elif command == "init":
        assert (workdir / given[0] / "scenarios" / "baseline.yaml").is_file()
