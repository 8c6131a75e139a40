"""Folders as Merkle trees: one tree object per folder, entries sorted by name.

A tree object is canonical JSON (sorted entries, no spaces), so the same folder always gets the
same id and a one-file change rewrites only the trees on that file's path.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import attrgetter
from typing import Literal

from solvent.errors import MalformedFileError
from solvent.storage.ids import ALGORITHM, ObjectId

Kind = Literal["file", "tree"]
_by_name = attrgetter("name")
FORMAT = 1
ReadBytes = Callable[[ObjectId], bytes]


@dataclass(frozen=True, slots=True)
class TreeEntry:
    name: str
    kind: Kind
    id: ObjectId
    size: int  # bytes of the file, or of every file below a tree
    executable: bool = False
    files: int = 1  # files below a tree; 1 for a file


@dataclass(frozen=True, slots=True)
class Tree:
    entries: tuple[TreeEntry, ...]

    @property
    def size(self) -> int:
        return sum(e.size for e in self.entries)

    @property
    def files(self) -> int:
        return sum(e.files for e in self.entries)

    def to_bytes(self) -> bytes:
        rows = [
            [e.name, e.kind, f"{e.id.algorithm}:{e.id.digest}", e.size, int(e.executable), e.files]
            for e in sorted(self.entries, key=_by_name)
        ]
        doc = {"solvent-tree": FORMAT, "entries": rows}
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Tree:
        """Parse a tree object; ``ValueError`` if it is not one, or names an unsafe entry."""
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"not a tree object: {e}") from None
        if not isinstance(doc, dict) or doc.get("solvent-tree") != FORMAT:
            raise ValueError("not a tree object (no 'solvent-tree' format marker)")
        rows = doc.get("entries", [])
        if not isinstance(rows, list):
            raise ValueError("not a tree object ('entries' is not a list)")
        entries = []
        digests = []  # of well-shaped ids, checked to be hex all at once below
        for row in rows:
            try:
                name, kind, oid, size, executable, files = row
                if type(oid) is str and len(oid) == _ID_LEN and oid.startswith(_ID_PREFIX):
                    digest = oid[len(_ID_PREFIX) :]
                    digests.append(digest)
                    parsed = ObjectId.from_digest(digest)
                else:
                    parsed = ObjectId.parse(str(oid))
                entry = make_entry(name, kind, parsed, int(size), bool(executable), int(files))
            except (TypeError, ValueError, OverflowError) as e:  # int(1e999) overflows
                raise ValueError(f"malformed tree entry {row!r}: {e}") from None
            if not isinstance(name, str) or not _safe_name(name):
                raise ValueError(f"tree entry has an unsafe name {name!r}")
            if kind not in ("file", "tree"):
                raise ValueError(f"tree entry {name!r} has unknown kind {kind!r}")
            entries.append(entry)
        if len({e.name for e in entries}) != len(entries):
            names = sorted(e.name for e in entries)
            twice = next(a for a, b in itertools.pairwise(names) if a == b)
            raise ValueError(f"tree names {twice!r} twice (one name, one entry)")
        if not _HEX_RUN.fullmatch("".join(digests)):
            for row in rows:  # name the first bad one, as ObjectId.parse words it
                try:
                    ObjectId.parse(str(row[2]))
                except ValueError as e:
                    raise ValueError(f"malformed tree entry {row!r}: {e}") from None
        return cls(tuple(entries))


_ID_PREFIX = f"{ALGORITHM}:"
_ID_LEN = len(_ID_PREFIX) + 64
_HEX_RUN = re.compile(r"[0-9a-f]*")
_new = object.__new__
_SET_FIELDS = tuple(
    TreeEntry.__dict__[f].__set__ for f in ("name", "kind", "id", "size", "executable", "files")
)


def make_entry(
    name: str, kind: Kind, oid: ObjectId, size: int, executable: bool = False, files: int = 1
) -> TreeEntry:
    """``TreeEntry(...)`` for loops over thousands of files: a third of the cost of the frozen
    dataclass's ``__init__`` (one ``object.__setattr__`` per field); the same value."""
    entry: TreeEntry = _new(TreeEntry)
    set_name, set_kind, set_id, set_size, set_executable, set_files = _SET_FIELDS
    set_name(entry, name)
    set_kind(entry, kind)
    set_id(entry, oid)
    set_size(entry, size)
    set_executable(entry, executable)
    set_files(entry, files)
    return entry


NAME_MAX = 255  # bytes in one file name (Linux, macOS): a longer name cannot be checked out


def _safe_name(name: str) -> bool:
    return (
        name not in ("", ".", "..") and "/" not in name and "\0" not in name
        # at most NAME_MAX (255) bytes, as file systems allow; 63 characters always fit
        and (len(name) <= 63 or len(name.encode("utf-8", "surrogateescape")) <= 255)
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One file of a flattened tree: its path relative to the tree's root."""

    path: str
    id: ObjectId
    size: int
    executable: bool


def flatten(tree: Tree, load: TreeLoader, prefix: str = "") -> Iterator[FileRecord]:
    """Every file below ``tree``, depth first, in sorted order."""
    for e in tree.entries:
        path = prefix + e.name
        if e.kind == "file":
            yield FileRecord(path, e.id, e.size, e.executable)
        else:
            yield from flatten(load(e.id), load, path + "/")


def reachable(
    roots: dict[ObjectId, bool],
    load: TreeLoader,
    descend: Callable[[ObjectId], bool] | None = None,
) -> set[ObjectId]:
    """Every object below ``roots`` (id → whether it is a tree), the roots included.

    Trees for which ``descend`` says no are counted but not opened; otherwise a missing tree
    raises ``FileNotFoundError``."""
    found: set[ObjectId] = set()
    stack = list(roots.items())
    while stack:
        oid, is_tree = stack.pop()
        if oid in found:
            continue
        found.add(oid)
        if is_tree and (descend is None or descend(oid)):
            stack.extend((e.id, e.kind == "tree") for e in load(oid).entries)
    return found


class TreeLoader:
    """Reads tree objects from a store, parsing each once."""

    def __init__(self, read: ReadBytes) -> None:
        self._read = read
        self._cache: dict[ObjectId, Tree] = {}

    def __call__(self, oid: ObjectId) -> Tree:
        tree = self._cache.get(oid)
        if tree is None:
            try:
                tree = Tree.from_bytes(self._read(oid))
            except ValueError as e:
                raise MalformedTreeError(
                    f"folder listing {oid}: {e}",
                    "a pointer, lock or listing names an object that is not a sound folder "
                    "listing: restore that file (git checkout -- FILE), or add the folder again",
                ) from None
            self._cache[oid] = tree
        return tree


class MalformedTreeError(MalformedFileError, ValueError):
    """A tree object that does not parse (a ValueError too, for callers that word their own
    message about it)."""
