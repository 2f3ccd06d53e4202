"""Results say which code made them: the version (git tags) and a fingerprint of the model's
source; a resume over, or a comparison with, results of other model code is refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import cgt_sim
from cgt_sim.checkpoint import KEY_FILE, Checkpoint, identity, partial_path
from cgt_sim.errors import OptionError, ScenarioError
from cgt_sim.provenance import MODEL_SOURCES, fingerprint, model_fingerprint
from cgt_sim.runner import resolve, tables

PACKAGE = Path(cgt_sim.__file__).parent
SHORT = dict(replications=2, seed=3, until=2016, workers=1)


def test_the_version_is_the_installed_one():
    from importlib.metadata import version

    assert cgt_sim.__version__ == version("cgt-sim") and cgt_sim.__version__ != "0.1.0"


def test_the_fingerprint_follows_the_model_source_and_nothing_else(tmp_path):
    copy = tmp_path / "cgt_sim"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert fingerprint(copy) == model_fingerprint() == fingerprint(PACKAGE)
    assert len(model_fingerprint()) == 16 and int(model_fingerprint(), 16) >= 0
    (copy / "cli" / "run.py").write_text("# not the model\n", encoding="utf-8")  # a command: same model
    (copy / "storage.py").write_text("# nor this\n", encoding="utf-8")
    assert fingerprint(copy) == model_fingerprint()
    logistics = copy / "model" / "logistics.py"
    logistics.write_bytes(logistics.read_bytes().replace(b"\n", b"\r\n"))  # line ends of a Windows checkout
    assert fingerprint(copy) == model_fingerprint()
    for pattern in MODEL_SOURCES:
        changed = tmp_path / pattern.replace("*", "x")
        shutil.rmtree(tmp_path / "c", ignore_errors=True)
        shutil.copytree(PACKAGE, tmp_path / "c", ignore=shutil.ignore_patterns("__pycache__"))
        target = next((tmp_path / "c").glob(pattern))
        target.write_text(target.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
        assert fingerprint(tmp_path / "c") != model_fingerprint(), changed


def test_a_result_records_the_code_that_made_it(tmp_path):
    res = cgt_sim.run("baseline", **SHORT)
    assert res.manifest["package_version"] == cgt_sim.__version__
    assert res.manifest["model_fingerprint"] == model_fingerprint()
    saved = json.loads((res.save(tmp_path / "r") / "manifest.json").read_text())
    assert saved["model_fingerprint"] == model_fingerprint()


def _other_model(manifest_or_key: Path) -> None:
    data = json.loads(manifest_or_key.read_text())
    data["model_fingerprint"] = "0123456789abcdef"
    manifest_or_key.write_text(json.dumps(data))


def test_resume_refuses_a_result_of_other_model_code_unless_allowed(tmp_path):
    out = tmp_path / "out"
    first = cgt_sim.run("baseline", out=out, **SHORT)
    _other_model(out / "manifest.json")
    with pytest.raises(OptionError) as refused:
        cgt_sim.run("baseline", out=out, resume=True, **{**SHORT, "replications": 3})
    assert refused.value.line() == (
        f"resume: {out} was made by other model code (model fingerprint 0123456789abcdef, not "
        f"{model_fingerprint()}), by cgt-sim {cgt_sim.__version__}; run them again with this code (delete it, or "
        "choose another `out`), or add `allow_other_model` to take them as they are")
    more = cgt_sim.run("baseline", out=out, resume=True, allow_other_model=True, **{**SHORT, "replications": 3})
    assert more.manifest["resumed_replications"] == 2
    assert more.manifest["resumed_model_fingerprint"] == "0123456789abcdef"
    assert more.annual[more.annual["replication"] < 2].reset_index(drop=True).equals(first.annual)


def test_resume_refuses_parts_of_other_model_code(tmp_path):
    out = tmp_path / "out"
    sc = resolve("baseline", until=2016)
    store = Checkpoint(out)
    store.start(identity(sc, 3), resume=False)
    from cgt_sim.model.world import simulate

    store.write([0], tables([simulate(sc, 0, 3)]))
    key = partial_path(out) / KEY_FILE
    del_key = json.loads(key.read_text())
    del del_key["model_fingerprint"]  # parts of a cgt-sim that did not record its model
    key.write_text(json.dumps(del_key))
    with pytest.raises(OptionError, match="did not record its model code"):
        cgt_sim.run(sc, out=out, resume=True, **{**SHORT, "until": None})
    res = cgt_sim.run(sc, out=out, resume=True, allow_other_model=True, **{**SHORT, "until": None})
    assert res.manifest["resumed_replications"] == 1 and res.manifest["resumed_model_fingerprint"] == "None"
    assert res == cgt_sim.run(sc, **{**SHORT, "until": None})


def test_compare_refuses_results_of_other_model_code_unless_allowed(tmp_path):
    a = cgt_sim.run("baseline", **SHORT).save(tmp_path / "a")
    b = cgt_sim.run("faster_approval", **SHORT).save(tmp_path / "b")
    _other_model(b / "manifest.json")
    with pytest.raises(ScenarioError, match=r"^compare: faster_approval was made by other model code \(model "
                                            r"fingerprint 0123456789abcdef, where baseline has [0-9a-f]{16}\).*"
                                            "`allow_other_model`$"):
        cgt_sim.compare([a, b])
    table = cgt_sim.compare([a, b], allow_other_model=True)
    assert set(table["scenario"]) == {"faster_approval"}
    with pytest.raises(OptionError, match="^allow_other_model: applies to saved results"):
        cgt_sim.compare(["baseline", "faster_approval"], allow_other_model=True, replications=2, until=2016)
