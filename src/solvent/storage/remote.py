"""A remote object store through fsspec: a local or mounted folder, or S3 (with s3fs).

The remote mirrors the cache layout (``blake3/ab/cdef…``). Uploads to a folder are written to a
temp name and renamed; an S3 PUT is atomic by itself. Every downloaded object is re-hashed
before it enters the cache: a corrupt one is refused and reported, never placed.

A folder remote on the cache's own file system shares objects by hard link, as ``git clone``
does between local repos: objects never change (they are read-only), a link appears whole
under its name, and it costs one metadata write instead of a new file. Where links are not
possible (another file system, or ``link = "copy"`` in the remote's options) bytes are copied.
A small object fetched by link is read and hashed through one descriptor, then that very file
is linked straight to its name in the cache (through ``/proc/self/fd``): no temp name, no
rename, and a file swapped in on the remote meanwhile is never the one linked.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import itertools
import os
import re
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar, cast

from blake3 import blake3

from solvent.errors import RemoteError, SolventError, UsageError
from solvent.storage.batch import transient
from solvent.storage.fsutil import copy_fd, syncfs
from solvent.storage.hashing import MMAP_THRESHOLD, hash_bytes, hash_file, read_fd, read_small
from solvent.storage.ids import ALGORITHM, ObjectId
from solvent.storage.objects import ObjectStore

RETRIES = 4
BATCH = 1024  # small objects asked of an async remote at once (their bytes held until stored)
IN_FLIGHT = 4  # requests in flight per job, to an async remote
LINK_REFUSED = (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EOPNOTSUPP)
STREAM_SIZE = 16 * 1024 * 1024  # objects at least this big are downloaded block by block
STREAM_BLOCK = 4 * 1024 * 1024
T = TypeVar("T")
# A push killed before ``finish`` leaves its copies under temp names on a folder remote. One
# this old is nobody's work in progress (a push renames its temp files when it ends), so the
# next push (in the folders it writes) or ``gc --cloud --force`` (everywhere) removes it.
STALE_TEMP_SECONDS = 24 * 3600
_TEMP_NAME = re.compile(r"[0-9a-f]{62}\.[0-9a-f]{8}-[0-9]+\.tmp")


@dataclass
class TransferResult:
    sent: list[ObjectId] = field(default_factory=list)
    skipped: int = 0  # already there
    failed: dict[ObjectId, str] = field(default_factory=dict)  # id → why
    corrupt: set[ObjectId] = field(default_factory=set)  # failed: damaged on the remote itself


F = TypeVar("F", bound=Callable[..., Any])


def _names_the_remote(method: F) -> F:
    """A remote that cannot be reached or signed for is named by its URL in the message."""

    @functools.wraps(method)
    def named(self: RemoteStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except RemoteError as e:
            message = e.message.replace("S3 remote", f"remote {self.url}", 1)
            raise RemoteError(message, e.hint) from None

    return cast(F, named)


class RemoteStore:
    def __init__(self, url: str, options: dict[str, str], repo_root: Path) -> None:
        import fsspec

        if "://" not in url:  # a folder, relative to the repo
            path = Path(url) if Path(url).is_absolute() else repo_root / url
            if path.exists() and not path.is_dir():
                raise RemoteError(
                    f"remote url {url} names a file, not a folder",
                    "point the remote at a folder: solvent remote add --force NAME FOLDER",
                )
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
        link = options.get("link", "hardlink")
        if link not in ("hardlink", "copy"):
            raise UsageError(f"remote option link is {link!r}", "use 'hardlink' or 'copy'")
        self._links = self.local and link == "hardlink"  # turned off at the first refusal
        self._linked = False
        self._fd_dir: tuple[int, int | None] | None = None  # (pid, /proc/self/fd or None)
        self._lock = threading.Lock()
        self._tag = uuid.uuid4().hex[:8]
        self._n = itertools.count()

    def path(self, oid: ObjectId) -> str:
        return f"{self.root}/{ALGORITHM}/{oid.digest[:2]}/{oid.digest[2:]}"

    @_names_the_remote
    def existing(self, oids: set[ObjectId]) -> set[ObjectId]:
        """Which of ``oids`` the remote has: one listing when many, one request each when few."""
        if len(oids) <= 64:
            return {o for o in oids if self._exists(o)}
        return {oid for oid, _info in self._listing(detail=False)} & oids

    @_names_the_remote
    def list_objects(self) -> dict[ObjectId, int]:
        """Every object on the remote, with its size in bytes."""
        return {oid: int(info.get("size", 0)) for oid, info in self._listing(detail=True)}

    def _listing(self, detail: bool) -> Iterator[tuple[ObjectId, dict[str, Any]]]:
        """The objects under ``blake3/``, with fsspec's details when asked for; a file named
        like no object (a stray, or a temp file) is skipped, never touched."""
        base = f"{self.root}/{ALGORITHM}"
        try:
            listed = _retry(lambda: self.fs.find(base, detail=detail))
        except FileNotFoundError:
            return
        items = listed.items() if detail else ((p, {}) for p in listed)
        for p, info in items:
            prefix, rest = p.rsplit("/", 2)[-2:]
            if len(prefix) == 2 and len(rest) == 62:
                try:
                    yield ObjectId.parse(f"{ALGORITHM}:{prefix}{rest}"), info
                except ValueError:
                    continue

    @_names_the_remote
    def remove(self, oid: ObjectId) -> None:
        _retry(lambda: self.fs.rm_file(self.path(oid)))

    def _exists(self, oid: ObjectId) -> bool:
        return bool(_retry(lambda: self.fs.exists(self.path(oid))))

    @_names_the_remote
    def send(
        self, store: ObjectStore, oids: Iterable[ObjectId], jobs: int,
        advance: Callable[[int], None],
    ) -> TransferResult:  # fmt: skip
        """Upload ``oids`` from the cache; failures are collected, not raised. To an async
        remote (S3) in batches on its event loop, else through ``upload`` in threads (one for a
        folder: file creation is kernel-bound and threads contend). Call ``finish`` after."""
        ids = list(oids)
        if self.local or not self._is_async():
            workers = 1 if self.local else jobs
            return transfer(ids, lambda o: self.upload(store, o), workers, advance)
        result = TransferResult()
        self._batched(
            ids, "_put_file", lambda o: (store.fspath(o), self.path(o)), lambda _o, _r: None,
            jobs, advance, result,
        )  # fmt: skip
        return result

    def upload(self, store: ObjectStore, oid: ObjectId) -> None:
        """Send one object. To a folder it is linked, or copied to a temp name that
        ``finish`` renames into place once one ``syncfs`` made the batch durable."""
        src, dest = str(store.path(oid)), self.path(oid)
        if not self.local:
            self.fs.put_file(src, dest)
            return
        self._folder_for(dest)
        if self._links and self._link(src, dest):
            return
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

    def _folder_for(self, path: str) -> None:
        folder = path.rsplit("/", 1)[0]
        if folder not in self._made:
            os.makedirs(folder, exist_ok=True)
            self._made.add(folder)

    def _link(self, src: str, dest: str) -> bool:
        """Hard-link ``src`` as ``dest``; False (and no more tries) where links cannot be."""
        try:
            os.link(src, dest)
        except FileExistsError:
            pass  # already there: objects are named by their bytes
        except OSError as e:
            if e.errno in LINK_REFUSED:
                self._links = False
                return False
            raise
        self._linked = True
        return True

    def finish(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            linked, self._linked = self._linked, False
        if pending:
            syncfs(self.root)
            for tmp, dest in pending:
                os.replace(tmp, dest)  # a reader never sees a half object under its name
        if pending or linked:
            syncfs(self.root)

    def sweep_temps(self, everywhere: bool = False, age: float = STALE_TEMP_SECONDS) -> int:
        """Remove temp files older than ``age`` seconds that killed pushes left on a folder
        remote: in the folders this store wrote to, or ``everywhere``. Returns how many."""
        if not self.local:
            return 0  # an S3 PUT leaves no temp object
        base = f"{self.root}/{ALGORITHM}"
        if everywhere:
            try:
                folders = [f"{base}/{n}" for n in os.listdir(base) if len(n) == 2]
            except FileNotFoundError:
                return 0
        else:
            folders = sorted(self._made)
        cutoff = time.time() - age
        removed = 0
        for folder in folders:
            try:
                entries = list(os.scandir(folder))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for entry in entries:
                if not (entry.name.endswith(".tmp") and _TEMP_NAME.fullmatch(entry.name)):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        os.unlink(entry.path)
                        removed += 1
        return removed

    @_names_the_remote
    def fetch_into(
        self, store: ObjectStore, oids: Iterable[ObjectId], sizes: Mapping[ObjectId, int],
        jobs: int, advance: Callable[[int], None],
    ) -> TransferResult:  # fmt: skip
        """Download ``oids`` (``sizes``: those known from trees and pointers) into the cache;
        failures are collected, not raised. Small objects from an async remote (S3) are asked
        for in batches on its event loop; the rest go through ``download`` in threads (one
        for a folder: file creation is kernel-bound and threads contend)."""
        ids = list(oids)
        if self.local or not self._is_async():
            workers = 1 if self.local else jobs
            return transfer(ids, lambda o: self.download(store, o, sizes.get(o)), workers, advance)
        large = [o for o in ids if sizes.get(o, 0) >= STREAM_SIZE]
        result = transfer(large, lambda o: self.download(store, o, sizes[o]), jobs, advance)
        small = [o for o in ids if sizes.get(o, 0) < STREAM_SIZE]

        def keep(oid: ObjectId, data: bytes) -> None:
            if hash_bytes(data) != oid:
                raise self._corrupt(oid)
            store.put_bytes(data, oid)

        self._batched(
            small, "_cat_file", lambda o: (self.path(o),), keep, jobs, advance, result,
            **self._whole_get,
        )  # fmt: skip
        return result

    @cached_property
    def _whole_get(self) -> dict[str, Any]:
        """Recent s3fs asks for an object's size (a HEAD request) before each ``cat_file``
        unless told not to split it into parallel ranges: a small object then costs one GET."""
        import inspect

        cat = getattr(self.fs, "_cat_file", None)
        if cat is not None and "max_concurrency" in inspect.signature(cat).parameters:
            return {"max_concurrency": 1}
        return {}

    def _corrupt(self, oid: ObjectId) -> CorruptObjectError:
        return CorruptObjectError(
            f"object {oid} is corrupt on the remote {self.url}: the copy at {self.path(oid)} "
            "does not hash to its id",
            "delete that copy, then push the object again from a repo whose cache has it",
            again=not self.local,
        )

    def _is_async(self) -> bool:
        from fsspec.asyn import AsyncFileSystem

        return isinstance(self.fs, AsyncFileSystem)

    def _batched(
        self, ids: list[ObjectId], method: str, args: Callable[[ObjectId], tuple[Any, ...]],
        done: Callable[[ObjectId, Any], None], jobs: int, advance: Callable[[int], None],
        result: TransferResult, **kwargs: Any,
    ) -> None:  # fmt: skip
        """``fs.<method>(*args(oid))`` for every id, ``BATCH`` at a time gathered on the
        remote's event loop (four per job in flight), then ``done(oid, its result)``."""
        from solvent.storage.batch import call_many

        for k in range(0, len(ids), BATCH):
            batch = ids[k : k + BATCH]
            todo = batch
            for attempt in range(RETRIES):  # bytes damaged on the way are asked for again
                calls = [args(o) for o in todo]
                outcomes = call_many(self.fs, method, calls, jobs * IN_FLIGHT, **kwargs)
                again = []
                for oid, got in zip(todo, outcomes, strict=True):
                    if isinstance(got, BaseException):
                        if not (isinstance(got, OSError) or transient(got)):
                            raise remote_error(got) or got
                        result.failed[oid] = f"{type(got).__name__}: {got}"
                        continue
                    try:
                        done(oid, got)
                    except CorruptObjectError as e:
                        if attempt < RETRIES - 1:
                            again.append(oid)
                        else:
                            result.failed[oid] = e.message
                            result.corrupt.add(oid)
                        continue
                    result.sent.append(oid)
                todo = again
                if not todo:
                    break
            advance(len(batch))

    def download(self, store: ObjectStore, oid: ObjectId, size: int | None = None) -> None:
        """Fetch one object into the cache, refusing it unless its bytes hash to its id.
        ``size`` (from the tree or pointer naming it) picks streaming for large objects
        without asking the remote; unknown sizes (folder listings) are small."""
        path = self.path(oid)
        if self.local and self._links and self._link_in(store, path, oid):
            return
        if self.local:
            size = os.stat(path).st_size
        if size is not None and size >= STREAM_SIZE:
            self._download_streaming(store, path, oid)
            return
        # A folder remote is read with plain descriptors (fsspec's file objects cost more
        # system calls than a small object's bytes take to read).
        data = (
            read_small(path, 1 << 16) if self.local else self.fs.cat_file(path, **self._whole_get)
        )
        if hash_bytes(data) != oid:
            raise self._corrupt(oid)
        store.put_bytes(data, oid)

    def _download_streaming(self, store: ObjectStore, path: str, oid: ObjectId) -> None:
        """A large object goes to a temp file block by block, hashed on the way: memory stays
        at one block whatever the object's size."""
        tmp = store.new_tmp()
        hasher = blake3()
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
            try:
                with self.fs.open(path, "rb", block_size=STREAM_BLOCK, cache_type="none") as src:
                    while block := src.read(STREAM_BLOCK):
                        hasher.update(block)
                        view = memoryview(block)
                        while view:
                            view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            if ObjectId.from_digest(hasher.hexdigest()) != oid:
                raise self._corrupt(oid)
            store.adopt(tmp, oid, durable=True)  # fsynced above
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def _link_in(self, store: ObjectStore, path: str, oid: ObjectId) -> bool:
        """Link a remote object into the cache, verified first; False where links cannot be
        (nothing placed then, the caller copies). An object that is a symbolic link is never
        linked or made read-only: that would change the file it leads to, wherever it is."""
        if os.path.islink(path):
            return False
        fd_dir = self._proc_fd_dir()
        if fd_dir is None:
            return self._link_via_tmp(store, path, oid)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as e:
            if e.errno == errno.ELOOP:  # made a link since the check above
                return False
            raise
        try:
            st = os.fstat(fd)
            if st.st_size >= MMAP_THRESHOLD:  # hashed by the multithreaded mmap path
                return self._link_via_tmp(store, path, oid)
            data = read_fd(fd, st.st_size)
            if hash_bytes(data) != oid:
                raise self._corrupt(oid)
            if st.st_mode & 0o222:  # cached objects are read-only, so this one too
                try:
                    os.fchmod(fd, 0o444)
                except PermissionError:  # someone else's file: keep a copy instead
                    store.put_bytes(data, oid)
                    return True
            try:
                store.link(str(fd), oid, src_dir_fd=fd_dir)  # the file just hashed
            except OSError as e:
                if e.errno not in LINK_REFUSED:
                    raise
                self._links = False
                store.put_bytes(data, oid)
        finally:
            os.close(fd)
        return True

    def _proc_fd_dir(self) -> int | None:
        """A descriptor of this process's ``/proc/self/fd`` (Linux), to link a file by its
        open descriptor; None where there is none. Opened again in a forked child."""
        pid = os.getpid()
        with self._lock:
            if self._fd_dir is None or self._fd_dir[0] != pid:
                fd = None
                with contextlib.suppress(OSError):
                    fd = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
                    weakref.finalize(self, os.close, fd)
                self._fd_dir = (pid, fd)
            return self._fd_dir[1]

    def _link_via_tmp(self, store: ObjectStore, path: str, oid: ObjectId) -> bool:
        """Link a remote object into the cache's temp folder, hash what was linked, and hand
        it to the store (renamed into place at its next flush)."""
        tmp = store.new_tmp()
        if not self._link(path, tmp):
            return False
        try:
            if os.stat(tmp).st_mode & 0o222:  # cached objects are read-only, so this one too
                try:
                    os.chmod(tmp, 0o444)
                except PermissionError:  # someone else's file: take a copy instead
                    os.unlink(tmp)
                    return False
            if hash_file(tmp) != oid:
                raise self._corrupt(oid)
            store.adopt(tmp, oid, durable=True)  # the remote's synced bytes
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return True


