"""``solvent import`` and ``solvent update``: data from another Solvent repo, tracked here with
a record of where it came from.

``import`` is ``get`` followed by ``add``, and the pointer file keeps the source (the other
repo's URL, the path in it, the rev asked for and the commit it named). ``update`` asks the
source again: when the rev now names another commit, the new version replaces the data and
the pointer records the new commit. Local edits to imported data are never overwritten
without ``--force``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from solvent.errors import UsageError
from solvent.repo import RepoLayout
from solvent.storage.fsutil import atomic_write_text
from solvent.tracking.add import add
from solvent.tracking.get import fetched
from solvent.tracking.pointer import (
    ImportSource,
    Pointer,
    UrlSource,
    pointer_path_for,
    read_pointer,
)
from solvent.tracking.select import select_pointers
from solvent.tracking.status import DataState, status


@dataclass(frozen=True)
class ImportResult:
    path: str
    pointer: str
    commit: str  # the source's commit; for a URL, its version id, etag or checksum
    changed: bool  # False: the source still names the recorded commit


def import_data(
    layout: RepoLayout, url: str, path: str, dest: Path, rev: str | None, jobs: int
) -> ImportResult:
    rel = layout.rel(str(dest))
    if os.path.lexists(dest) or layout.abs(pointer_path_for(rel)).exists():
        raise UsageError(f"{rel} already exists", "choose another destination with -o PATH")
    recorded_url = _portable(layout, url)
    with fetched(url, path, rev, jobs) as (data, commit):
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(data), str(dest))
    source = ImportSource(recorded_url, path, rev, commit)
    _track(layout, rel, source, jobs)
    return ImportResult(str(rel), str(pointer_path_for(rel)), commit, True)


def update(layout: RepoLayout, targets: list[str], force: bool, jobs: int) -> list[ImportResult]:
    pointers = [p for p in select_pointers(layout, targets) if p.source is not None]
    if targets and not pointers:
        raise UsageError(
            "none of these was imported",
            "'solvent import URL PATH' or 'solvent import-url URL' imports data",
        )
    results = []
    for pointer in pointers:
        source = pointer.source
        assert source is not None
        if not force:
            _refuse_local_edits(layout, pointer)
        if isinstance(source, UrlSource):
            results.append(_update_url(layout, pointer, source, jobs))
            continue
        url = _resolvable(layout, source.url)
        with fetched(url, source.path, source.rev, jobs) as (data, commit):
            if commit == source.commit:
                results.append(ImportResult(str(pointer.path), str(pointer.where), commit, False))
                continue
            target = layout.abs(pointer.path)
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif os.path.lexists(target):
                os.unlink(target)
            shutil.move(str(data), str(target))
        _track(layout, pointer.path, replace(source, commit=commit), jobs)
        results.append(ImportResult(str(pointer.path), str(pointer.where), commit, True))
    return results


def import_url(layout: RepoLayout, url: str, dest: Path, jobs: int) -> ImportResult:
    """Download ``url`` (a path, ``s3://…``, ``https://…``) to ``dest`` and track it with
    what the source was (see ``tracking.import_url``)."""
    from solvent.tracking import import_url as iu

    rel = layout.rel(str(dest))
    if os.path.lexists(dest) or layout.abs(pointer_path_for(rel)).exists():
        raise UsageError(f"{rel} already exists", "choose another destination: import-url URL OUT")
    if not iu.is_remote(url):
        url = str(Path(url.removeprefix("file://")).resolve())
    source = iu.probe(layout, url)
    with iu.downloaded(layout, url) as data:
        source = iu.fingerprint(source, data)
        iu.place(layout, data, layout.writable(rel, url))
    _track(layout, rel, replace(source, url=iu.recorded_url(layout, url)), jobs)
    return ImportResult(str(rel), str(pointer_path_for(rel)), iu.version_of(source), True)


def _update_url(layout: RepoLayout, pointer: Pointer, source: UrlSource, jobs: int) -> ImportResult:
    from solvent.tracking import import_url as iu

    unchanged = ImportResult(str(pointer.path), str(pointer.where), iu.version_of(source), False)
    now = iu.probe(layout, source.url)
    verdict = iu.same(source, now)
    if verdict:
        return unchanged
    with iu.downloaded(layout, source.url) as data:
        now = iu.fingerprint(now, data)
        if verdict is None and now.checksum == source.checksum:
            return unchanged
        iu.place(layout, data, layout.writable(pointer.path, str(pointer.where)))
    _track(layout, pointer.path, now, jobs)
    return ImportResult(str(pointer.path), str(pointer.where), iu.version_of(now), True)


def _track(
    layout: RepoLayout, rel: PurePosixPath, source: ImportSource | UrlSource, jobs: int
) -> None:
    add(layout, [str(layout.abs(rel))], jobs)
    where = pointer_path_for(rel)
    pointer = replace(read_pointer(layout.root, where), source=source)
    atomic_write_text(layout.abs(where), pointer.render())


def _refuse_local_edits(layout: RepoLayout, pointer: Pointer) -> None:
    (state,) = status(layout, [str(pointer.where)], jobs=1)
    if state.state is DataState.MODIFIED:
        raise UsageError(
            f"{pointer.path} was changed here since it was imported",
            "save it elsewhere first, or pass --force to replace it with the source's version",
        )


def _portable(layout: RepoLayout, url: str) -> str:
    """A local source is recorded relative to the repo root, so clones elsewhere find it."""
    if "://" in url or url.startswith("git@") or not Path(url).exists():
        return url
    return os.path.relpath(Path(url).resolve(), layout.root)


def _resolvable(layout: RepoLayout, url: str) -> str:
    if "://" in url or url.startswith("git@") or os.path.isabs(url):
        return url
    local = layout.root / url
    return str(local) if local.exists() else url
