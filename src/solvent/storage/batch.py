"""Many small requests to an async file system (s3fs) at once, on its own event loop.

One thread per request in flight, each calling fsspec's blocking wrapper, spends more time
handing coroutines to the loop and back than a small object takes to arrive: the client then
competes for the CPU with the server it waits on. Gathering the coroutines on the loop (as
DVC does through s3fs) issues the same requests with a fraction of the work.
"""

from __future__ import annotations

import asyncio
from typing import Any

# Transient failures are retried like the threaded path's (storage.remote._retry).
RETRIES = 4


def cat_many(fs: Any, paths: list[str], limit: int) -> list[bytes | BaseException]:
    """The bytes of each path, or the exception that ended its tries, in order; at most
    ``limit`` requests in flight. ``fs`` is an fsspec ``AsyncFileSystem``."""
    from fsspec.asyn import sync

    result: list[bytes | BaseException] = sync(fs.loop, _gather, fs, paths, limit)
    return result


async def _gather(fs: Any, paths: list[str], limit: int) -> list[bytes | BaseException]:
    gate = asyncio.Semaphore(max(1, limit))

    async def one(path: str) -> bytes:
        async with gate:
            for attempt in range(RETRIES):
                try:
                    data: bytes = await fs._cat_file(path)
                    return data
                except (FileNotFoundError, PermissionError):
                    raise
                except OSError:
                    if attempt == RETRIES - 1:
                        raise
                    await asyncio.sleep(0.05 * 2**attempt)
            raise AssertionError("unreachable")

    return await asyncio.gather(*(one(p) for p in paths), return_exceptions=True)
