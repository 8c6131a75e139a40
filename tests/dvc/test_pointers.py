"""``.dvc`` files of ``dvc add`` are tracked data: status compares DVC's md5s, checkout
restores from the workspace, the DVC cache or a DVC folder remote, checking md5s."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from tests.dvc.dvcrun import dvc, needs_dvc
from tests.helpers import assert_user_error, commit_all, disk_state, solvent, solvent_ok

pytestmark = needs_dvc


def tracked_by_dvc(root: Path) -> Path:
    """A DVC repo with a file and a folder added, pushed to a folder remote, committed."""
    dvc(root, "init", "-q")
    (root / "data" / "imgs" / "sub").mkdir(parents=True)
    (root / "data" / "raw.csv").write_bytes(b"a,b\r\n1,2\r\n")
    (root / "data" / "imgs" / "a.txt").write_text("alpha\n")
    (root / "data" / "imgs" / "sub" / "b.bin").write_bytes(b"\x00\x01" * 3000)
    dvc(root, "add", "-q", "data/raw.csv", "data/imgs")
    dvc(root, "remote", "add", "-d", "store", "../dvcstore")
    dvc(root, "push", "-q")
    commit_all(root, "DVC data")
    solvent_ok(root, "init")
    return root


def forget_solvent_cache(root: Path) -> None:
    shutil.rmtree(root / ".solvent" / "cache")
    for name in os.listdir(root / ".solvent"):
        if name.startswith("state.db"):
            os.unlink(root / ".solvent" / name)


def test_status_reads_dvc_pointers(git_repo: Path) -> None:
    root = tracked_by_dvc(git_repo)
    assert "up to date" in solvent_ok(root, "status")
    (root / "data" / "imgs" / "a.txt").write_text("changed\n")
    (root / "data" / "imgs" / "c.txt").write_text("new\n")
    (root / "data" / "raw.csv").unlink()
    out = solvent_ok(root, "status")
    assert "data/imgs: modified" in out
    assert "added    data/imgs/c.txt" in out and "modified data/imgs/a.txt" in out
    assert "data/raw.csv: missing" in out
    only = solvent_ok(root, "status", "data/imgs.dvc")
    assert "data/imgs" in only and "raw.csv" not in only


def test_checkout_from_the_dvc_cache_then_from_solvents(git_repo: Path) -> None:
    root = tracked_by_dvc(git_repo)
    want = _contents(root / "data")
    shutil.rmtree(root / "data" / "imgs")
    (root / "data" / "raw.csv").unlink()
    shutil.rmtree(root.parent / "dvcstore")  # only the DVC cache holds the objects
    solvent_ok(root, "checkout")
    assert _contents(root / "data") == want
    # Now in Solvent's cache by blake3 (and kept by gc): no DVC cache needed for the next
    # checkout.
    solvent_ok(root, "gc", "--force")
    shutil.rmtree(root / ".dvc" / "cache")
    shutil.rmtree(root / "data" / "imgs")
    solvent_ok(root, "checkout", "data/imgs")
    assert _contents(root / "data") == want
    assert "up to date" in solvent_ok(root, "status")


def test_checkout_from_a_dvc_folder_remote(git_repo: Path) -> None:
    root = tracked_by_dvc(git_repo)
    want = _contents(root / "data")
    shutil.rmtree(root / ".dvc" / "cache")
    shutil.rmtree(root / "data" / "imgs")
    (root / "data" / "raw.csv").unlink()
    forget_solvent_cache(root)
    solvent_ok(root, "checkout")
    assert _contents(root / "data") == want


def test_a_corrupt_dvc_object_is_refused(git_repo: Path) -> None:
    root = tracked_by_dvc(git_repo)
    shutil.rmtree(root.parent / "dvcstore")
    (root / "data" / "raw.csv").unlink()
    objects = root / ".dvc" / "cache" / "files" / "md5"
    (obj,) = [p for p in objects.rglob("*") if p.is_file() and p.stat().st_size == 10]
    obj.chmod(stat.S_IWUSR | stat.S_IRUSR)
    obj.write_bytes(b"a,b\r\n9,9\r\n")
    solvent_ok(root, "status")  # makes nothing but the state cache
    before = disk_state(root, with_state=False)
    assert_user_error(solvent(root, "checkout", "data/raw.csv"), "md5")
    assert not (root / "data" / "raw.csv").exists()
    after = disk_state(root, with_state=False)
    assert {k: v for k, v in after.items() if k != ".solvent/lock"} == before


def test_data_that_is_nowhere_is_a_clear_error(git_repo: Path) -> None:
    root = tracked_by_dvc(git_repo)
    shutil.rmtree(root.parent / "dvcstore")
    shutil.rmtree(root / ".dvc" / "cache")
    (root / "data" / "raw.csv").unlink()
    assert_user_error(solvent(root, "checkout"), "data/raw.csv", "DVC cache")


def _contents(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".gitignore" and p.suffix != ".dvc"
    }


def test_an_import_dvc_file_stays_dvcs(git_repo: Path) -> None:
    """``dvc import-url`` files are not Solvent's to read: skipped by a plain status, a clear
    error when named."""
    root = tracked_by_dvc(git_repo)
    (root.parent / "external.csv").write_text("x\n")
    dvc(root, "import-url", "-q", str(root.parent / "external.csv"), "ext.csv")
    assert "up to date" in solvent_ok(root, "status")
    assert_user_error(solvent(root, "status", "ext.csv"), "ext.csv.dvc", "import")


def test_a_malformed_dvc_file_is_named(git_repo: Path) -> None:
    root = tracked_by_dvc(git_repo)
    (root / "data" / "raw.csv.dvc").write_text("outs:\n- path: raw.csv\n  size: 10\n")
    solvent_ok(root, "status", "data/imgs")
    before = disk_state(root, with_state=False)
    assert_user_error(solvent(root, "status"), "data/raw.csv.dvc", "no md5")
    assert_user_error(solvent(root, "checkout"), "data/raw.csv.dvc", "no md5")
    after = disk_state(root, with_state=False)
    assert {k: v for k, v in after.items() if k != ".solvent/lock"} == before


def test_an_executable_file_keeps_its_bit(git_repo: Path) -> None:
    """DVC records ``isexec``; checkout restores the bit and a no-op checkout keeps it."""
    dvc(git_repo, "init", "-q")
    tool = git_repo / "tool.sh"
    tool.write_text("#!/bin/sh\necho hi\n")
    tool.chmod(0o755)
    dvc(git_repo, "add", "-q", "tool.sh")
    commit_all(git_repo, "tool")
    solvent_ok(git_repo, "init")
    solvent_ok(git_repo, "checkout")
    assert os.access(tool, os.X_OK)
    tool.unlink()
    solvent_ok(git_repo, "checkout")
    assert os.access(tool, os.X_OK) and tool.read_text() == "#!/bin/sh\necho hi\n"
