"""``solvent import-url`` and its ``update``: data from a URL, tracked with what the source was.

The source is a local path (recorded relative to the repo when it can be, so clones elsewhere
find it) or an fsspec URL: ``s3://bucket/key`` (s3fs; endpoint and credentials from the usual
AWS settings), ``https://…`` (aiohttp). The pointer keeps the source's ``etag`` (and
``version_id`` on a versioned bucket) where the server gives one, as DVC does; a local source,
or a server without etags, is fingerprinted by the ``checksum`` of its bytes. ``update`` asks
the source again and fetches only when that changed; local edits are kept unless ``force``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from blake3 import blake3

from solvent.errors import UsageError
from solvent.repo import RepoLayout
from solvent.storage.hashing import hash_file
from solvent.tracking.pointer import UrlSource


def is_remote(url: str) -> bool:
    return "://" in url and not url.startswith("file://")


def _local(layout: RepoLayout, url: str) -> Path:
    path = Path(url.removeprefix("file://"))
    return path if path.is_absolute() else layout.root / path


def _fs(url: str) -> tuple[Any, str]:
    import fsspec

    try:
        return fsspec.core.url_to_fs(url)  # type: ignore[no-any-return]
    except ImportError as e:
        raise UsageError(f"{url}: this kind of URL needs a package ({e})",
                         "pip install 'solvent[s3]' (s3fs and aiohttp)") from None  # fmt: skip
    except ValueError as e:
        raise UsageError(f"{url}: not a URL Solvent can read ({e})", None) from None


def checksum(path: Path) -> str:
    """A file's object id; for a folder, the hash of its files' relative paths and ids."""
    if not path.is_dir():
        return str(hash_file(path))
    lines = []
    for folder, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            full = Path(folder) / name
            lines.append(f"{full.relative_to(path).as_posix()}\0{hash_file(full)}\n")
    return f"blake3:{blake3(''.join(lines).encode()).hexdigest()}"


def probe(layout: RepoLayout, url: str) -> UrlSource:
    """What the source is now, without downloading it (a local source is hashed in place)."""
    if not is_remote(url):
        path = _local(layout, url)
        if not path.exists():
            raise UsageError(f"{url}: no such file or folder", "check the path")
        size = path.stat().st_size if path.is_file() else None
        return UrlSource(url, checksum=checksum(path), size=size)
    fs, rpath = _fs(url)
    try:
        info = fs.info(rpath)
    except FileNotFoundError:
        raise UsageError(f"{url}: not found", "check the URL") from None
    except OSError as e:
        raise UsageError(f"{url}: cannot be read ({e})", "check the URL and credentials") from None
    if info.get("type") == "directory":
        listing = fs.find(rpath, detail=True)
        lines = sorted(f"{k}\0{_etag(v)}\0{v.get('size')}\n" for k, v in listing.items())
        if lines and all(_etag(v) for v in listing.values()):
            return UrlSource(url, etag=blake3("".join(lines).encode()).hexdigest()[:32])
        return UrlSource(url)
    version = info.get("VersionId") or info.get("version_id")
    size = info.get("size")
    return UrlSource(url, _etag(info), str(version) if version else None, None,
                     int(size) if isinstance(size, int) else None)  # fmt: skip


def _etag(info: dict[str, Any]) -> str | None:
    for key in ("ETag", "etag", "Content-MD5", "Digest"):
        if info.get(key):
            return str(info[key]).strip('"')
    return None


def same(recorded: UrlSource, now: UrlSource) -> bool | None:
    """Whether the source is unchanged; None when only its bytes can tell."""
    if now.etag is not None:
        return (now.etag, now.version_id) == (recorded.etag, recorded.version_id)
    if now.checksum is not None:
        return now.checksum == recorded.checksum
    return None


@contextlib.contextmanager
def downloaded(layout: RepoLayout, url: str) -> Iterator[Path]:
    """The source's bytes in a temporary folder beside the cache (same file system, so they
    move into the workspace by rename); removed afterwards."""
    layout.dot.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="import-url-", dir=layout.dot) as tmp:
        dest = Path(tmp) / "data"
        if not is_remote(url):
            src = _local(layout, url)
            if src.is_dir():
                shutil.copytree(src, dest, symlinks=False)
            else:
                shutil.copy2(src, dest)
        else:
            fs, rpath = _fs(url)
            try:
                fs.get(rpath, str(dest), recursive=fs.isdir(rpath))
            except OSError as e:
                raise UsageError(f"{url}: download failed ({e})", "run it again") from None
        yield dest


def recorded_url(layout: RepoLayout, url: str) -> str:
    """A local source relative to the repo root, so clones elsewhere find it."""
    if is_remote(url):
        return url
    return os.path.relpath(_local(layout, url).resolve(), layout.root)


def place(layout: RepoLayout, data: Path, target: Path) -> None:
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    elif os.path.lexists(target):
        os.unlink(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(data), str(target))


def fingerprint(source: UrlSource, data: Path) -> UrlSource:
    """The source as recorded: its checksum taken from the downloaded bytes when the server
    gave no etag."""
    if source.etag is not None or source.checksum is not None:
        return source
    size = data.stat().st_size if data.is_file() else None
    return UrlSource(source.url, None, None, checksum(data), size)


def version_of(source: UrlSource) -> str:
    return source.version_id or source.etag or source.checksum or "?"
