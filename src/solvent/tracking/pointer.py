"""Pointer files (``<path>.solvent``): the small, committed record of a tracked path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from solvent.errors import MalformedFileError, PathOutsideRepoError
from solvent.git import POINTER_SUFFIX
from solvent.paths import check_relative
from solvent.storage.ids import ObjectId
from solvent.yaml_guard import check_size

PointerKind = Literal["file", "dir"]
HEADER = (
    "# Data tracked by Solvent. The bytes are in the cache: 'solvent checkout' restores them.\n"
)
_KEYS = {"path", "id", "kind", "size", "files"}
_OPTIONAL = {"executable", "source"}


@dataclass(frozen=True, slots=True)
class ImportSource:
    """Where imported data came from (``solvent import``), so ``solvent update`` can refresh
    it: another repo's ``url``, the tracked ``path`` in it, the ``rev`` asked for (None: its
    default branch) and the ``commit`` that rev named at the last import or update."""

    url: str
    path: str
    rev: str | None
    commit: str

    def to_doc(self) -> dict[str, str]:
        doc = {"url": self.url, "path": self.path}
        if self.rev is not None:
            doc["rev"] = self.rev
        doc["commit"] = self.commit
        return doc


@dataclass(frozen=True, slots=True)
class UrlSource:
    """Where data imported from a URL came from (``solvent import-url``): a local path or
    an fsspec URL (``s3://``, ``https://``), and what the source was when last fetched: its
    ``etag`` (and ``version_id`` on a versioned bucket) where the server gives one, else the
    ``checksum`` of its bytes. ``solvent update`` fetches again when these differ."""

    url: str
    etag: str | None = None
    version_id: str | None = None
    checksum: str | None = None
    size: int | None = None

    def to_doc(self) -> dict[str, str | int]:
        doc: dict[str, str | int] = {"url": self.url}
        for key in ("etag", "version_id", "checksum", "size"):
            value = getattr(self, key)
            if value is not None:
                doc[key] = value
        return doc


@dataclass(frozen=True, slots=True)
class Pointer:
    """``where`` is the pointer file's repo-relative path; ``path`` the data's."""

    where: PurePosixPath
    path: PurePosixPath
    id: ObjectId
    kind: PointerKind
    size: int
    files: int
    executable: bool = False  # single files only; a folder's bits are in its tree
    source: ImportSource | UrlSource | None = None  # imported data only

    def render(self) -> str:
        doc: dict[str, object] = {
            "path": self.path.name,
            "id": str(self.id),
            "kind": self.kind,
            "size": self.size,
            "files": self.files,
        }
        if self.executable:
            doc["executable"] = True
        if self.source is not None:
            doc["source"] = self.source.to_doc()
        plain = _plain_render(doc)
        if plain is not None:
            return HEADER + plain
        import yaml

        return HEADER + yaml.safe_dump(doc, sort_keys=False)


def pointer_path_for(data: PurePosixPath) -> PurePosixPath:
    return data.with_name(data.name + POINTER_SUFFIX)


# The lines 'render' writes for plain values. A pointer made only of such lines (and
# comments) reads the same with these patterns as with a YAML parser, so the common case does
# not pay for importing one; anything else (quotes, other spacing, flow style) goes to YAML.
# 'path' accepts names YAML reads as strings: starting with a letter or '_', and none of
# the YAML 1.1 booleans or nulls (tests check the two readings agree).
_PLAIN_LINE = re.compile(
    rb"(?:(path): ([A-Za-z_][A-Za-z0-9_.-]*)"
    rb"|(id): (blake3:[0-9a-f]{64})"
    rb"|(kind): (file|dir)"
    rb"|(size|files): (0|[1-9][0-9]{0,17})"
    rb"|(executable): (true|false))"
)
_YAML_WORDS = {
    b"yes", b"Yes", b"YES", b"no", b"No", b"NO",
    b"true", b"True", b"TRUE", b"false", b"False", b"FALSE",
    b"on", b"On", b"ON", b"off", b"Off", b"OFF", b"null", b"Null", b"NULL",
}  # fmt: skip


def _plain_doc(text: bytes) -> dict[str, Any] | None:
    """The pointer's keys when every line is a comment or a plain 'key: value' line."""
    doc: dict[str, Any] = {}
    for line in text.split(b"\n"):
        if not line or line.startswith(b"#"):
            continue
        m = _PLAIN_LINE.fullmatch(line)
        if m is None:
            return None
        key, value = (g for g in m.groups() if g is not None)
        name = key.decode()
        if name in doc or (value in _YAML_WORDS and name == "path"):
            return None
        if name in ("size", "files"):
            doc[name] = int(value)
        elif name == "executable":
            doc[name] = value == b"true"
        else:
            doc[name] = value.decode()
    return doc or None  # an empty file is YAML's null, not an empty mapping


def _plain_render(doc: dict[str, object]) -> str | None:
    """The lines YAML would write, when every value is one that ``_plain_doc`` reads back
    the same (tests hold the two writers equal); None sends the rest to YAML."""
    text = "".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}\n" for k, v in doc.items())
    return text if _plain_doc(text.encode()) == doc else None