class CorruptObjectError(SolventError):
    """Bytes that do not hash to their id. ``again``: worth asking for them once more (they
    crossed a network, and may have been damaged on the way rather than on the remote)."""

    def __init__(self, message: str, hint: str | None = None, *, again: bool = False) -> None:
        super().__init__(message, hint)
        self.again = again


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
            result.corrupt.add(oid)
            return oid, e.message
        except OSError as e:
            return oid, f"{type(e).__name__}: {e}"
        except Exception as e:
            if transient(e):  # damaged on every try
                return oid, f"{type(e).__name__}: {e}"
            raise
        finally:
            advance(1)

    def chunk(ids: list[ObjectId]) -> list[tuple[ObjectId, str | None]]:
        return [one(oid) for oid in ids]

    ids = list(oids)
    if jobs <= 1 or len(ids) <= 1:
        outcomes = chunk(ids)  # no pool: a future and a thread switch per object cost more
    else:  # than a small object's transfer; each task takes a run of objects instead
        from concurrent.futures import ThreadPoolExecutor

        size = max(1, min(64, len(ids) // (jobs * 4)))
        runs = [ids[k : k + size] for k in range(0, len(ids), size)]
        with ThreadPoolExecutor(jobs) as pool:
            outcomes = [o for done in pool.map(chunk, runs) for o in done]
    for oid, error in outcomes:
        if error is None:
            result.sent.append(oid)
        else:
            result.failed[oid] = error
    return result


def _retry(call: Callable[[], T]) -> T:
    """Retry transient errors with exponential backoff; a missing file is not transient. Bytes
    fetched over a network that do not hash to their id are asked for again too: damage on the
    way goes away, damage on the remote does not. No credentials or no answer from the
    endpoint end the command."""
    for attempt in range(RETRIES):
        try:
            return call()
        except (FileNotFoundError, PermissionError):
            raise
        except Exception as e:
            if isinstance(e, CorruptObjectError) and not e.again:
                raise
            if not (transient(e) or isinstance(e, CorruptObjectError)):
                raise remote_error(e) or e from None
            if attempt == RETRIES - 1:
                raise
            time.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


def remote_error(e: BaseException) -> RemoteError | None:
    """What botocore's failure to sign or to connect means to the user; None for the rest."""
    if not type(e).__module__.startswith("botocore"):
        return None
    import botocore.exceptions as boto  # type: ignore[import-untyped]

    if isinstance(e, boto.NoCredentialsError | boto.PartialCredentialsError):
        return RemoteError(
            f"S3 remote: {e}",
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the remote's options: "
            "solvent remote modify NAME access_key_id ... (and secret_access_key)",
        )
    if isinstance(e, boto.ConnectionError):
        return RemoteError(
            f"S3 remote: {e}",
            "check the remote's endpoint_url (solvent remote list) and the network, then run "
            "the command again",
        )
    if isinstance(e, boto.BotoCoreError):
        return RemoteError(f"S3 remote: {e}", "check the remote's settings: solvent remote list")
    return None


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
