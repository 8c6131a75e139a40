"""DVC's md5s of files and folders, as Solvent computes them, against DVC's own."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from solvent.dvc.hashing import Md5Cache, file_md5
from tests.dvc.dvcrun import dvc, dvc_py, needs_dvc
from tests.helpers import git

pytestmark = needs_dvc


def _write_data(root: Path) -> None:
    """Files of every kind the md5s treat differently."""
    (root / "crlf.csv").write_bytes(b"a,b\r\n1,2\r\n" * 3)
    (root / "binary.bin").write_bytes(bytes(range(256)) * 5)
    (root / "empty.txt").write_bytes(b"")
    # Over one 1 MiB chunk, with a CRLF across the chunk border and a binary second chunk.
    big = b"x" * ((1 << 20) - 1) + b"\r\n" + b"\x00\x01\r\n" * 1000
    (root / "big.txt").write_bytes(big)
    folder = root / "images"
    (folder / "sub" / "deeper").mkdir(parents=True)
    (folder / "a.txt").write_text("alpha\n")
    (folder / "sub" / "b.bin").write_bytes(b"\x00\xff" * 100)
    (folder / "sub" / "deeper" / "ünïcode name.txt").write_text("c\r\n")
    (folder / "empty-dir").mkdir()
    (folder / "z-last.txt").write_text("z")


def test_md5_of_files_and_folders_equals_dvc_add(git_repo: Path) -> None:
    dvc(git_repo, "init", "-q")
    _write_data(git_repo)
    names = ["crlf.csv", "binary.bin", "empty.txt", "big.txt", "images"]
    dvc(git_repo, "add", "-q", *names)
    md5s = Md5Cache(git_repo / "state.db")
    for name in names:
        (out,) = yaml.safe_load((git_repo / f"{name}.dvc").read_text())["outs"]
        ours = md5s.path(str(git_repo / name))
        assert ours is not None
        assert (ours.md5, ours.size, ours.nfiles) == (out["md5"], out["size"], out.get("nfiles"))
    assert md5s.hashed == 4 + 4  # four files, four in the folder
    again = Md5Cache(git_repo / "state.db")  # a later command: read from the state cache
    assert [again.path(str(git_repo / n)) for n in names] == [md5s.path(str(git_repo / n))
                                                              for n in names]  # fmt: skip
    assert again.hashed == 0
    assert again.path(str(git_repo / "missing")) is None


def test_dvc2_md5_dos2unix_equals_dvc_data(git_repo: Path) -> None:
    _write_data(git_repo)
    names = ["crlf.csv", "binary.bin", "empty.txt", "big.txt"]
    code = (
        "import json\nfrom dvc_data.hashfile.hash import file_md5\n"
        f"print(json.dumps({{n: file_md5(n, name='md5-dos2unix') for n in {names!r}}}))"
    )
    theirs = json.loads(dvc_py(git_repo, code))
    ours = {n: file_md5(git_repo / n, legacy=True) for n in names}
    assert ours == theirs
    assert ours["crlf.csv"] != file_md5(git_repo / "crlf.csv")  # text: CRLF counted as LF
    assert ours["binary.bin"] == file_md5(git_repo / "binary.bin")


def test_dvc_lock_md5s_equal_ours(git_repo: Path) -> None:
    """``dvc repro``'s lock records the same md5s for deps and outs, files and folders."""
    dvc(git_repo, "init", "-q")
    _write_data(git_repo)
    (git_repo / "dvc.yaml").write_text(
        "stages:\n  copy:\n    cmd: cp -r images copied && cp crlf.csv out.csv\n"
        "    deps: [images, crlf.csv]\n    outs: [copied, out.csv]\n"
    )
    git(git_repo, "add", "-A")
    dvc(git_repo, "repro", "-q")
    entry = yaml.safe_load((git_repo / "dvc.lock").read_text())["stages"]["copy"]
    md5s = Md5Cache(git_repo / "state.db")
    for item in [*entry["deps"], *entry["outs"]]:
        ours = md5s.path(str(git_repo / item["path"]))
        assert ours is not None
        assert (ours.md5, ours.size, ours.nfiles) == (item["md5"], item["size"], item.get("nfiles"))


def test_dvcignore_patterns_are_left_out_as_dvc_leaves_them(git_repo: Path) -> None:
    dvc(git_repo, "init", "-q")
    _write_data(git_repo)
    with (git_repo / ".dvcignore").open("a") as f:
        f.write("*.bin\n!images/keep.bin\nimages/sub/deeper/\n")
    (git_repo / "images" / "keep.bin").write_bytes(b"\x01")
    (git_repo / "images" / "drop.bin").write_bytes(b"\x02")
    dvc(git_repo, "add", "-q", "images")
    (out,) = yaml.safe_load((git_repo / "images.dvc").read_text())["outs"]
    ours = Md5Cache(git_repo / "state.db", git_repo).path(str(git_repo / "images"))
    assert ours is not None
    assert (ours.md5, ours.size, ours.nfiles) == (out["md5"], out["size"], out["nfiles"])
    assert out["nfiles"] == 3  # a.txt, keep.bin, z-last.txt
    plain = Md5Cache(git_repo / "state.db").path(str(git_repo / "images"))
    assert plain is not None and plain.md5 != ours.md5
