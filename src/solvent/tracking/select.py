"""Turning what the user typed (data paths or pointer paths) into pointers."""

from __future__ import annotations

from pathlib import PurePosixPath

from solvent.errors import UsageError
from solvent.git import POINTER_SUFFIX
from solvent.repo import RepoLayout
from solvent.tracking.discover import find_pointers
from solvent.tracking.pointer import Pointer, pointer_path_for, read_pointer


def all_pointers(layout: RepoLayout) -> list[Pointer]:
    return [read_pointer(layout.root, where) for where in find_pointers(layout.root)]


def select_pointers(layout: RepoLayout, targets: list[str]) -> list[Pointer]:
    """Pointers for ``targets``; every pointer in the repo when there are none."""
    if not targets:
        return all_pointers(layout)
    chosen: dict[PurePosixPath, Pointer] = {}
    for target in targets:
        rel = layout.rel(target, "target")
        where = rel if rel.name.endswith(POINTER_SUFFIX) else pointer_path_for(rel)
        if not layout.abs(where).is_file():
            raise UsageError(
                f"{target} is not tracked by Solvent (no {where})",
                f"track it with 'solvent add {target}'",
            )
        chosen[where] = read_pointer(layout.root, where)
    return sorted(chosen.values(), key=lambda p: p.where)


def tracking_parent(layout: RepoLayout, rel: PurePosixPath) -> PurePosixPath | None:
    """The tracked folder that already holds ``rel``, if any."""
    for parent in rel.parents:
        if parent != PurePosixPath(".") and layout.abs(pointer_path_for(parent)).is_file():
            return parent
    return None
