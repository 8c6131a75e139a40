"""Putting cached objects into the workspace with the configured link strategy."""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import uuid
from collections.abc import Callable, Sequence

from solvent.config import LinkType
from solvent.storage.fsutil import copy_fd, reflink, temp_name
from solvent.storage.ids import ObjectId
from solvent.storage.objects import ObjectStore


class Materializer:
    """Writes files atomically (temp name beside the target, then rename).

    Strategies are tried in the configured order; one that the file system refuses (reflink
    on ext4, hardlink across devices) is not tried again in this run.
    """

    def __init__(self, store: ObjectStore, links: tuple[LinkType, ...]) -> None:
        self.store = store
        self.links = list(links)
        self._dirs: set[str] = set()
        self._clones = True  # whether reflinks may work here (set False at the first refusal)
        self._lock = threading.Lock()
        self._tag = uuid.uuid4().hex[:8]  # one random draw per run, a counter per file
        self._n = itertools.count()
        umask = os.umask(0)
        os.umask(umask)
        self._file_mode = 0o666 & ~umask
        self._exec_mode = 0o777 & ~umask

    def _ensure_dir(self, folder: str) -> None:
        if folder not in self._dirs:
            os.makedirs(folder, exist_ok=True)
            with self._lock:
                self._dirs.add(folder)

    def write(
        self, oid: ObjectId, dest: str, executable: bool, direct: bool = False
    ) -> os.stat_result | None:
        """Place the object at ``dest``; the stat of a copied file (None for links).
        ``direct``: no temp name (``dest`` is inside a folder nobody sees until it is whole)."""
        folder = os.path.dirname(dest)
        self._ensure_dir(folder)
        if direct:
            return self._place(oid, dest, executable)
        name = temp_name(os.path.basename(dest), f"{self._tag}-{next(self._n)}")
        tmp = os.path.join(folder, name)
        try:
            st = self._place(oid, tmp, executable)
            os.replace(tmp, dest)  # keeps the inode and times: ``st`` stays true
            return st
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def write_new(
        self, items: Sequence[tuple[ObjectId, str, bool]], advance: Callable[[int], None]
    ) -> list[os.stat_result | None]:
        """``write(..., direct=True)`` for many files of a folder nobody sees yet, in one loop
        that goes straight to the copy once copying is what the file system allows: at 20,000
        small files the Python calls around each copy show next to the copies themselves."""
        stats: list[os.stat_result | None] = []
        fspath, made, step = self.store.fspath, self._dirs, 256
        for k, (oid, dest, executable) in enumerate(items, 1):
            folder = dest.rpartition(os.sep)[0]
            if folder not in made:
                self._ensure_dir(folder)
            if self.links[0] == "copy" and not self._clones:
                stats.append(self._copy(fspath(oid), dest, executable, clone_only=False))
            else:
                stats.append(self._place(oid, dest, executable))
            if k % step == 0:
                advance(step)
        advance(len(items) % step)
        return stats

    def _place(self, oid: ObjectId, tmp: str, executable: bool) -> os.stat_result | None:
        src = self.store.fspath(oid)
        for kind in list(self.links):
            if kind in ("hardlink", "symlink") and executable:
                continue  # a link shares the object's read-only, non-executable mode
            try:
                if kind == "hardlink":
                    os.link(src, tmp)
                elif kind == "symlink":
                    os.symlink(src, tmp)
                else:
                    return self._copy(src, tmp, executable, clone_only=kind == "reflink")
                return None
            except _Unsupported:
                pass
            except OSError:
                if kind == "copy":
                    raise
            with self._lock:
                if kind in self.links and len(self.links) > 1:
                    self.links.remove(kind)
        return self._copy(src, tmp, executable, clone_only=False)

    def _copy(self, src: str, tmp: str, executable: bool, clone_only: bool) -> os.stat_result:
        # A new file (O_EXCL) gets exactly ``mode``: the umask is already applied to it.
        mode = self._exec_mode if executable else self._file_mode
        s = os.open(src, os.O_RDONLY)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            try:
                cloned = self._clones and reflink(s, fd)
                if not cloned:
                    self._clones = False  # the file system cannot: no ioctl per file
                    if clone_only:
                        raise _Unsupported
                    copy_fd(s, fd)
                st = os.fstat(fd)
            except BaseException:
                os.close(fd)
                os.unlink(tmp)
                raise
            os.close(fd)
            return st
        finally:
            os.close(s)

    def is_linked(self, oid: ObjectId, dest: str) -> bool:
        """Whether ``dest`` already has the form the first strategy would give it."""
        first = self.links[0]
        if first == "hardlink":
            try:
                return os.stat(dest).st_ino == os.stat(self.store.fspath(oid)).st_ino
            except FileNotFoundError:
                return False
        if first == "symlink":
            return os.path.islink(dest) and os.readlink(dest) == self.store.fspath(oid)
        return not os.path.islink(dest)


class _Unsupported(Exception):
    pass
