"""The environment fingerprint: interpreter, platform and installed packages, as short strings.

Packages are fingerprinted from a lock or requirements file when the project has one (that
is what the project says it runs with), else from the names of the ``*.dist-info`` folders on
``sys.path`` (``name-version.dist-info``): one ``listdir`` per folder, well under a
millisecond, where ``importlib.metadata`` takes ~50 ms. Computed once per command.

It describes the interpreter Solvent runs in, which is the one stages get when Solvent is
installed in the project's environment (the common case).
"""

from __future__ import annotations

import functools
import os
import platform
import sys
from pathlib import Path

from blake3 import blake3

# First match wins: the most precise description of the environment the project declares.
LOCK_FILES = (
    "uv.lock", "poetry.lock", "pdm.lock", "pylock.toml", "Pipfile.lock", "conda-lock.yml",
    "requirements.lock", "requirements.txt", "environment.yml",
)  # fmt: skip


def _short(data: bytes) -> str:
    return blake3(data).hexdigest()[:16]


def installed_packages() -> list[str]:
    """``name-version`` of every distribution on ``sys.path`` (not the current folder)."""
    found: set[str] = set()
    for folder in sys.path:
        if not folder or not os.path.isdir(folder):
            continue
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                found.add(name.rsplit(".", 1)[0].lower().replace("_", "-"))
    return sorted(found)


@functools.cache
def fingerprint(root: Path) -> dict[str, str]:
    """``{"python": "3.11.7", "platform": "linux-x86_64", "packages": "<source>:<hash>"}``."""
    packages = None
    for name in LOCK_FILES:
        try:
            packages = f"{name}:{_short((root / name).read_bytes())}"
            break
        except OSError:
            continue
    if packages is None:
        packages = f"installed:{_short(chr(10).join(installed_packages()).encode())}"
    return {
        "python": platform.python_version(),
        "platform": f"{sys.platform}-{platform.machine()}",
        "packages": packages,
    }


def describe_change(old: dict[str, str], new: dict[str, str]) -> str:
    """``python 3.11.7 → 3.12.1, packages changed`` — what differs, in a few words."""
    parts = []
    for key in ("python", "platform"):
        if old.get(key) != new.get(key):
            parts.append(f"{key} {old.get(key, '?')} → {new.get(key, '?')}")
    if old.get("packages") != new.get("packages"):
        source = new.get("packages", "").partition(":")[0]
        parts.append("packages changed" + (f" ({source})" if source != "installed" else ""))
    return ", ".join(parts) or "changed"
