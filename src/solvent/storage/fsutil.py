"""File-system primitives every writer uses: atomic writes, durable renames, fast copies."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path
from typing import Any

_FICLONE = 0x40049409  # linux/fs.h: share extents (copy-on-write) between two files
_libc: Any = None  # ctypes.CDLL, loaded on first use (ctypes costs milliseconds to import)


def fsync_dir(path: str | os.PathLike[str]) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def syncfs(path: str | os.PathLike[str]) -> None:
    """Flush every dirty page of the file system holding ``path``: one call for many files."""
    global _libc
    if _libc is None:
        import ctypes

        _libc = ctypes.CDLL(None, use_errno=True)  # the running process's libc
    fd = os.open(path, os.O_RDONLY)
    try:
        syncfs_fn = getattr(_libc, "syncfs", None)
        if syncfs_fn is None or syncfs_fn(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so that a reader or a crash sees the old or the new file."""
    path = Path(path)
    fd, tmp = _new_temp(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def _new_temp(path: Path) -> tuple[int, str]:
    """An exclusive new file beside ``path``, as ``tempfile.mkstemp`` makes (mode 0o600),
    without importing tempfile, shutil and random (3 ms of every ``add``)."""
    while True:
        tmp = f"{path.parent}/.{path.name}.{os.getpid()}-{os.urandom(6).hex()}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), tmp
        except FileExistsError:
            continue


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write(path, text.encode())


def reflink(src_fd: int, dst_fd: int) -> bool:
    """Clone ``src`` into ``dst`` where the file system shares extents (btrfs, xfs, apfs)."""
    try:
        fcntl.ioctl(dst_fd, _FICLONE, src_fd)
    except OSError as e:
        if e.errno in (errno.EOPNOTSUPP, errno.ENOTTY, errno.EXDEV, errno.EINVAL, errno.ENOSYS):
            return False
        raise
    return True


def copy_fd(src_fd: int, dst_fd: int) -> None:
    """Copy a whole file in the kernel (copy_file_range, which also reflinks where it can)."""
    size = os.fstat(src_fd).st_size
    copied = 0
    try:
        while copied < size:
            n = os.copy_file_range(src_fd, dst_fd, size - copied)
            if n == 0:
                break
            copied += n
    except OSError as e:
        if e.errno not in (errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL):
            raise
        os.lseek(src_fd, copied, os.SEEK_SET)
        os.lseek(dst_fd, copied, os.SEEK_SET)
        while chunk := os.read(src_fd, 1 << 20):
            os.write(dst_fd, chunk)
