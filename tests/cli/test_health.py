"""``solvent profile / drift / leakage`` end to end: real files, the real CLI, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.helpers import (
    assert_user_error,
    commit_all,
    disk_state,
    git,
    solvent,
    solvent_ok,
)

FINDING = 3


def table(n: int, shift: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cities = [0.5 - shift / 4, 0.3, 0.2 + shift / 4]
    return pd.DataFrame(
        {
            "age": rng.normal(40 + 10 * shift, 10, n),
            "income": rng.lognormal(10 + shift, 1, n),
            "city": rng.choice(["paris", "rome", "oslo"], n, p=cities),
            "member": rng.random(n) < 0.4,
        }
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("files")
    table(3000).to_parquet(tmp_path / "ref.parquet")
    table(3000, shift=1.0, seed=1).to_csv(tmp_path / "cur.csv", index=False)
    table(3000, seed=2).to_json(tmp_path / "same.jsonl", orient="records", lines=True)
    return tmp_path


def test_profile_prints_schema_and_statistics(files: Path) -> None:
    out = solvent_ok(files, "profile", "ref.parquet")
    assert "3000 rows, 4 columns" in out
    for word in ("age", "float64", "city", "string", "member", "bool"):
        assert word in out
    doc = json.loads(solvent_ok(files, "profile", "cur.csv", "--json"))
    assert doc["rows"] == 3000 and [c["name"] for c in doc["columns"]][:2] == ["age", "income"]
    assert doc["columns"][2]["domain"] == ["oslo", "paris", "rome"]


def test_drift_detects_the_shift_and_exits_3(files: Path) -> None:
    proc = solvent(files, "drift", "ref.parquet", "cur.csv", "--json")
    assert proc.returncode == FINDING, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["dataset_drift"] and doc["drifted"] >= 2
    by = {c["name"]: c for c in doc["columns"]}
    ref, cur = pd.read_parquet(files / "ref.parquet"), pd.read_csv(files / "cur.csv")
    expected = stats.wasserstein_distance(ref["age"], cur["age"]) / np.std(ref["age"])
    assert by["age"]["test"] == "wasserstein"
    assert abs(by["age"]["statistic"] - expected) < 1e-9
    assert by["city"]["test"] == "jensenshannon" and by["age"]["psi"] > 0.1


def test_no_drift_exits_0_with_a_readable_table(files: Path) -> None:
    out = solvent_ok(files, "drift", "ref.parquet", "same.jsonl")
    assert "no dataset drift" in out and "wasserstein" in out


def test_overrides_small_data_and_reported_schema_change(files: Path) -> None:
    table(400).to_csv(files / "small_ref.csv", index=False)
    cur = table(600, seed=5).drop(columns=["member"]).assign(extra=1)
    cur.to_csv(files / "small_cur.csv", index=False)
    proc = solvent(
        files, "drift", "small_ref.csv", "small_cur.csv", "--json",
        "--test", "income=psi", "--threshold", "age=0.01",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    by = {c["name"]: c for c in doc["columns"]}
    assert by["age"]["test"] == "ks" and by["age"]["threshold"] == 0.01
    assert by["income"]["test"] == "psi" and by["city"]["test"] == "chisquare"
    assert doc["schema"]["added"] == ["extra"] and doc["schema"]["removed"] == ["member"]
    assert doc["row_alert"] and doc["row_change"] == pytest.approx(0.5)


def test_leakage_counts_shared_and_duplicate_rows(tmp_path: Path) -> None:
    train = pd.DataFrame({"id": range(100), "x": [i % 10 for i in range(100)]})
    test = pd.concat([train.iloc[95:], pd.DataFrame({"id": [200, 201, 201], "x": [1, 2, 2]})])
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_parquet(tmp_path / "test.parquet")
    proc = solvent(tmp_path, "leakage", "test.parquet", "train.csv", "--json")
    assert proc.returncode == FINDING, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["shared"] == 5 and doc["a"]["duplicated"] == 1 and doc["b"]["duplicated"] == 0
    assert doc["examples"][0] == {"id": 95, "x": 5}
    proc = solvent(tmp_path, "leakage", "test.parquet", "train.csv", "--key", "x")
    assert proc.returncode == FINDING and "8 of 8 rows" in proc.stdout
    assert "90 of 100 rows of train.csv repeat an earlier row" in proc.stdout


def test_path_at_rev_reads_the_tracked_version_and_profiles_it_once(repo: Path) -> None:
    table(2000).to_csv(repo / "data.csv", index=False)
    solvent_ok(repo, "add", "data.csv")
    commit_all(repo, "v1")
    table(2000, shift=1.0, seed=1).to_csv(repo / "data.csv", index=False)
    solvent_ok(repo, "add", "data.csv")
    commit_all(repo, "v2")
    proc = solvent(repo, "drift", "data.csv@HEAD~1", "data.csv", "--json")
    assert proc.returncode == FINDING, proc.stderr
    assert json.loads(proc.stdout)["reference"]["label"] == "data.csv@HEAD~1"
    first = json.loads(solvent_ok(repo, "profile", "data.csv@HEAD~1", "--json"))
    stored = list((repo / ".solvent" / "cache" / "profiles").rglob("*.json"))
    assert len(stored) == 1
    stored[0].write_text(stored[0].read_text().replace('"rows": 2000', '"rows": 1999'))
    again = json.loads(solvent_ok(repo, "profile", "data.csv@HEAD~1", "--json"))
    assert first["rows"] == 2000 and again["rows"] == 1999  # read back, not recomputed
    solvent_ok(repo, "profile", "data.csv")  # the workspace file: stored by its content id
    assert len(list((repo / ".solvent" / "cache" / "profiles").rglob("*.json"))) == 2
    assert "profiles" not in git(repo, "status", "--porcelain")


def test_path_at_rev_finds_a_pipeline_out_in_the_lock(repo: Path) -> None:
    (repo / "solvent.yaml").write_text(
        "stages:\n  make:\n    cmd: printf 'a,b\\n1,x\\n2,y\\n' > out.csv\n    outs: [out.csv]\n"
    )
    solvent_ok(repo, "repro")
    commit_all(repo, "run")
    (repo / "out.csv").unlink()
    doc = json.loads(solvent_ok(repo, "profile", "out.csv@HEAD", "--json"))
    assert doc["rows"] == 2 and doc["columns"][1]["domain"] == ["x", "y"]


def test_path_at_rev_finds_a_file_inside_a_tracked_folder(repo: Path) -> None:
    (repo / "data").mkdir()
    table(300).to_parquet(repo / "data" / "part-0.parquet")
    solvent_ok(repo, "add", "data")
    commit_all(repo, "v1")
    (repo / "data" / "part-0.parquet").unlink()
    doc = json.loads(solvent_ok(repo, "profile", "data/part-0.parquet@HEAD", "--json"))
    assert doc["rows"] == 300 and doc["source"] == "data/part-0.parquet@HEAD"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["profile", "nope.csv"], "nope.csv: no such file"),
        (["profile", "notes.txt"], "unknown data format '.txt'"),
        (["profile", "broken.parquet"], "cannot read as Parquet"),
        (["profile", "empty.csv"], "has no rows"),
        (["drift", "a.csv", "other.csv"], "no column in common"),
        (["drift", "a.csv", "a.csv", "--test", "v=magic"], "unknown test 'magic'"),
        (["drift", "a.csv", "a.csv", "--threshold", "v"], "expected COL=VALUE"),
        (["drift", "a.csv", "a.csv", "--html", "no/dir/r.html"], "no such folder"),
        (["leakage", "a.csv", "a.csv", "--key", "w"], "has no column 'w'"),
        (["drift", "data.csv@HEAD", "a.csv"], "data.csv is not tracked at HEAD"),
        (["drift", "a.csv@nosuchrev", "a.csv"], "unknown git revision"),
        (["profile", "sub"], "sub is a folder"),
    ],
)
def test_bad_input_is_one_clear_error_and_changes_nothing(
    bad_inputs: Path, args: list[str], needle: str
) -> None:
    before = disk_state(bad_inputs, with_state=False)  # the state cache may learn ids
    assert_user_error(solvent(bad_inputs, *args), needle)
    assert disk_state(bad_inputs, with_state=False) == before


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One repo holding a file of each bad kind, shared by the cases (none may change it)."""
    root = tmp_path_factory.mktemp("bad")
    git(root, "init", "-q", "-b", "main")
    solvent_ok(root, "init")
    (root / "notes.txt").write_text("hello\n")
    (root / "broken.parquet").write_bytes(b"PAR1 but not really")
    (root / "empty.csv").write_text("a,b\n")
    (root / "a.csv").write_text("v\n1\n2\n")
    (root / "other.csv").write_text("w\n1\n")
    (root / "sub").mkdir()
    (root / "sub" / "x.csv").write_text("v\n1\n")
    commit_all(root, "inputs")
    return root


def test_startup_loads_none_of_the_health_libraries() -> None:
    """Nor does registering every command (root help does): model health included."""
    code = (
        "import sys, solvent.cli.app as a; a.register(); "
        "print(sorted({'numpy', 'pandas', 'pyarrow', 'scipy', 'sklearn', 'joblib'}"
        " & set(sys.modules)))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_missing_extra_says_how_to_install_it(files: Path) -> None:
    code = (
        "import sys; sys.modules['scipy'] = None; from solvent.cli import main; "
        "sys.argv = ['solvent', 'drift', 'ref.parquet', 'cur.csv']; main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=files, capture_output=True, text=True, check=False
    )
    assert_user_error(proc, "needs scipy")
    assert "pip install 'solvent[health]'" in proc.stderr
