"""blake3 hashing: memory-mapped and multithreaded for large files, plain reads for small ones."""

from __future__ import annotations

import os

from blake3 import blake3

from solvent.storage.ids import ObjectId

# Below this size a read + hash beats setting up a memory map and threads.
MMAP_THRESHOLD = 4 * 1024 * 1024


def hash_bytes(data: bytes) -> ObjectId:
    return ObjectId.from_digest(blake3(data).hexdigest())


def hash_file(path: str | os.PathLike[str], size: int | None = None) -> ObjectId:
    """Hash a file's content; ``size`` (from a stat the caller already made) picks the path."""
    if size is None:
        size = os.stat(path).st_size
    if size >= MMAP_THRESHOLD:
        hasher = blake3(max_threads=blake3.AUTO)
        hasher.update_mmap(path)
        return ObjectId.from_digest(hasher.hexdigest())
    return hash_bytes(read_small(path, size))


def read_small(path: str | os.PathLike[str], size: int, dir_fd: int | None = None) -> bytes:
    """A whole small file with three system calls (no buffered file object); ``path`` is
    relative to the open folder ``dir_fd`` if given."""
    fd = os.open(path, os.O_RDONLY, dir_fd=dir_fd)
    try:
        return read_fd(fd, size)
    finally:
        os.close(fd)


def read_fd(fd: int, size: int) -> bytes:
    """The rest of an open file expected to hold ``size`` more bytes: one read when it does."""
    data = os.read(fd, size + 1)
    if len(data) <= size:
        return data  # at EOF already, or the file shrank since its stat
    chunks = [data]
    while chunk := os.read(fd, 1 << 20):  # it grew since its stat
        chunks.append(chunk)
    return b"".join(chunks)
