"""Undeclared reads and writes, and outside data, as the doctor reports them from traced runs."""

from __future__ import annotations

from pathlib import Path

from tests.doctor.tiny import committed, findings, write
from tests.helpers import solvent_ok

SPEC = """\
stages:
  train:
    cmd: python train.py
    deps: [train.py, data.csv]
    outs: [model.pkl]
"""


def test_reads_and_writes_beyond_the_spec_until_the_spec_declares_them(
    repo: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "shared" / "labels.csv"
    shared.parent.mkdir()
    shared.write_text("y\n1\n")
    train = (
        "open('data.csv').read()\n"
        "open('extra.csv').read()\n"
        f"open({str(shared)!r}).read()\n"
        "open('side.txt', 'w').write('x')\n"
        "open('model.pkl', 'w').write('m')\n"
    )
    committed(repo, {"solvent.yaml": SPEC, "train.py": train, "data.csv": "a\n1\n",
                     "extra.csv": "b\n2\n", "requirements.txt": "x==1\n"})  # fmt: skip
    solvent_ok(repo, "repro")
    found = findings(repo, "undeclared-read", "undeclared-write", "outside-input")
    got = {(f["code"], f["file"], f["line"], f["subject"]) for f in found}
    assert got == {
        ("undeclared-read", "train.py", 2, "extra.csv"),
        ("undeclared-write", "train.py", 4, "side.txt"),
        ("outside-input", "train.py", 3, str(shared)),
    }
    # Declared since: no rerun needed for the doctor to agree.
    write(repo, {"solvent.yaml": SPEC.replace("data.csv]", "data.csv, extra.csv]").replace(
        "outs: [model.pkl]", "outs: [model.pkl, side.txt]")})  # fmt: skip
    assert findings(repo, "undeclared-read", "undeclared-write") == []
