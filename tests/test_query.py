"""Results as a dataset: lazy reading, filtered program rows, a streaming summary, earlier
results, and SQL over one or more results (``cgt_sim.query``, ``cgt-sim query``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import check_error

import cgt_sim
from cgt_sim import results as results_module
from cgt_sim.errors import CgtSimError, OptionError
from cgt_sim.storage import write_manifest

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def two(tmp_path_factory) -> tuple[Path, Path]:
    """Two saved baseline results to 2019 (seeds 1 and 2; 3 and 2 replications), in folders
    named ``a`` and ``b``."""
    base = tmp_path_factory.mktemp("two")
    for name, seed, n in (("a", 1, 3), ("b", 2, 2)):
        cgt_sim.run(BASELINE, replications=n, seed=seed, until=2019, executor="serial", out=base / name)
    return base / "a", base / "b"


def test_a_result_read_from_a_folder_is_the_result_run_in_memory(two):
    """Bit for bit: the run with a folder (its parts, read back lazily) and the run without."""
    held = cgt_sim.run(BASELINE, replications=3, seed=1, until=2019, executor="serial")
    read = cgt_sim.load_results(two[0])
    assert read.path == two[0] and read._held["annual"] is None  # opened, nothing read yet
    assert read == held
    pd.testing.assert_frame_equal(read.summary(), held.summary())
    assert pd.read_csv(two[0] / "summary.csv").equals(pd.read_csv(two[0] / "summary.csv"))


def test_programs_where_reads_the_rows_asked_for(two):
    res = cgt_sim.load_results(two[0])
    programs = res.programs
    got = res.programs_where({"modality": "autologous_car_t", "replication": [0, 2]},
                             columns=["replication", "program_id", "cluster"])
    want = programs[(programs["modality"] == "autologous_car_t") & programs["replication"].isin([0, 2])]
    pd.testing.assert_frame_equal(got, want[["replication", "program_id", "cluster"]].reset_index(drop=True))
    assert len(got) > 0 and set(got["replication"]) == {0, 2}
    import pyarrow.dataset as ds

    late = res.programs_where(ds.field("arrival_year") >= 2018)
    pd.testing.assert_frame_equal(late, programs[programs["arrival_year"] >= 2018].reset_index(drop=True))
    with pytest.raises(OptionError, match="where: unknown column 'colour'; the programs table has replication"):
        res.programs_where({"colour": "red"})
    with pytest.raises(OptionError, match="columns: unknown column 'colour'"):
        res.programs_where(columns=["colour"])
    # a result held in memory filters alike
    held = cgt_sim.ResultSet(res.annual, programs, res.products, dict(res.manifest), res.sampled)
    pd.testing.assert_frame_equal(held.programs_where({"modality": "autologous_car_t", "replication": [0, 2]},
                                                      columns=["replication", "program_id", "cluster"]), got)


def test_the_summary_read_in_blocks_is_the_summary_of_the_whole_table(two, monkeypatch):
    res = cgt_sim.load_results(two[0])
    whole = results_module.summarise(res.annual, res.metrics)
    monkeypatch.setattr(results_module, "SUMMARY_BLOCK", 3)
    pd.testing.assert_frame_equal(cgt_sim.load_results(two[0]).summary(), whole)
    pd.testing.assert_frame_equal(pd.read_csv(two[0] / "summary.csv"), whole.astype({"year": "int64"}),
                                  check_dtype=False, rtol=1e-12)


def test_a_result_of_an_earlier_version_still_opens(two, tmp_path):
    """A file per table and no layout in the manifest: read as before; a save writes the dataset."""
    res = cgt_sim.load_results(two[0])
    old = tmp_path / "old"
    old.mkdir()
    for name in ("annual", "programs", "products"):
        getattr(res, name).to_parquet(old / f"{name}.parquet", index=False)
    (old / "summary.csv").write_bytes((two[0] / "summary.csv").read_bytes())
    write_manifest(old, res.manifest)
    back = cgt_sim.load_results(old)
    assert back == res
    assert cgt_sim.query(old, "SELECT count(*) AS n FROM programs")["n"][0] == len(res.programs)
    copy = back.save(tmp_path / "new")
    assert sorted(p.name for p in copy.iterdir()) == ["annual", "manifest.json", "products", "programs", "sampled",
                                                      "summary.csv"]
    assert cgt_sim.load_results(copy) == res


def test_query_over_one_result_is_a_pandas_computation(two):
    res = cgt_sim.load_results(two[0])
    got = cgt_sim.query(two[0], "SELECT year, avg(cumulative_approvals) AS mean FROM annual GROUP BY year "
                                "ORDER BY year")
    want = res.annual.groupby("year")["cumulative_approvals"].mean()
    assert "result" not in got.columns
    assert got["year"].tolist() == want.index.tolist()
    np.testing.assert_allclose(got["mean"], want.to_numpy(), rtol=1e-12)


def test_query_over_several_results_has_a_result_column(two):
    got = cgt_sim.query(list(two), "SELECT result, count(DISTINCT replication) AS n, count(*) AS rows "
                                   "FROM programs GROUP BY result ORDER BY result")
    assert got["result"].tolist() == ["a", "b"] and got["n"].tolist() == [3, 2]
    assert got["rows"].tolist() == [len(cgt_sim.load_results(d).programs) for d in two]
    # a join across tables: time from arrival to approval of the approved products
    joined = cgt_sim.query(list(two), "SELECT d.result, median(d.approval_day - p.arrival_day) AS days "
                                      "FROM products d JOIN programs p USING (result, replication, program_id) "
                                      "GROUP BY d.result ORDER BY d.result")
    for label, folder in zip(("a", "b"), two):
        r = cgt_sim.load_results(folder)
        m = r.products.merge(r.programs[["replication", "program_id", "arrival_day"]],
                             on=["replication", "program_id"])
        days = joined.loc[joined["result"] == label, "days"]
        if len(m):
            assert float(days.iloc[0]) == pytest.approx(float((m["approval_day"] - m["arrival_day"]).median()))


def test_results_of_one_name_are_told_apart_by_their_paths(two, tmp_path):
    import shutil

    shutil.copytree(two[0], tmp_path / "x" / "a")
    got = cgt_sim.query([two[0], tmp_path / "x" / "a"], "SELECT DISTINCT result FROM sampled ORDER BY result")
    assert sorted(got["result"]) == sorted([str(two[0]), str(tmp_path / "x" / "a")])


def test_query_writes_a_new_file_and_refuses_what_it_cannot_do(two, tmp_path):
    sql = "SELECT replication, year, new_programs FROM annual ORDER BY replication, year"
    frame = cgt_sim.query(two[0], sql, out=tmp_path / "q.csv")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "q.csv"), frame, check_dtype=False)
    cgt_sim.query(two[0], sql, out=tmp_path / "q.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "q.parquet"), frame)
    with pytest.raises(CgtSimError, match=r"q.csv: exists \(nothing was written\)"):
        cgt_sim.query(two[0], sql, out=tmp_path / "q.csv")
    with pytest.raises(OptionError, match=r"out: must end in .csv or .parquet"):
        cgt_sim.query(two[0], sql, out=tmp_path / "q.txt")
    with pytest.raises(OptionError, match=r"^sql: .*nope.* \(the views are annual, programs, products, sampled\)$"):
        cgt_sim.query(two[0], "SELECT * FROM nope")
    with pytest.raises(CgtSimError, match="is given twice"):
        cgt_sim.query([two[0], two[0]], sql)
    with pytest.raises(FileNotFoundError):
        cgt_sim.query(tmp_path, sql)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.csv", "q.parquet"]


def test_the_query_command(two, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cgt_sim.cli import app

    monkeypatch.chdir(tmp_path)
    sql = "SELECT result, count(*) AS n FROM sampled GROUP BY result ORDER BY result"
    done = CliRunner().invoke(app, ["query", str(two[0]), str(two[1]), sql])
    assert done.exit_code == 0, done.output
    assert "a" in done.stdout and "3" in done.stdout and "2 rows" in done.stdout
    done = CliRunner().invoke(app, ["query", str(two[0]), str(two[1]), sql, "--out", "n.csv"])
    assert done.exit_code == 0 and "2 rows written to n.csv" in done.stdout
    assert pd.read_csv(tmp_path / "n.csv").to_dict("list") == {"result": ["a", "b"], "n": [3, 2]}
    for args, fragments in ((["query", str(two[0]), "SELECT * FROM nope"], ["sql: ", "nope"]),
                            (["query", "SELECT 1"], ["give one or more result folders"]),
                            # bad input (2), not a refusal of the system (3)
                            (["query", "nothere", sql], ["error: nothere: no such folder"]),
                            (["query", str(tmp_path), sql], [f"{tmp_path}: is not a cgt-sim result folder"]),
                            (["query", str(two[0]), sql, "--out", "n.csv"], ["n.csv: exists"])):
        done = CliRunner().invoke(app, args)
        check_error(done.exit_code, done.stdout, done.stderr, fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.csv"]


def test_the_manifest_names_the_parts_and_a_damaged_layout_is_refused(two, tmp_path):
    import shutil

    folder = tmp_path / "r"
    shutil.copytree(two[0], folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    parts = manifest["layout"]["parts"]
    assert parts[0][0] == 0 and parts[-1][1] == 2
    assert [p.name for p in sorted((folder / "programs").iterdir())] == [
        f"part-{a:06d}-{b:06d}.parquet" for a, b in parts]
    manifest["layout"]["parts"] = [[0, 2], [1, 2]]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CgtSimError, match="claims replications 0-2 out of order or twice"):
        cgt_sim.load_results(folder)
