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
    with open(path, "rb") as f:
        return hash_bytes(f.read())
