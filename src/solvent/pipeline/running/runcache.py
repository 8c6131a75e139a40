"""The run-cache: (resolved cmd, dep ids, params) → out ids, so a stage already run with the
same inputs is restored from the cache instead of run again."""

from __future__ import annotations

import json
from pathlib import Path

from blake3 import blake3

from solvent.errors import SolventError
from solvent.pipeline.planning.lock import LockedPath, StageLock, parse_lock, render
from solvent.storage.fsutil import atomic_write_text


def run_key(lock: StageLock) -> str:
    doc = {
        "cmd": list(lock.cmd),
        "deps": sorted([str(d.path), str(d.id)] for d in lock.deps),
        "params": {f: dict(sorted(v.items())) for f, v in sorted(lock.params.items())},
    }
    if lock.code:  # an edited helper module must not restore the outs its old version made
        doc["code"] = sorted([str(c.path), str(c.id)] for c in lock.code)
    return blake3(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


class RunCache:
    def __init__(self, root: Path) -> None:
        self.root = root  # .solvent/runcache

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key[2:]}.yaml"

    def get(self, lock: StageLock) -> tuple[LockedPath, ...] | None:
        """Outs of an earlier run with the same cmd, deps and params."""
        path = self._path(run_key(lock))
        try:
            text = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            entry = parse_lock(text, str(path)).get("run")
        except SolventError:
            return None  # a damaged entry is a miss, never an error
        return entry.outs if entry is not None else None

    def put(self, lock: StageLock) -> None:
        path = self._path(run_key(lock))
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, render({"run": lock}))
