"""The content-addressed object store under ``.solvent/cache``.

An object's bytes live at ``blake3/ab/cdef…``. Writers put the bytes in a temp file under
``tmp/`` (same file system), make it durable, then rename it to its final name, so a crash
never leaves a half object under a final name. Small objects are made durable in batches: one
``syncfs`` for many files instead of one ``fsync`` each; a batch of a few objects (a re-add of
a few changed files) syncs just its own files and folders, so it does not wait for whatever
else the disk has dirty. Objects are read-only.

A batch of small objects is staged under its final names in ``tmp/<writer>/ab/cdef…``: where
the cache has no ``ab/`` folder yet (a first add), the whole staged folder is renamed into
place, one rename for a few hundred objects instead of one each.

A file that is already whole and durable (a remote object on the same file system) needs no
temp name: a hard link appears at once under its final name, complete, so ``link`` gives it
that name directly and only the name is made durable at the next flush.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

from solvent.errors import UsageError
from solvent.storage.fsutil import copy_fd, reflink, syncfs
from solvent.storage.hashing import hash_bytes, hash_file
from solvent.storage.ids import ALGORITHM, ObjectId

OBJECT_MODE = 0o444
_NEW_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY
# Batches this large (objects, or bytes) are made durable and renamed before more temp files
# pile up. Large enough that a first add of tens of thousands of files is one batch.
BATCH_LIMIT = 32768
BATCH_BYTES = 256 * 1024 * 1024
# After this many existence probes in one prefix folder, a store lists the folder once instead
# of stat-ing each object in it: adding 20k new files otherwise costs 20k failed stats, while
# a few probes per folder (re-adding ten files) stay cheaper than listing a big cache.
LIST_AFTER = 16
# Up to this many objects, a flush fsyncs each file and folder it touched (~0.1 ms each)
# instead of two syncfs calls, which also flush every other writer's dirty data on the disk.
SYNC_EACH_LIMIT = 128
# While a big batch is being written, a helper thread starts the disk on its bytes every this
# many bytes (a syncfs it waits on, not us), so the flush's own syncfs finds less to write.
# Only a head start: the flush still syncs before any object gets its name.
EARLY_SYNC_BYTES = 16 * 1024 * 1024


# What ``new_tmp`` and ``_stage_root`` name things in ``tmp/``: ``<pid>-<hex>-<n>``, and
# ``<pid>-<hex>.<gen>`` for a batch's stage.
_TMP_NAME = re.compile(r"[0-9]+-[0-9a-f]{8}[-.][0-9]+")


class ObjectStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / ALGORITHM
        self.tmp = root / "tmp"
        self._objects = str(self.objects)
        self._tmp = str(self.tmp)
        self._tag = f"{os.getpid()}-{os.urandom(4).hex()}"
        self._made_dirs: set[str] = set()
        self._pending: list[tuple[str, str, ObjectId]] = []  # (temp, prefix, id)
        self._pending_ids: set[ObjectId] = set()
        self._unsynced = 0  # pending objects whose bytes are not yet known durable
        self._unsynced_bytes = 0
        self._linked = False  # names given by ``link`` since the last flush
        self._early_at = 0  # _unsynced_bytes when the last early sync started
        self._early: threading.Thread | None = None
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)  # a staged write finished
        self._gen = 0  # batches stage into tmp/<tag>.<gen>/; a flush starts the next one
        self._stage = self._stage_root(0)
        # Prefix folders made in this batch's stage, each open: a file is created by its name
        # in the open folder, not by a path of a dozen names for the kernel to walk.
        self._staged_dirs: dict[str, int] = {}
        weakref.finalize(self, _close_all, self._staged_dirs)  # a store dropped unflushed
        self._writing: dict[int, int] = {}  # gen -> staged writes in progress
        self._flushing = threading.Lock()  # one flush at a time; writers go on meanwhile
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
                if os.path.exists(f"{self._objects}/{prefix}/{rest}"):
                    return True
                if probes == 1 and not os.path.isdir(f"{self._objects}/{prefix}"):
                    self._listed[prefix] = set()  # kept true like a listing (see _list)
                return False
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
        if self.tmp.is_symlink():  # e.g. committed by force: temp files would be made there
            raise UsageError(
                f"{self.tmp} is a link (to {os.path.realpath(self.tmp)})",
                "Solvent's temp folder must be a folder of its cache: remove the link",
            )

    def clean_tmp(self) -> int:
        """Remove temp files a killed writer left behind; call only while holding the repo lock.

        Only names a store gives (``new_tmp``, a batch's stage) are removed, and never through
        a link: a ``tmp`` (or cache) that leads elsewhere loses nothing that is not Solvent's.
        """
        removed = 0
        if self.tmp.is_dir() and not self.tmp.is_symlink():
            for entry in os.scandir(self.tmp):
                if not _TMP_NAME.fullmatch(entry.name):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    if entry.is_dir(follow_symlinks=False):  # a batch's stage
                        removed += _remove_tree(entry.path)
                    else:
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
        with self._lock:
            full = self._take(tmp, oid, None if durable else 0)
        if full:
            self.flush()

    def _take(self, tmp: str, oid: ObjectId, unsynced: int | None) -> bool:
        """Add a pending object (lock held); ``unsynced``: bytes not yet durable, or None.
        True when the batch is full."""
        if oid in self._pending_ids:
            os.unlink(tmp)
            return False
        self._pending.append((tmp, oid.digest[:2], oid))
        self._pending_ids.add(oid)
        if unsynced is not None:
            self._unsynced += 1
            self._unsynced_bytes += unsynced
        # Written bytes pile up in temp files until a flush; links cost no space.
        return (
            self._unsynced >= BATCH_LIMIT
            or self._unsynced_bytes >= BATCH_BYTES
            or len(self._pending) >= 8 * BATCH_LIMIT
        )

    def _cache_has_dir(self, prefix: str) -> bool:
        if prefix in self._made_dirs:
            return True
        if os.path.isdir(f"{self._objects}/{prefix}"):
            self._made_dirs.add(prefix)
            return True
        return False

    def _final(self, oid: ObjectId) -> str:
        prefix = oid.digest[:2]
        folder = f"{self._objects}/{prefix}"
        if prefix not in self._made_dirs:
            os.makedirs(folder, exist_ok=True)
            self._made_dirs.add(prefix)
        return f"{folder}/{oid.digest[2:]}"

    def _stage_root(self, gen: int) -> str:
        return f"{self._tmp}/{self._tag}.{gen}"

    def _written(self, gen: int) -> None:
        """A staged write of batch ``gen`` ended (lock held); wake a flush waiting for it."""
        left = self._writing[gen] = self._writing[gen] - 1
        if left == 0 and gen != self._gen:
            self._done.notify_all()

    def link(self, src: str, oid: ObjectId, src_dir_fd: int | None = None) -> None:
        """Give the object's name to ``src`` by a hard link. ``src`` must be whole, durable,
        never rewritten, and hash to ``oid``: the caller hashed it through an open descriptor
        and passes ``/proc/self/fd``'s entry for that descriptor (``src_dir_fd``), so the
        file linked is the very file hashed even if its name changed meanwhile. Raises
        ``OSError`` where the file system refuses the link."""
        final = self._final(oid)
        with contextlib.suppress(FileExistsError):  # another writer placed it: same bytes
            os.link(src, final, src_dir_fd=src_dir_fd, follow_symlinks=True)
        with self._lock:
            self._linked = True
        self._placed(oid)

    def put_bytes(self, data: bytes, oid: ObjectId | None = None) -> ObjectId:
        """Store ``data``; it becomes visible under its final name at the next ``flush``."""
        if oid is None:
            oid = hash_bytes(data)
        if self.has(oid):
            return oid
        prefix, rest = oid.digest[:2], oid.digest[2:]
        with self._lock:  # a flush renames a stage only once its writes are done
            gen, root = self._gen, self._stage
            dir_fd = self._staged_dirs.get(prefix)
            if dir_fd is not None:
                tmp = f"{root}/{prefix}/{rest}"
            elif self._cache_has_dir(prefix):  # renamed one by one: no stage folder needed
                tmp = self.new_tmp()
            else:
                folder = f"{root}/{prefix}"
                os.makedirs(folder, exist_ok=True)
                dir_fd = self._staged_dirs[prefix] = os.open(folder, _DIR_FLAGS)
                tmp = f"{folder}/{rest}"
            self._writing[gen] = self._writing.get(gen, 0) + 1
        try:
            try:
                if dir_fd is None:
                    fd = os.open(tmp, _NEW_FLAGS, OBJECT_MODE)
                else:
                    fd = os.open(rest, _NEW_FLAGS, OBJECT_MODE, dir_fd=dir_fd)
            except FileExistsError:  # another thread stages the same bytes: a name of our own
                tmp = self.new_tmp()
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OBJECT_MODE)
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
        except BaseException:
            with self._lock:
                self._written(gen)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        with self._lock:
            self._written(gen)
            full = self._take(tmp, oid, len(data))
            early = self._unsynced_bytes - self._early_at >= EARLY_SYNC_BYTES
            if early:
                self._early_at = self._unsynced_bytes
        if full:
            self.flush()
        elif early:
            self._start_early_sync()
        return oid

    def _start_early_sync(self) -> None:
        if self._early is not None and self._early.is_alive():
            return
        self._early = threading.Thread(target=syncfs, args=(self._tmp,), daemon=True)
        self._early.start()

    def put_file(self, src: str | os.PathLike[str]) -> ObjectId:
        """Store a large file: copy it, hash the copy, then rename the copy into place.

        Hashing the copy (not the source) means the object always matches its id, even if
        the source is being rewritten while we read it. The copy is hashed while the disk
        writes it (the hash reads the page cache): it is renamed once both are done.
        """
        tmp = self.new_tmp()
        with open(src, "rb") as s:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OBJECT_MODE)
            try:
                if not reflink(s.fileno(), fd):
                    copy_fd(s.fileno(), fd, write_back=True)
                oid = _while_syncing(fd, lambda: hash_file(tmp))
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
            finally:
                os.close(fd)
        try:
            if self.has(oid):
                os.unlink(tmp)
            else:
                final = self._final(oid)
                os.replace(tmp, final)
                for folder in (os.path.dirname(final), self._objects):  # the name, its folder
                    _fsync_path(folder, os.O_RDONLY | os.O_DIRECTORY)
                self._placed(oid)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return oid

    def flush(self) -> None:
        """Make pending objects durable, then give them their final names."""
        with self._flushing:
            self._flush()

    def _flush(self) -> None:
        with self._done:
            gen, self._gen = self._gen, self._gen + 1  # later writes stage elsewhere
            self._stage = self._stage_root(self._gen)
            staged = set(self._staged_dirs)
            staged_fds = list(self._staged_dirs.values())
            self._staged_dirs.clear()  # the same dict: the finalizer holds it
            while self._writing.get(gen, 0):  # every write into this stage is adopted
                self._done.wait()
            self._writing.pop(gen, None)
            for dir_fd in staged_fds:
                os.close(dir_fd)
            pending, self._pending = self._pending, []
            unsynced, self._unsynced, self._unsynced_bytes = self._unsynced, 0, 0
            linked, self._linked = self._linked, False
            self._early_at = 0
            early, self._early = self._early, None
        if early is not None:
            early.join()  # its work is done now, not left to exit (syncfs cannot be interrupted)
        root = self._stage_root(gen)
        if not pending and linked:  # linked names only: make the names durable
            syncfs(self.objects)
        if pending:
            each = len(pending) <= SYNC_EACH_LIMIT
            if each:
                for tmp, _prefix, _oid in pending:
                    _fsync_path(tmp, os.O_RDONLY)
            elif unsynced:  # written bytes are made durable before any gets its final name
                syncfs(self.tmp)
            moved = self._move_stages(root, staged)
            for tmp, prefix, oid in pending:
                if prefix not in moved or not tmp.startswith(f"{root}/"):
                    os.replace(tmp, self._final(oid))
                self._placed(oid)
            if each and not linked:  # the new names, and any prefix folder made for them
                for prefix in {prefix for _tmp, prefix, _oid in pending}:
                    _fsync_path(f"{self._objects}/{prefix}", os.O_RDONLY | os.O_DIRECTORY)
                _fsync_path(self._objects, os.O_RDONLY | os.O_DIRECTORY)
            else:  # many names, or names given by links anywhere in the cache
                syncfs(self.objects)
            with self._lock:  # only now: until renamed, 'has' must answer from pending
                self._pending_ids.difference_update(oid for _t, _p, oid in pending)
        for prefix in staged:  # emptied by the renames above (or by nothing: no objects)
            with contextlib.suppress(OSError):
                os.rmdir(f"{root}/{prefix}")
        with contextlib.suppress(OSError):
            os.rmdir(root)

    def _move_stages(self, root: str, staged: set[str]) -> set[str]:
        """Rename whole staged prefix folders the cache does not have yet into place; the
        prefixes moved. Their files' bytes are durable already (the caller synced them)."""
        moved: set[str] = set()
        for prefix in sorted(staged):
            final = f"{self._objects}/{prefix}"
            if prefix in self._made_dirs or os.path.lexists(final):
                continue
            try:
                os.rename(f"{root}/{prefix}", final)
            except OSError:  # made meanwhile by another writer: its files move one by one
                continue
            self._made_dirs.add(prefix)
            moved.add(prefix)
        return moved

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


def _close_all(fds: dict[str, int]) -> None:
    for fd in fds.values():
        with contextlib.suppress(OSError):
            os.close(fd)
    fds.clear()


def _remove_tree(path: str) -> int:
    """Delete a stage folder and what it holds; the number of files removed."""
    removed = 0
    for entry in os.scandir(path):
        if entry.is_dir(follow_symlinks=False):
            removed += _remove_tree(entry.path)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed += 1
    os.rmdir(path)
    return removed


def _while_syncing(fd: int, work: Callable[[], ObjectId]) -> ObjectId:
    """``work()`` while another thread fsyncs ``fd``; returns once both are done (an fsync
    error is raised: the bytes are not known durable)."""
    failed: list[OSError] = []

    def sync() -> None:
        try:
            os.fsync(fd)
        except OSError as e:
            failed.append(e)

    syncing = threading.Thread(target=sync, name="solvent-fsync")
    syncing.start()
    try:
        return work()
    finally:
        syncing.join()
        if failed:
            raise failed[0]


def _fsync_path(path: str, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    n = os.write(fd, data)
    if n == len(data):  # the usual case: no view to make
        return
    view = memoryview(data)[n:]
    while view:
        n = os.write(fd, view)
        view = view[n:]
