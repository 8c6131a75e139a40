"""A remote object store through fsspec: a local or mounted folder, or S3 (with s3fs).

The remote mirrors the cache layout (``blake3/ab/cdef…``). Uploads to a folder are written to a
temp name and renamed; an S3 PUT is atomic by itself. Every downloaded object is re-hashed
before it enters the cache: a corrupt one is refused and reported, never placed.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from solvent.errors import SolventError, UsageError
from solvent.storage.fsutil import copy_fd, syncfs
from solvent.storage.hashing import hash_bytes, read_small
from solvent.storage.ids import ALGORITHM, ObjectId
from solvent.storage.objects import ObjectStore

RETRIES = 4
T = TypeVar("T")


@dataclass
class TransferResult:
    sent: list[ObjectId] = field(default_factory=list)
    skipped: int = 0  # already there
    failed: dict[ObjectId, str] = field(default_factory=dict)  # id → why


class RemoteStore:
    def __init__(self, url: str, options: dict[str, str], repo_root: Path) -> None:
        import fsspec

        if "://" not in url:  # a folder, relative to the repo
            path = Path(url) if Path(url).is_absolute() else repo_root / url
            self.fs: Any = fsspec.filesystem("file")
            self.root = str(path)
            self.local = True
        else:
            storage = _s3_options(options) if url.startswith("s3://") else {}
            try:
                self.fs, self.root = fsspec.core.url_to_fs(url, **storage)
            except ImportError:
                raise UsageError(
                    f"{url}: S3 support is not installed", "pip install 'solvent[s3]'"
                ) from None
            self.local = False
        self.url = url
        self._pending: list[tuple[str, str]] = []
        self._made: set[str] = set()  # prefix folders known to exist on a folder remote
        self._lock = threading.Lock()
        self._tag = uuid.uuid4().hex[:8]
        self._n = itertools.count()

    def path(self, oid: ObjectId) -> str:
        return f"{self.root}/{ALGORITHM}/{oid.digest[:2]}/{oid.digest[2:]}"

    def existing(self, oids: set[ObjectId]) -> set[ObjectId]:
        """Which of ``oids`` the remote has: one listing when many, one request each when few."""
        if len(oids) <= 64:
            return {o for o in oids if self._exists(o)}
        base = f"{self.root}/{ALGORITHM}"
        try:
            listed = _retry(lambda: self.fs.find(base))
        except FileNotFoundError:
            return set()
        found = set()
        for p in listed:
            prefix, rest = p.rsplit("/", 2)[-2:]
            if len(prefix) == 2 and len(rest) == 62:
                found.add(ObjectId.from_digest(prefix + rest))
        return found & oids

    def _exists(self, oid: ObjectId) -> bool:
        return bool(_retry(lambda: self.fs.exists(self.path(oid))))

    def upload(self, store: ObjectStore, oid: ObjectId) -> None:
        """Send one object. To a folder it goes to a temp name; ``finish`` makes the batch
        durable with one ``syncfs`` and only then renames each into place."""
        src, dest = str(store.path(oid)), self.path(oid)
        if not self.local:
            self.fs.put_file(src, dest)
            return
        folder = dest.rsplit("/", 1)[0]
        if folder not in self._made:
            os.makedirs(folder, exist_ok=True)
            self._made.add(folder)
        tmp = f"{dest}.{self._tag}-{next(self._n)}.tmp"
        # Plain descriptors: Python's open() adds an isatty ioctl, an fstat and a seek per
        # file, which show at 20,000 small objects.
        s = os.open(src, os.O_RDONLY)
        try:
            d = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
            try:
                copy_fd(s, d)
            finally:
                os.close(d)
        finally:
            os.close(s)
        with self._lock:
            self._pending.append((tmp, dest))

    def finish(self) -> None:
        if not self._pending:
            return
        with self._lock:
            pending, self._pending = self._pending, []
        syncfs(self.root)
        for tmp, dest in pending:
            os.replace(tmp, dest)  # a reader never sees a half object under its name
        syncfs(self.root)

    def download(self, store: ObjectStore, oid: ObjectId) -> None:
        """Fetch one object into the cache, refusing it unless its bytes hash to its id."""
        path = self.path(oid)
        # A folder remote is read with plain descriptors (fsspec's file objects cost more
        # system calls than a small object's bytes take to read).
        data = read_small(path, 1 << 16) if self.local else self.fs.cat_file(path)
        if hash_bytes(data) != oid:
            raise CorruptObjectError(f"{self.url}: object {oid} is corrupt on the remote")
        store.put_bytes(data, oid)


class CorruptObjectError(SolventError):
    pass


def transfer(
    oids: Iterable[ObjectId], work: Callable[[ObjectId], None], jobs: int,
    advance: Callable[[int], None],
) -> TransferResult:  # fmt: skip
    """Run ``work`` on every id in parallel, with retries; failures are collected, not raised."""
    result = TransferResult()

    def one(oid: ObjectId) -> tuple[ObjectId, str | None]:
        try:
            _retry(lambda: work(oid))
            return oid, None
        except CorruptObjectError as e:
            return oid, e.message
        except OSError as e:
            return oid, f"{type(e).__name__}: {e}"
        finally:
            advance(1)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        for oid, error in pool.map(one, list(oids)):
            if error is None:
                result.sent.append(oid)
            else:
                result.failed[oid] = error
    return result


def _retry(call: Callable[[], T]) -> T:
    """Retry transient errors with exponential backoff; a missing file is not transient."""
    for attempt in range(RETRIES):
        try:
            return call()
        except (FileNotFoundError, CorruptObjectError, PermissionError):
            raise
        except OSError:
            if attempt == RETRIES - 1:
                raise
            time.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


def _s3_options(options: dict[str, str]) -> dict[str, Any]:
    """s3fs settings from the remote's options; the standard AWS variables fill the rest."""
    storage: dict[str, Any] = {}
    client: dict[str, Any] = {}
    endpoint = options.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        client["endpoint_url"] = endpoint
    if options.get("region"):
        client["region_name"] = options["region"]
    if options.get("access_key_id"):
        storage["key"] = options["access_key_id"]
    if options.get("secret_access_key"):
        storage["secret"] = options["secret_access_key"]
    if options.get("session_token"):
        storage["token"] = options["session_token"]
    if options.get("profile"):
        storage["profile"] = options["profile"]
    if client:
        storage["client_kwargs"] = client
    return storage