def load_yaml_doc(where: PurePosixPath, text: bytes) -> Any:
    from solvent.yaml_guard import load_pyyaml

    def error(e: Exception) -> MalformedFileError:
        mark = getattr(e, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        return MalformedFileError(
            f"{where}{line}: not valid YAML", "restore it with 'git checkout -- FILE'"
        )

    return load_pyyaml(text, where, error)


def parse_pointer(where: PurePosixPath, text: bytes) -> Pointer:
    """Validate a pointer file; every error names the file and what to fix."""
    check_size(where, len(text))
    doc = _plain_doc(text)
    if doc is None:
        doc = load_yaml_doc(where, text)
    if not isinstance(doc, dict):
        raise MalformedFileError(f"{where}: expected keys {sorted(_KEYS)}")
    unknown = set(doc) - _KEYS - _OPTIONAL
    missing = _KEYS - set(doc)
    if unknown or missing:
        what = "; ".join(
            part
            for part in (
                f"unknown key(s) {sorted(map(str, unknown))}" if unknown else "",
                f"missing key(s) {sorted(missing)}" if missing else "",
            )
            if part
        )
        raise MalformedFileError(f"{where}: {what}", "restore it with 'git checkout -- FILE'")
    try:
        oid = ObjectId.parse(str(doc["id"]))
    except ValueError as e:
        raise MalformedFileError(f"{where}: {e}") from None
    kind = doc["kind"]
    if kind not in ("file", "dir"):
        raise MalformedFileError(f"{where}: kind must be 'file' or 'dir', not {kind!r}")
    for key in ("size", "files"):
        value = doc[key]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << 63:
            raise MalformedFileError(
                f"{where}: {key} must be a non-negative integer below 2**63",
                "restore it with 'git checkout -- FILE'",
            )
    if not isinstance(doc["path"], str):
        raise MalformedFileError(f"{where}: path must be a string")
    try:
        path = check_relative(str(where.parent / doc["path"]), str(where))
    except PathOutsideRepoError as e:
        raise PathOutsideRepoError(
            f"{e.message} (the path in a pointer file must stay inside the repo)",
            "restore the pointer file with 'git checkout -- FILE'",
        ) from None
    if path in where.parents:  # e.g. 'path: .': the data would hold its own pointer file
        raise MalformedFileError(
            f"{where}: path {doc['path']!r} names the folder holding this pointer file",
            "restore the pointer file with 'git checkout -- FILE'",
        )
    if pointer_path_for(path) != where:  # 'path: train.py' in evil.solvent: not its data
        raise MalformedFileError(
            f"{where}: path {doc['path']!r} is not the data this pointer file is named for "
            f"({where.name.removesuffix(POINTER_SUFFIX)!r})",
            "a pointer file sits beside its data and is named after it: restore it with "
            "'git checkout -- FILE'",
        )
    executable = doc.get("executable", False)
    if not isinstance(executable, bool):
        raise MalformedFileError(f"{where}: executable must be true or false")
    source = _source(where, doc["source"]) if "source" in doc else None
    return Pointer(where, path, oid, kind, doc["size"], doc["files"], executable, source)


def _source(where: PurePosixPath, doc: Any) -> ImportSource | UrlSource:
    if isinstance(doc, dict) and "commit" not in doc and "path" not in doc:
        return _url_source(where, doc)
    fields = ("url", "path", "commit")
    ok = isinstance(doc, dict) and set(doc) <= {*fields, "rev"} and set(fields) <= set(doc)
    if not ok or not all(isinstance(doc[k], str) for k in doc):
        raise MalformedFileError(
            f"{where}: source must name url, path and commit (and may name rev), as text",
            "restore it with 'git checkout -- FILE'",
        )
    return ImportSource(doc["url"], doc["path"], doc.get("rev"), doc["commit"])


def _url_source(where: PurePosixPath, doc: dict[Any, Any]) -> UrlSource:
    texts = ("url", "etag", "version_id", "checksum")
    ok = set(doc) <= {*texts, "size"} and isinstance(doc.get("url"), str)
    ok = ok and all(isinstance(doc[k], str) for k in texts if k in doc)
    size = doc.get("size")
    if not ok or not (size is None or (isinstance(size, int) and not isinstance(size, bool))):
        raise MalformedFileError(
            f"{where}: an imported URL's source names url (text) and may name etag, "
            "version_id, checksum (text) and size (a number)",
            "restore it with 'git checkout -- FILE'",
        )
    return UrlSource(doc["url"], doc.get("etag"), doc.get("version_id"), doc.get("checksum"), size)


def read_pointer(root: Path, where: PurePosixPath) -> Pointer:
    try:
        text = (root / where).read_bytes()
    except OSError as e:
        raise MalformedFileError(f"{where}: cannot read ({e.strerror})") from None
    return parse_pointer(where, text)
