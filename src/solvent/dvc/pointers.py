"""``.dvc`` pointer files of ``dvc add`` as tracked data: status, checkout and lineage read them
where they are (they stay DVC's files; Solvent never rewrites them).

Status compares DVC's md5 of the workspace with the pointer's. Checkout needs the data in
Solvent's cache: it is taken, md5 checked, from the workspace, the DVC cache or a DVC folder
remote, stored by blake3, and then restored like any Solvent pointer.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Literal

from solvent.dvc.hashing import Md5Cache
from solvent.dvc.lockfile import DvcPointer, parse_dvc_file
from solvent.dvc.objects import DvcObjects, IdMap, Imported, md5_key
from solvent.errors import CacheMissingError, MalformedFileError
from solvent.repo import RepoLayout
from solvent.storage.ids import ObjectId
from solvent.tracking.changes import FileChanges
from solvent.tracking.discover import find_pointers
from solvent.tracking.pointer import Pointer, PointerKind
from solvent.tracking.status import DataState, DataStatus

DVC_SUFFIX = ".dvc"
Source = Literal["solvent", "workspace", "dvc"]  # Solvent's cache, the data itself, DVC's


def read_dvc_file(
    layout: RepoLayout, where: PurePosixPath, skip_imports: bool = False
) -> list[DvcPointer]:
    try:
        text = layout.abs(where).read_bytes()
    except OSError as e:
        raise MalformedFileError(f"{where}: cannot read ({e.strerror})") from None
    return parse_dvc_file(where, text, skip_imports)


def is_dvc_repo(layout: RepoLayout) -> bool:
    return (layout.root / ".dvc").is_dir()


def all_dvc_pointers(layout: RepoLayout) -> list[DvcPointer]:
    if not is_dvc_repo(layout):
        return []  # no second walk of the workspace in a repo DVC never used
    found = []
    for where in find_pointers(layout.root, DVC_SUFFIX):
        if where.name != DVC_SUFFIX:
            found.extend(read_dvc_file(layout, where, skip_imports=True))
    return found


def split_targets(layout: RepoLayout, targets: list[str]) -> tuple[list[str], list[DvcPointer]]:
    """Targets that name ``.dvc`` files (``data.xml.dvc`` or ``data.xml``), as pointers, and
    the other targets, as they were typed."""
    rest: list[str] = []
    dvc: list[DvcPointer] = []
    if not is_dvc_repo(layout):
        return targets, dvc
    for target in targets:
        rel = layout.rel(target, "target")
        where = rel if rel.name.endswith(DVC_SUFFIX) else rel.with_name(rel.name + DVC_SUFFIX)
        if rel.name and layout.abs(where).is_file():
            dvc.extend(read_dvc_file(layout, where))
        else:
            rest.append(target)
    return rest, dvc


def dvc_status(layout: RepoLayout, pointers: list[DvcPointer]) -> list[DataStatus]:
    if not pointers:
        return []
    md5s = Md5Cache(layout.dot / "state.db", layout.root)
    objects = DvcObjects(layout.root)
    ids = IdMap(layout.dot / "state.db")
    try:
        return [_status(layout, p, md5s, objects, ids) for p in pointers]
    finally:
        md5s.close()
        ids.close()


def _status(
    layout: RepoLayout, p: DvcPointer, md5s: Md5Cache, objects: DvcObjects, ids: IdMap
) -> DataStatus:
    known = ids.get(md5_key(p.hash.md5, p.legacy))
    in_cache = (known is not None and layout.store.has(known)) or objects.has(p.hash.md5)
    base = (str(p.path), str(p.where))
    now = md5s.path(str(layout.abs(p.path)), p.legacy)
    if now is None:
        return DataStatus(*base, DataState.MISSING, in_cache)
    if now.md5 == p.hash.md5:
        return DataStatus(*base, DataState.UNCHANGED, in_cache, hashed=md5s.hashed)
    changes = _changes(layout, p, md5s, objects) if now.is_dir and p.hash.is_dir else None
    return DataStatus(*base, DataState.MODIFIED, in_cache, changes or FileChanges(), md5s.hashed)


def _changes(
    layout: RepoLayout, p: DvcPointer, md5s: Md5Cache, objects: DvcObjects
) -> FileChanges | None:
    """Per-file changes against the pointer's listing, when a DVC cache holds it."""
    from solvent.dvc.hashing import parse_listing

    listing = objects.find(p.hash.md5)
    if listing is None:
        return None
    try:
        was = dict(parse_listing(listing.read_bytes(), str(listing)))
    except ValueError:
        return None
    now = {rel: md5 for rel, md5, _st in md5s.listing(str(layout.abs(p.path)), p.legacy)}
    return FileChanges(
        tuple(sorted(set(now) - set(was))),
        tuple(sorted(set(was) - set(now))),
        tuple(sorted(r for r in set(was) & set(now) if was[r] != now[r])),
    )


