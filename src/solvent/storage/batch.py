"""Many small requests to an async file system (s3fs) at once, on its own event loop.

One thread per request in flight, each calling fsspec's blocking wrapper, spends more time
handing coroutines to the loop and back than a small object takes to travel: the client then
competes for the CPU with the server it waits on. Gathering the coroutines on the loop (as
DVC does through s3fs) issues the same requests with a fraction of the work.
"""

from __future__ import annotations

import asyncio
from typing import Any

# Transient failures are retried like the threaded path's (storage.remote._retry).
RETRIES = 4


def transient(e: BaseException) -> bool:
    """Worth asking again: an I/O error, or bytes that arrived damaged (botocore's checksum of
    a response did not match it, or the connection dropped mid-body)."""
    if isinstance(e, OSError):
        return not isinstance(e, FileNotFoundError | PermissionError)
    return type(e).__name__ in _TRANSIENT_BOTOCORE and type(e).__module__.startswith("botocore")


_TRANSIENT_BOTOCORE = {
    "FlexibleChecksumError", "IncompleteReadError", "ConnectionClosedError", "ReadTimeoutError",
}  # fmt: skip


def call_many(
    fs: Any, method: str, calls: list[tuple[Any, ...]], limit: int, **kwargs: Any
) -> list[Any | BaseException]:
    """``fs.<method>(*args, **kwargs)`` (a coroutine method of an fsspec ``AsyncFileSystem``,
    e.g. ``_cat_file``) once per ``calls`` entry, at most ``limit`` in flight; in order, each
    result or the exception that ended its tries."""
    from fsspec.asyn import sync

    call = getattr(fs, method)
    result: list[Any | BaseException] = sync(fs.loop, _gather, call, calls, kwargs, limit)
    return result


async def _gather(
    call: Any, calls: list[tuple[Any, ...]], kwargs: dict[str, Any], limit: int
) -> list[Any]:
    gate = asyncio.Semaphore(max(1, limit))

    async def one(args: tuple[Any, ...]) -> Any:
        async with gate:
            for attempt in range(RETRIES):
                try:
                    return await call(*args, **kwargs)
                except (FileNotFoundError, PermissionError):
                    raise
                except Exception as e:
                    if attempt == RETRIES - 1 or not transient(e):
                        raise
                    await asyncio.sleep(0.05 * 2**attempt)
            raise AssertionError("unreachable")

    return await asyncio.gather(*(one(args) for args in calls), return_exceptions=True)
