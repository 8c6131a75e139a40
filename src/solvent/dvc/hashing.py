"""DVC 3's md5 of a file and of a folder, computed byte for byte as ``dvc_data`` does.

A file's md5 is plain md5 of its bytes (``hash: md5`` in ``dvc.lock``). DVC 2 entries (no
``hash`` field) used ``md5-dos2unix``: each 1 MiB chunk whose first 512 bytes look like text
has its ``\\r\\n`` turned into ``\\n`` before hashing. A folder's md5 is the md5 of its JSON
listing (``[{"md5": …, "relpath": …}, …]`` sorted by path, ``json.dumps(sort_keys=True)``)
with ``.dir`` appended; ``.git``, ``.hg`` and ``.dvc`` are left out, as DVC's own ignore does.

Results are kept in the state database by (device, inode, mtime, size), like Solvent's own
ids, so a file is read for its md5 once.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat as statmod
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20  # dvc_data's fobj_md5 chunk: the dos2unix test looks at each chunk's start
TEXT_BLOCK = 512
_TEXT_CHARS = bytes(range(32, 127)) + b"\n\r\t\f\b"
_IGNORED = {".git", ".hg", ".dvc"}
DIR_SUFFIX = ".dir"


def is_text_block(block: bytes) -> bool:
    """dvc_data's ``istextblock``: no NUL, and at most 30% bytes outside printable ASCII."""
    if not block:
        return True
    if b"\x00" in block:
        return False
    return len(block.translate(None, _TEXT_CHARS)) / len(block) <= 0.30


def md5_of_stream(read: Callable[[int], bytes], legacy: bool = False) -> str:
    """md5 of what ``read(CHUNK)`` returns until it returns nothing; ``legacy``: DVC 2's
    md5-dos2unix."""
    hasher = hashlib.md5(usedforsecurity=False)
    while True:
        chunk = read(CHUNK)
        if not chunk:
            break
        if legacy and is_text_block(chunk[:TEXT_BLOCK]):
            chunk = chunk.replace(b"\r\n", b"\n")
        hasher.update(chunk)
    return hasher.hexdigest()


def file_md5(path: str | os.PathLike[str], legacy: bool = False) -> str:
    with open(path, "rb") as f:
        return md5_of_stream(f.read, legacy)


def bytes_md5(data: bytes, legacy: bool = False) -> str:
    if not legacy:
        return hashlib.md5(data, usedforsecurity=False).hexdigest()
    parts = []
    for k in range(0, len(data), CHUNK):
        chunk = data[k : k + CHUNK]
        parts.append(chunk.replace(b"\r\n", b"\n") if is_text_block(chunk[:TEXT_BLOCK]) else chunk)
    return hashlib.md5(b"".join(parts), usedforsecurity=False).hexdigest()


def listing_bytes(entries: list[tuple[str, str]]) -> bytes:
    """A ``.dir`` object's bytes from (relpath, md5) pairs, as DVC writes it."""
    rows = [{"md5": md5, "relpath": rel} for rel, md5 in sorted(entries)]
    return json.dumps(rows, sort_keys=True).encode("utf-8")


def parse_listing(data: bytes, where: str) -> list[tuple[str, str]]:
    """(relpath, md5) pairs of a ``.dir`` object; ValueError naming ``where`` if malformed."""
    try:
        rows = json.loads(data)
        pairs = [(str(r["relpath"]), str(r["md5"])) for r in rows]
    except (ValueError, TypeError, KeyError) as e:
        raise ValueError(f"{where} is not a DVC folder listing ({e})") from None
    for rel, _md5 in pairs:
        parts = rel.split("/")
        if rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"{where} names an unsafe path {rel!r}")
    return pairs


@dataclass(frozen=True, slots=True)
class DvcHash:
    """What DVC records for a path: ``md5`` (``…​.dir`` for a folder), total size, files."""

    md5: str
    size: int
    nfiles: int | None = None  # folders only

    @property
    def is_dir(self) -> bool:
        return self.md5.endswith(DIR_SUFFIX)


class DvcIgnore:
    """The patterns of the repo's top ``.dvcignore`` (gitignore syntax), which DVC leaves out
    of folders it hashes. ``dvc init`` writes one of comments only: then nothing is loaded."""

    def __init__(self, repo_root: Path | None) -> None:
        self.root = str(repo_root) if repo_root is not None else None
        lines: list[str] = []
        if repo_root is not None:
            try:
                text = (repo_root / ".dvcignore").read_text(encoding="utf-8")
            except FileNotFoundError:
                text = ""
            lines = [ln.strip() for ln in text.splitlines()]
            lines = [ln for ln in lines if ln and not ln.startswith("#")]
        self._spec = None
        if lines:
            from pathspec import GitIgnoreSpec

            self._spec = GitIgnoreSpec.from_lines(lines)

    def ignored(self, path: str, is_dir: bool) -> bool:
        if self._spec is None or self.root is None:
            return False
        rel = os.path.relpath(path, self.root).replace(os.sep, "/")
        return bool(self._spec.match_file(rel + "/" if is_dir else rel))


