from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
import yaml

from solvent.errors import MalformedFileError, PathOutsideRepoError
from solvent.storage.ids import ObjectId
from solvent.tracking.pointer import HEADER, Pointer, parse_pointer, pointer_path_for, read_pointer

OID = ObjectId.from_digest("ab" * 32)
WHERE = PurePosixPath("sub/data.solvent")


def doc(**changes: object) -> bytes:
    fields: dict[str, object] = {
        "path": "data", "id": str(OID), "kind": "dir", "size": 10, "files": 2,
    }  # fmt: skip
    fields.update(changes)
    return yaml.safe_dump({k: v for k, v in fields.items() if v is not ...}).encode()


def test_render_then_parse_round_trips() -> None:
    pointer = Pointer(WHERE, PurePosixPath("sub/data"), OID, "file", 5, 1, executable=True)
    text = pointer.render()
    assert text.startswith(HEADER)
    assert yaml.safe_load(text) == {
        "path": "data", "id": str(OID), "kind": "file", "size": 5, "files": 1, "executable": True,
    }  # fmt: skip
    assert parse_pointer(WHERE, text.encode()) == pointer


def test_the_path_is_relative_to_the_pointer_file() -> None:
    assert parse_pointer(WHERE, doc()).path == PurePosixPath("sub/data")
    assert pointer_path_for(PurePosixPath("sub/data")) == WHERE


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (b"path: [\n", r"sub/data.solvent, line 2: not valid YAML"),
        (b"- a list\n", "expected keys"),
        (b"", "expected keys"),
        (doc(colour="red"), r"unknown key\(s\) \['colour'\]"),
        (doc(id=...), r"missing key\(s\) \['id'\]"),
        (doc(id="deadbeef"), "no algorithm prefix"),
        (doc(kind="symlink"), "kind must be 'file' or 'dir'"),
        (doc(size=-1), "size must be a non-negative integer"),
        (doc(files=True), "files must be a non-negative integer"),
        (doc(size="10"), "size must be a non-negative integer"),
        (doc(path=5), "path must be a string"),
        (doc(executable="yes"), "executable must be true or false"),
    ],
)
def test_malformed_pointer_names_the_file(text: bytes, complaint: str) -> None:
    with pytest.raises(MalformedFileError, match=complaint) as caught:
        parse_pointer(WHERE, text)
    assert caught.value.message.startswith("sub/data.solvent")


@pytest.mark.parametrize("path", ["../../etc", "../../../x", "/etc/passwd", ".."])
def test_pointer_path_must_stay_in_the_repo(path: str) -> None:
    with pytest.raises(PathOutsideRepoError) as caught:
        parse_pointer(WHERE, doc(path=path))
    assert caught.value.message.startswith("sub/data.solvent")
    assert "must stay inside the repo" in caught.value.message


@pytest.mark.parametrize("path", [".", "", "./", "../sub"])
def test_pointer_may_not_name_the_folder_holding_it(path: str) -> None:
    """Else checkout --force would replace that folder, pointer file and all."""
    with pytest.raises(MalformedFileError, match="names the folder holding this pointer file"):
        parse_pointer(WHERE, doc(path=path))


def test_pointer_may_name_a_sibling_folder() -> None:
    assert parse_pointer(WHERE, doc(path="../other")).path == PurePosixPath("other")


def test_yaml_tags_are_not_executed() -> None:
    with pytest.raises(MalformedFileError):
        parse_pointer(WHERE, b"!!python/object/apply:os.system ['true']\n")


def test_read_pointer_reads_from_the_repo(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / WHERE).write_bytes(doc())
    assert read_pointer(tmp_path, WHERE).id == OID
    with pytest.raises(MalformedFileError, match="cannot read"):
        read_pointer(tmp_path, PurePosixPath("nope.solvent"))
