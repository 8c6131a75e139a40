from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from solvent.errors import MalformedFileError, PathOutsideRepoError
from solvent.storage.ids import ObjectId
from solvent.tracking.pointer import (
    HEADER,
    Pointer,
    _plain_doc,
    parse_pointer,
    pointer_path_for,
    read_pointer,
)

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


@pytest.mark.parametrize("path", ["../other", "../train.py", "data/x", "./other"])
def test_pointer_names_only_the_data_it_is_named_for(path: str) -> None:
    """``evil.solvent`` with ``path: train.py`` would make checkout --force replace code."""
    with pytest.raises(MalformedFileError, match="not the data this pointer file is named for"):
        parse_pointer(WHERE, doc(path=path))
    assert parse_pointer(WHERE, doc(path="./data")).path == PurePosixPath("sub/data")


def test_yaml_tags_are_not_executed() -> None:
    with pytest.raises(MalformedFileError):
        parse_pointer(WHERE, b"!!python/object/apply:os.system ['true']\n")


def test_read_pointer_reads_from_the_repo(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / WHERE).write_bytes(doc())
    assert read_pointer(tmp_path, WHERE).id == OID
    with pytest.raises(MalformedFileError, match="cannot read"):
        read_pointer(tmp_path, PurePosixPath("nope.solvent"))


# -- the plain-line fast path must read exactly what YAML reads ----------------------------

_WORDS = ["yes", "No", "ON", "off", "true", "False", "null", "NULL", "y", "n", "~", ".nan"]
_VALUES = st.one_of(
    st.sampled_from(_WORDS),
    st.text("aZ_09.-:# '\"\t", min_size=0, max_size=8),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,12}", fullmatch=True),
    st.integers(-3, 10**19).map(str),
    st.sampled_from(["0", "00", "012", "1_000", "0x1F", "1e3", "true", "dir", "file"]),
    st.just(str(OID)),
)
_KEYS = st.sampled_from(["path", "id", "kind", "size", "files", "executable", "other"])


@given(
    st.lists(st.tuples(_KEYS, _VALUES), max_size=7),
    st.sampled_from(["", HEADER, "# note\n"]),
    st.sampled_from(["\n", "\r\n"]),
)
@settings(max_examples=400)
def test_plain_lines_read_as_yaml_reads_them(
    pairs: list[tuple[str, str]], header: str, newline: str
) -> None:
    text = (header + newline.join(f"{k}: {v}" for k, v in pairs) + newline).encode()
    fast = _plain_doc(text)
    if fast is None:
        return  # YAML reads it
    assert fast == (yaml.safe_load(text) or {})


@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,20}", fullmatch=True), st.booleans())
def test_rendered_pointers_take_the_fast_path(name: str, executable: bool) -> None:
    pointer = Pointer(PurePosixPath(f"{name}.solvent"), PurePosixPath(name), OID, "file", 5, 1,
                      executable)  # fmt: skip
    text = pointer.render().encode()
    if name not in yaml.safe_dump(name):  # YAML had to quote it: not plain
        assert _plain_doc(text) is None or _plain_doc(text) == yaml.safe_load(text)
        return
    assert _plain_doc(text) == yaml.safe_load(text)
    assert parse_pointer(pointer.where, text) == pointer


@given(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
    | st.sampled_from(["yes", "No", "null", "a b", "é", "-x", "1e3", "x:y"]),
    st.sampled_from(["file", "dir"]),
    st.integers(0, 10**18),
    st.booleans(),
)
def test_plain_render_writes_what_yaml_writes(
    name: str, kind: str, size: int, executable: bool
) -> None:
    pointer = Pointer(PurePosixPath(f"{name}.solvent"), PurePosixPath(name), OID, kind, size,  # type: ignore[arg-type]
                      3, executable)  # fmt: skip
    fields: dict[str, object] = {
        "path": name, "id": str(OID), "kind": kind, "size": size, "files": 3,
    }  # fmt: skip
    if executable:
        fields["executable"] = True
    assert pointer.render() == HEADER + yaml.safe_dump(fields, sort_keys=False)
