"""Schema changes between two versions of a table: added, removed and retyped columns.

Works on (name, dtype) pairs, so it serves both tables and stored profiles; comparing two
profiles needs neither the data nor scipy (what ``status`` wants for a changed input).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from solvent.health.profile import Profile

Fields = Sequence[tuple[str, str]]  # (column name, dtype as profiles name it)


@dataclass(frozen=True, slots=True)
class Retyped:
    name: str
    reference: str
    current: str


@dataclass(frozen=True, slots=True)
class SchemaDiff:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    retyped: tuple[Retyped, ...]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.retyped)


def schema_diff(reference: Fields, current: Fields) -> SchemaDiff:
    ref, cur = dict(reference), dict(current)
    return SchemaDiff(
        added=tuple(n for n, _ in current if n not in ref),
        removed=tuple(n for n, _ in reference if n not in cur),
        retyped=tuple(Retyped(n, t, cur[n]) for n, t in reference if n in cur and cur[n] != t),
    )


def profile_schema_diff(reference: Profile, current: Profile) -> SchemaDiff:
    return schema_diff(
        [(c.name, c.dtype) for c in reference.columns], [(c.name, c.dtype) for c in current.columns]
    )
