"""Parsed forms of small text files (the pipeline spec, the lock), kept by content.

A command that only reads (``status``, a no-op ``repro``) then neither imports nor runs a YAML
parser for a file that has not changed since the last command. Entries are named by a hash of
the file's bytes and of the Solvent version, hold ``marshal`` data (plain dicts, lists, tuples,
strings and numbers) behind a checksum. They are written only when the command that parsed
them succeeds (``flush``, called by the CLI), so a command refused for bad input leaves
nothing behind, not even a memo.
"""

from __future__ import annotations

import contextlib
import marshal
import os
from pathlib import Path
from typing import Any

from blake3 import blake3

from solvent import __version__

MEMO_DIR = "tmp/memo"  # under .solvent; tmp/ is git-ignored there
KEEP = 64  # entries kept; older ones go when a new one is written
_SUM = 32
# (folder, kind, slot) -> (entry name, blob): a file written many times by one command (the
# lock, after each stage) leaves only its last version to write.
_pending: dict[tuple[Path, str, str], tuple[str, bytes]] = {}


class MemoEntry:
    def __init__(self, folder: Path | None, kind: str, text: bytes, slot: str = "") -> None:
        self.folder = folder
        self.kind = kind
        self.slot = slot  # which file: a later entry for the same slot replaces a pending one
        h = blake3(f"{kind}\0{__version__}\0".encode())
        h.update(text)
        self.name = f"{kind}-{h.hexdigest()[:40]}"
        self._blob: bytes | None = None

    def load(self) -> Any | None:
        """The parsed value, or None when it is not kept (or the entry is damaged)."""
        if self.folder is None:
            return None
        try:
            blob = (self.folder / self.name).read_bytes()
        except OSError:
            return None
        payload = blob[_SUM:]
        if len(blob) <= _SUM or blake3(payload).digest() != blob[:_SUM]:
            return None
        try:
            return marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return None

    def keep(self, value: Any) -> None:
        """Serialise ``value`` now (the caller may change it later); written by ``save``."""
        try:
            payload = marshal.dumps(value)
        except ValueError:  # a type marshal cannot hold (e.g. a YAML date): not kept
            self._blob = None
            return
        self._blob = blake3(payload).digest() + payload

    def save(self) -> None:
        """Mark what ``keep`` serialised (the caller accepted it) for the next ``flush``."""
        if self.folder is not None and self._blob is not None:
            _pending[self.folder, self.kind, self.slot] = (self.name, self._blob)


def flush() -> None:
    """Write the saved entries; a failure only means the next run parses again."""
    folders = set()
    while _pending:
        (folder, _kind, _slot), (name, blob) = _pending.popitem()
        path = folder / name
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            import tempfile  # only when something new is remembered

            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(blob)
                os.replace(tmp, path)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            folders.add(path.parent)
    for folder in folders:
        with contextlib.suppress(OSError):
            _prune(folder)


def memo_entry(root: Path, kind: str, text: bytes, slot: str = "") -> MemoEntry:
    """An entry under the repo's ``.solvent`` folder; a no-op where there is none."""
    dot = root / ".solvent"
    return MemoEntry(dot / MEMO_DIR if dot.is_dir() else None, kind, text, slot)


def _prune(folder: Path) -> None:
    entries = [e for e in os.scandir(folder) if not e.name.startswith(".")]
    if len(entries) <= KEEP:
        return
    entries.sort(key=lambda e: e.stat().st_mtime_ns)
    for e in entries[: len(entries) - KEEP]:
        with contextlib.suppress(OSError):
            os.unlink(e.path)
