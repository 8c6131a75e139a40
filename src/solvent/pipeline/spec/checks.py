"""The ``checks:`` block of a stage: data checks that gate it (Solvent's addition to dvc.yaml).

    checks:
      schema: [data/raw.csv]                 # a dep keeps the columns and types it had
      drift: {data/raw.csv: 0.5}             # at most this share of its columns drift
      rows: {data/train.csv: {min: 100}}     # row-count bounds (min, max)
      no_duplicates: [data/train.csv]        # no row twice
      disjoint: [[data/train.csv, data/test.csv]]   # no row in both (``{paths, key}`` too)

``schema`` and ``drift`` compare a dep with the version recorded in the lock, when it changed;
the others look at the data itself: deps before the stage runs, outs after. Paths are relative
to the stage's ``wdir``, like deps and outs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from solvent.pipeline.spec.interpolate import DataPath
from solvent.pipeline.spec.model import Check
from solvent.pipeline.spec.schema import kind_of

CHECK_KINDS = ("schema", "drift", "rows", "no_duplicates", "disjoint")
DEFAULT_DRIFT_SHARE = 0.5

RepoPath = Callable[[PurePosixPath, str, DataPath, str], PurePosixPath]
Fail = Callable[..., Exception]


class ChecksParser:
    def __init__(
        self, repo_path: RepoPath, fail: Fail, wdir: PurePosixPath, at: DataPath, who: str
    ) -> None:
        self.repo_path, self.fail, self.wdir, self.at, self.who = repo_path, fail, wdir, at, who

    def parse(
        self,
        value: Any,
        deps: tuple[PurePosixPath, ...],
        outs: tuple[PurePosixPath, ...],
    ) -> tuple[Check, ...]:
        if value is None:
            return ()
        if not isinstance(value, dict):
            raise self.fail(self.at, f"{self.who}checks must be a mapping, got {kind_of(value)}")
        checks: list[Check] = []
        for kind, body in value.items():
            at = (*self.at, kind)
            if kind not in CHECK_KINDS:
                raise self.fail(
                    at, f"{self.who}unknown check {kind!r}", f"use one of {', '.join(CHECK_KINDS)}"
                )
            if kind in ("schema", "no_duplicates"):
                checks += [Check(kind, (p,)) for p in self._paths(body, at, kind)]
            elif kind == "drift":
                for p, limit in self._limits(body, at):
                    checks.append(Check(kind, (p,), limit=limit))
            elif kind == "rows":
                checks += self._rows(body, at)
            else:
                checks += self._disjoint(body, at)
        for c in checks:
            allowed = deps if c.kind in ("schema", "drift") else (*deps, *outs)
            for p in c.paths:
                if p not in allowed:
                    what = "a dep" if c.kind in ("schema", "drift") else "a dep or an out"
                    raise self.fail(
                        (*self.at, c.kind),
                        f"{self.who}check {c.kind} names {p}, which is not {what} of the stage",
                        "list it under deps (or outs), or fix the path",
                    )
        return tuple(checks)

    def _path(self, text: Any, at: DataPath, what: str) -> PurePosixPath:
        if not isinstance(text, str):
            raise self.fail(at, f"{self.who}{what} must name a path, got {kind_of(text)}")
        return self.repo_path(self.wdir, text, at, f"{self.who}check {what}")

    def _paths(self, body: Any, at: DataPath, what: str) -> list[PurePosixPath]:
        items = [body] if isinstance(body, str) else body
        if not isinstance(items, list) or not items:
            raise self.fail(at, f"{self.who}check {what} takes a path or a list of paths")
        return [self._path(p, (*at, i), what) for i, p in enumerate(items)]

    def _limits(self, body: Any, at: DataPath) -> list[tuple[PurePosixPath, float]]:
        if not isinstance(body, dict):
            return [(p, DEFAULT_DRIFT_SHARE) for p in self._paths(body, at, "drift")]
        out = []
        for p, limit in body.items():
            ok = isinstance(limit, int | float) and not isinstance(limit, bool)
            if limit is not None and not (ok and 0 <= limit <= 1):
                raise self.fail(
                    (*at, p), f"{self.who}check drift for {p}: the limit is a share of columns",
                    "give a number from 0 to 1 (0.5: at most half of the columns drift)",
                )  # fmt: skip
            share = DEFAULT_DRIFT_SHARE if limit is None else float(limit)
            out.append((self._path(p, (*at, p), "drift"), share))
        return out

    def _rows(self, body: Any, at: DataPath) -> list[Check]:
        if not isinstance(body, dict):
            raise self.fail(at, f"{self.who}check rows takes {{path: {{min: N, max: N}}}}")
        checks = []
        for p, bounds in body.items():
            here = (*at, p)
            bad = not isinstance(bounds, dict) or not bounds or set(bounds) - {"min", "max"}
            values = list(bounds.values()) if isinstance(bounds, dict) else []
            if bad or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                raise self.fail(
                    here, f"{self.who}check rows for {p}: give whole-number min and/or max"
                )
            low, high = bounds.get("min"), bounds.get("max")
            if low is not None and high is not None and low > high:
                raise self.fail(
                    here, f"{self.who}check rows for {p}: min {low} is above max {high}"
                )
            checks.append(
                Check("rows", (self._path(p, here, "rows"),), min_rows=low, max_rows=high)
            )
        return checks

    def _disjoint(self, body: Any, at: DataPath) -> list[Check]:
        groups = (
            body if isinstance(body, list) and body and not isinstance(body[0], str) else [body]
        )
        checks = []
        for i, group in enumerate(groups):
            here = (*at, i)
            key: list[Any] = []
            if isinstance(group, dict):
                key = group.get("key") or []
                if set(group) - {"paths", "key"} or not isinstance(key, list):
                    raise self.fail(
                        here, f"{self.who}check disjoint takes {{paths: [...], key: [...]}}"
                    )
                group = group.get("paths")
            paths = self._paths(group, here, "disjoint")
            if len(paths) < 2 or not all(isinstance(k, str) for k in key):
                raise self.fail(
                    here,
                    f"{self.who}check disjoint needs two or more paths (and column names as key)",
                )
            checks.append(Check("disjoint", tuple(paths), key=tuple(key)))
        return checks