class Md5Cache:
    """md5s by (device, inode, mtime, size), in a table of ``.solvent/state.db``; folders are
    walked as DVC walks them in the repo at ``repo_root`` (its ``.dvcignore``)."""

    def __init__(self, db_path: Path, repo_root: Path | None = None) -> None:
        self._db: sqlite3.Connection | None = None
        self._path = db_path
        self._ignore = DvcIgnore(repo_root)
        self.hashed = 0  # files read for their md5

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            from solvent.storage.state import open_memo

            self._db = open_memo(
                self._path,
                "CREATE TABLE IF NOT EXISTS dvc_md5 (dev INTEGER NOT NULL, ino INTEGER NOT NULL,"
                " legacy INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL,"
                " md5 TEXT NOT NULL, PRIMARY KEY (dev, ino, legacy)) WITHOUT ROWID",
            )
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def file(self, path: str, st: os.stat_result, legacy: bool = False) -> str:
        return self.files([(path, st)], legacy)[0]

    def files(self, found: list[tuple[str, os.stat_result]], legacy: bool = False) -> list[str]:
        """md5s of (path, stat) pairs, in order: known ones in one query per 500 files, the
        rest read (and remembered once their stat is old enough to trust)."""
        from solvent.storage.state import is_racy

        db = self._conn()
        known: dict[tuple[int, int], tuple[int, int, str]] = {}
        by_dev: dict[int, list[int]] = {}
        for _path, st in found:
            by_dev.setdefault(st.st_dev, []).append(st.st_ino)
        for dev, inodes in by_dev.items():
            for k in range(0, len(inodes), 500):
                chunk = inodes[k : k + 500]
                rows = db.execute(
                    "SELECT ino, mtime_ns, size, md5 FROM dvc_md5 WHERE dev=? AND legacy=?"
                    f" AND ino IN ({','.join('?' * len(chunk))})",
                    (dev, int(legacy), *chunk),
                )
                known.update(((dev, r[0]), (r[1], r[2], r[3])) for r in rows)
        md5s = []
        new = []
        read_at = time.time_ns()
        for path, st in found:
            row = known.get((st.st_dev, st.st_ino))
            if row is not None and row[0] == st.st_mtime_ns and row[1] == st.st_size:
                md5s.append(row[2])
                continue
            md5 = file_md5(path, legacy)
            self.hashed += 1
            md5s.append(md5)
            if not is_racy(st.st_mtime_ns, read_at):
                new.append((st.st_dev, st.st_ino, int(legacy), st.st_mtime_ns, st.st_size, md5))
        if new:
            with db:
                db.execute("BEGIN")
                db.executemany("INSERT OR REPLACE INTO dvc_md5 VALUES (?,?,?,?,?,?)", new)
        return md5s

    def path(self, path: str, legacy: bool = False) -> DvcHash | None:
        """DVC's hash of a file or folder; None when nothing is there."""
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return None
        if statmod.S_ISREG(st.st_mode):
            return DvcHash(self.file(path, st, legacy), st.st_size)
        if not statmod.S_ISDIR(st.st_mode):
            return None
        listing = self.listing(path, legacy)
        entries = [(rel, md5) for rel, md5, _st in listing]
        size = sum(fst.st_size for _rel, _md5, fst in listing)
        md5 = hashlib.md5(listing_bytes(entries), usedforsecurity=False).hexdigest()
        return DvcHash(md5 + DIR_SUFFIX, size, len(entries))

    def listing(self, path: str, legacy: bool = False) -> list[tuple[str, str, os.stat_result]]:
        """(relpath, md5, stat) of every file under the folder ``path``."""
        found = walk_files(path, self._ignore)
        md5s = self.files([(full, st) for _rel, full, st in found], legacy)
        return [(rel, md5, st) for (rel, _full, st), md5 in zip(found, md5s, strict=True)]


def walk_files(root: str, ignore: DvcIgnore | None = None) -> list[tuple[str, str, os.stat_result]]:
    """(relpath, path, stat) of every file under ``root``, as DVC walks a folder: links to
    files count as files, ``.git``/``.hg``/``.dvc`` and what ``.dvcignore`` names are
    skipped, empty folders vanish."""
    ignore = ignore or DvcIgnore(None)
    found = []
    cut = len(root.rstrip(os.sep)) + 1
    for folder, dirs, files in os.walk(root):
        dirs[:] = [
            d for d in dirs
            if d not in _IGNORED and not ignore.ignored(os.path.join(folder, d), True)
        ]  # fmt: skip
        for name in files:
            full = os.path.join(folder, name)
            if name in _IGNORED or ignore.ignored(full, False):
                continue
            try:
                st = os.stat(full)
            except FileNotFoundError:
                continue  # a broken link: DVC leaves it out as well
            if statmod.S_ISREG(st.st_mode):
                found.append((full[cut:].replace(os.sep, "/"), full, st))
    return found
