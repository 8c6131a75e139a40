"""``.dvc/config`` (and ``config.local``): the remotes and the cache folder a DVC project uses."""

from __future__ import annotations

import configparser
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from solvent.errors import MalformedFileError

_REMOTE = re.compile(r"""^'?remote\s+"([^"]+)"'?$""")


@dataclass(frozen=True, slots=True)
class DvcRemote:
    name: str
    url: str  # as written; a relative folder is relative to .dvc/
    default: bool
    options: dict[str, str] = field(default_factory=dict)  # the section's other keys

    def folder(self, dvc_dir: Path) -> Path | None:
        """The folder a local remote names; None for a cloud URL."""
        if "://" in self.url:
            return None if not self.url.startswith("file://") else Path(self.url[7:])
        return Path(os.path.normpath(dvc_dir / os.path.expanduser(self.url)))


@dataclass(frozen=True, slots=True)
class DvcConfig:
    remotes: tuple[DvcRemote, ...]
    cache_dir: Path  # absolute


def _read(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(path.read_text())
    except FileNotFoundError:
        pass
    except (configparser.Error, UnicodeDecodeError) as e:
        raise MalformedFileError(
            f"{path}: not a DVC config ({e})", "fix it as 'dvc config' would"
        ) from None
    return parser


def read_dvc_config(root: Path) -> DvcConfig:
    dvc_dir = root / ".dvc"
    urls: dict[str, str] = {}
    options: dict[str, dict[str, str]] = {}
    default = None
    cache = None
    for name in ("config", "config.local"):
        parser = _read(dvc_dir / name)
        for section in parser.sections():
            m = _REMOTE.match(section.strip())
            if m:
                values = {k: v.strip() for k, v in parser.items(section)}
                if "url" in values:
                    urls[m.group(1)] = values.pop("url")
                options.setdefault(m.group(1), {}).update(values)
        if parser.has_option("core", "remote"):
            default = parser.get("core", "remote").strip()
        if parser.has_option("cache", "dir"):
            cache = parser.get("cache", "dir").strip()
    remotes = tuple(
        DvcRemote(n, u, n == default, options.get(n, {})) for n, u in sorted(urls.items())
    )
    cache_dir = Path(os.path.normpath(dvc_dir / cache)) if cache else dvc_dir / "cache"
    return DvcConfig(remotes, cache_dir)
