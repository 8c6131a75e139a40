"""The content-addressed object store under ``.solvent/cache``.

An object's bytes live at ``blake3/ab/cdef…``. Writers put the bytes in a temp file under
``tmp/`` (same file system), make it durable, then rename it to its final name, so a crash
never leaves a half object under a final name. Small objects are made durable in batches: one
``syncfs`` for many files instead of one ``fsync`` each. Objects are read-only.

A file that is already whole and durable (a remote object on the same file system) needs no
temp name: a hard link appears at once under its final name, complete, so ``link`` gives it
that name directly and only the name is made durable at the next flush.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from solvent.storage.fsutil import copy_fd, reflink, syncfs
from solvent.storage.hashing import hash_bytes, hash_file
from solvent.storage.ids import ALGORITHM, ObjectId

OBJECT_MODE = 0o444
# Batches this large are made durable and renamed before more temp files pile up.
BATCH_LIMIT = 4096
# After this many existence probes in one prefix folder, a store lists the folder once instead
# of stat-ing each object in it: adding 20k new files otherwise costs 20k failed stats, while
# a few probes per folder (re-adding ten files) stay cheaper than listing a big cache.
LIST_AFTER = 16


class ObjectStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / ALGORITHM
        self.tmp = root / "tmp"
        self._objects = str(self.objects)
        self._tmp = str(self.tmp)
        self._made_dirs: set[str] = set()
        self._pending: list[tuple[str, str, ObjectId]] = []  # (temp, final name, id)
        self._pending_ids: set[ObjectId] = set()
        self._unsynced = 0  # pending objects whose bytes are not yet known durable
        self._linked = False  # names given by ``link`` since the last flush
        self._lock = threading.Lock()
        self._tag = f"{os.getpid()}-{os.urandom(4).hex()}"
        self._counter = itertools.count()
        self._probes: dict[str, int] = {}
        self._listed: dict[str, set[str]] = {}  # prefix -> names, for prefixes listed once

    def path(self, oid: ObjectId) -> Path:
        return self.objects / oid.digest[:2] / oid.digest[2:]

    def fspath(self, oid: ObjectId) -> str:
        """``path`` as a string, without building a Path (which shows at 20,000 objects)."""
        digest = oid.digest
        return f"{self._objects}/{digest[:2]}/{digest[2:]}"

    def has(self, oid: ObjectId) -> bool:
        if oid in self._pending_ids:
            return True
        digest = oid.digest
        prefix, rest = digest[:2], digest[2:]
        names = self._listed.get(prefix)
        if names is None:
            probes = self._probes[prefix] = self._probes.get(prefix, 0) + 1
            if probes <= LIST_AFTER:
                return os.path.exists(f"{self._objects}/{prefix}/{rest}")
            names = self._list(prefix)
        return rest in names

    def _list(self, prefix: str) -> set[str]:
        # Only the lock holder adds or removes objects, so the listing stays true while this
        # process writes; other processes at worst store an object twice (same bytes).
        try:
            names = set(os.listdir(f"{self._objects}/{prefix}"))
        except FileNotFoundError:
            names = set()
        self._listed[prefix] = names
        return names

    def _placed(self, oid: ObjectId) -> None:
        names = self._listed.get(oid.digest[:2])
        if names is not None:
            names.add(oid.digest[2:])

    def remove(self, oid: ObjectId) -> None:
        """Delete one object (gc, under the repo lock)."""
        os.unlink(self.path(oid))
        names = self._listed.get(oid.digest[:2])
        if names is not None:
            names.discard(oid.digest[2:])

    def init(self) -> None:
        self.objects.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def clean_tmp(self) -> int:
        """Remove temp files a killed writer left behind; call only while holding the repo lock."""
        removed = 0
        if self.tmp.is_dir():
            for entry in os.scandir(self.tmp):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed += 1
        return removed

    # -- writing -------------------------------------------------------------------------

    def new_tmp(self) -> str:
        """A fresh temp path in the store (same file system as the objects)."""
        # Unique without a syscall per name (a random name costs a read of the kernel's pool).
        return f"{self._tmp}/{self._tag}-{next(self._counter)}"

    def adopt(self, tmp: str, oid: ObjectId, durable: bool = False) -> None:
        """Take a complete temp file whose bytes hash to ``oid``; like ``put_bytes`` it gets
        its final name at the next ``flush``. ``durable``: its bytes are on disk already (a
        link to a synced file), so only its name needs making durable."""
        final = self._final(oid)
        with self._lock:
            if oid in self._pending_ids:
                os.unlink(tmp)
                return
            self._pending.append((tmp, final, oid))
            self._pending_ids.add(oid)
            if not durable:
                self._unsynced += 1
            # Written bytes pile up in temp files until a flush; links cost no space.
            full = self._unsynced >= BATCH_LIMIT or len(self._pending) >= 8 * BATCH_LIMIT
        if full:
            self.flush()

    def _final(self, oid: ObjectId) -> str:
        prefix = oid.digest[:2]
        folder = f"{self._objects}/{prefix}"
        if prefix not in self._made_dirs:
            os.makedirs(folder, exist_ok=True)
            self._made_dirs.add(prefix)
        return f"{folder}/{oid.digest[2:]}"

    def link(self, src: str, oid: ObjectId, src_dir_fd: int | None = None) -> None:
        """Give the object's name to ``src`` by a hard link. ``src`` must be whole, durable,
        never rewritten, and hash to ``oid``: the caller hashed it through an open descriptor
        and passes ``/proc/self/fd``'s entry for that descriptor (``src_dir_fd``), so the
        file linked is the very file hashed even if its name changed meanwhile. Raises
        ``OSError`` where the file system refuses the link."""
        final = self._final(oid)
        with contextlib.suppress(FileExistsError):  # another writer placed it: same bytes
            os.link(src, final, src_dir_fd=src_dir_fd, follow_symlinks=True)
        self._linked = True
        self._placed(oid)

    def put_bytes(self, data: bytes, oid: ObjectId | None = None) -> ObjectId:
        """Store ``data``; it becomes visible under its final name at the next ``flush``."""
        if oid is None:
            oid = hash_bytes(data)
        if self.has(oid):
            return oid
        tmp = self.new_tmp()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OBJECT_MODE)
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        self.adopt(tmp, oid)
        return oid

    def put_file(self, src: str | os.PathLike[str]) -> ObjectId:
        """Store a large file: copy it, hash the copy, then rename the copy into place.

        Hashing the copy (not the source) means the object always matches its id, even if
        the source is being rewritten while we read it.
        """
        tmp = self.new_tmp()
        with open(src, "rb") as s:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OBJECT_MODE)
            try:
                if not reflink(s.fileno(), fd):
                    copy_fd(s.fileno(), fd)
                os.fsync(fd)
            finally:
                os.close(fd)
        try:
            oid = hash_file(tmp)
            if self.has(oid):
                os.unlink(tmp)
            else:
                os.replace(tmp, self._final(oid))
                self._placed(oid)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return oid

    def flush(self) -> None:
        """Make pending objects durable, then give them their final names."""
        with self._lock:
            pending, self._pending = self._pending, []
            unsynced, self._unsynced = self._unsynced, 0
            linked, self._linked = self._linked, False
        if not pending:
            if linked:
                syncfs(self.objects)
            return
        if unsynced:  # written bytes are made durable before any gets its final name
            syncfs(self.tmp)
        for tmp, final, oid in pending:
            os.replace(tmp, final)
            self._placed(oid)
        syncfs(self.objects)
        with self._lock:  # only now: until renamed, 'has' must answer from the pending set
            self._pending_ids.difference_update(oid for _t, _f, oid in pending)

    # -- reading -------------------------------------------------------------------------

    def read_bytes(self, oid: ObjectId) -> bytes:
        return self.path(oid).read_bytes()

    def iter_ids(self) -> Iterator[ObjectId]:
        if not self.objects.is_dir():
            return
        for prefix in sorted(os.listdir(self.objects)):
            folder = self.objects / prefix
            if len(prefix) != 2 or not folder.is_dir():
                continue
            for rest in sorted(os.listdir(folder)):
                try:
                    yield ObjectId.parse(f"{ALGORITHM}:{prefix}{rest}")
                except ValueError:
                    continue

    def verify(self, oid: ObjectId) -> bool:
        """Rehash one object; True when its bytes still match its id."""
        try:
            return hash_file(self.path(oid)) == oid
        except FileNotFoundError:
            return False

    def copy_to(self, oid: ObjectId, dest_fd: int) -> None:
        """Write the object's bytes into an open file (reflink where the file system can)."""
        with open(self.path(oid), "rb") as s:
            if not reflink(s.fileno(), dest_fd):
                copy_fd(s.fileno(), dest_fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