def solvent_pointers(layout: RepoLayout, pointers: list[DvcPointer]) -> list[Pointer]:
    """Each ``.dvc`` out as a Solvent pointer whose objects are in Solvent's cache (call under
    the repo lock: objects may be imported). A pointer whose data is nowhere is an error
    before anything is imported."""
    if not pointers:
        return []
    md5s = Md5Cache(layout.dot / "state.db", layout.root)
    ids = IdMap(layout.dot / "state.db")
    objects = DvcObjects(layout.root)
    try:
        plans = [(p, data_source(layout, p, md5s, ids, objects)) for p in pointers]
        nowhere = [p for p, source in plans if source is None]
        if nowhere:
            raise CacheMissingError(
                f"{nowhere[0].path} (in {nowhere[0].where}) is not in the workspace, Solvent's "
                "cache, the DVC cache or a DVC folder remote",
                "fetch it with 'dvc pull', or add the remote's folder to .dvc/config",
            )
        found = []
        for p, source in plans:
            got = _bring(layout, p, source, ids, objects)
            kind: PointerKind = "dir" if p.hash.is_dir else "file"
            found.append(Pointer(p.where, p.path, got.id, kind, got.size, got.files, p.executable))
        layout.store.flush()
        return found
    finally:
        md5s.close()
        ids.close()


def data_source(
    layout: RepoLayout, p: DvcPointer, md5s: Md5Cache, ids: IdMap, objects: DvcObjects
) -> Source | None:
    """Where the pointer's data can come from (None: nowhere here)."""
    known = ids.get(md5_key(p.hash.md5, p.legacy))
    if known is not None and _complete(layout, known, p.hash.is_dir):
        return "solvent"
    now = md5s.path(str(layout.abs(p.path)), p.legacy)
    if now is not None and now.md5 == p.hash.md5:
        return "workspace"
    return "dvc" if objects.has(p.hash.md5) else None


def _complete(layout: RepoLayout, oid: ObjectId, is_dir: bool) -> bool:
    from solvent.tracking.snapshot import missing_objects

    if not is_dir:
        return layout.store.has(oid)
    probe = Pointer(PurePosixPath("x"), PurePosixPath("x"), oid, "dir", 0, 0)
    return not missing_objects(layout, probe, layout.trees)


def _bring(
    layout: RepoLayout, p: DvcPointer, source: Source | None, ids: IdMap, objects: DvcObjects
) -> Imported:
    key = md5_key(p.hash.md5, p.legacy)
    known = ids.get(key)
    if source == "solvent" and known is not None:
        entry = layout.trees(known) if p.hash.is_dir else None
        size = entry.size if entry is not None else layout.store.path(known).stat().st_size
        return Imported(known, size, entry.files if entry is not None else 1)
    if source == "workspace":
        from solvent.tracking.snapshot import snapshot

        snap = snapshot(layout, p.path, save=True)
        assert snap.entry is not None
        got = Imported(snap.entry.id, snap.entry.size, snap.entry.files)
    elif p.hash.is_dir:
        got = objects.import_dir(layout.store, p.hash.md5, p.legacy)
    else:
        got = objects.import_file(layout.store, p.hash.md5, p.legacy)
    ids.put(key, got.id)
    return got


def dvc_id_at(layout: RepoLayout, where: PurePosixPath, text: bytes) -> str | None:
    """The Solvent id of the data a ``.dvc`` file's text names (``where``: its path), when
    Solvent has seen that md5 (status, checkout, migrate): lineage's view of DVC's data."""
    try:
        pointers = parse_dvc_file(where, text, skip_imports=True)
    except (MalformedFileError, ValueError):
        return None
    if len(pointers) != 1:
        return None
    ids = IdMap(layout.dot / "state.db")
    try:
        oid = ids.get(md5_key(pointers[0].hash.md5, pointers[0].legacy))
    finally:
        ids.close()
    return str(oid) if oid is not None else None


def cached_roots(layout: RepoLayout) -> dict[ObjectId, bool]:
    """The Solvent objects holding the data of the workspace's ``.dvc`` files (id → whether
    a folder), for ``gc`` to keep."""
    pointers = all_dvc_pointers(layout)
    if not pointers:
        return {}
    ids = IdMap(layout.dot / "state.db")
    try:
        found = {p: ids.get(md5_key(p.hash.md5, p.legacy)) for p in pointers}
    finally:
        ids.close()
    return {oid: p.hash.is_dir for p, oid in found.items() if oid is not None}
