"""Typed settings from ``.solvent/config.toml`` (shared, committed) and ``config.local.toml``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from solvent.errors import MalformedFileError

LinkType = Literal["reflink", "copy", "hardlink", "symlink"]
LINK_TYPES: tuple[LinkType, ...] = ("reflink", "copy", "hardlink", "symlink")

DEFAULT_CONFIG = """\
# Solvent settings for this repo (committed). Machine-specific values go in config.local.toml.

[cache]
# How data gets from the cache into the workspace, tried in order. reflink shares blocks
# where the file system can (btrfs, xfs, apfs); copy always works. hardlink and symlink
# save space but make tracked files read-only links into the cache.
link = ["reflink", "copy"]
"""


@dataclass(frozen=True)
class Config:
    link: tuple[LinkType, ...] = ("reflink", "copy")

    def _check(self, where: str) -> None:
        if not self.link:
            raise MalformedFileError(f"{where}: cache.link is empty", f"use {list(LINK_TYPES)}")
        for kind in self.link:
            if kind not in LINK_TYPES:
                raise MalformedFileError(
                    f"{where}: cache.link has unknown link type {kind!r}",
                    f"choose from {', '.join(LINK_TYPES)}",
                )


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a dict ({} when missing); a syntax error names the file."""
    import tomllib  # only commands that need the config pay for the parser

    from solvent.yaml_guard import check_data, check_size, too_deep

    try:
        with path.open("rb") as f:
            check_size(path, os.fstat(f.fileno()).st_size)
            doc = tomllib.load(f)
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        raise MalformedFileError(f"{path} is a folder", "it must be a TOML file") from None
    except UnicodeDecodeError:
        raise MalformedFileError(f"{path}: not UTF-8 text", "save the file as UTF-8") from None
    except RecursionError:
        raise too_deep(path) from None
    except ValueError as e:  # TOMLDecodeError, or an integer of more than 4,300 digits
        raise MalformedFileError(f"{path}: {e}", "fix the TOML syntax") from None
    check_data(doc, path)
    return doc


def _is_default(dot: Path) -> bool:
    """The config 'init' wrote, untouched and not overridden: no TOML parser needed."""
    try:
        return (dot / "config.toml").read_bytes() == DEFAULT_CONFIG.encode() and not (
            dot / "config.local.toml"
        ).exists()
    except OSError:
        return False


def load_config(dot: Path) -> Config:
    """Read the shared config, then let ``config.local.toml`` override it key by key."""
    if _is_default(dot):
        return Config()
    merged: dict[str, object] = {}
    for name in ("config.toml", "config.local.toml"):
        for section, values in read_toml(dot / name).items():
            if isinstance(values, dict):
                current = merged.setdefault(section, {})
                assert isinstance(current, dict)
                current.update(values)
            elif section == "cache":  # e.g. 'cache = "hardlink"': say so, never ignore it
                raise MalformedFileError(
                    f"{dot / name}: cache must be a table", "write it as [cache] link = [...]"
                )
    cache = merged.get("cache", {})
    where = str(dot / "config.toml")
    if not isinstance(cache, dict):
        raise MalformedFileError(f"{where}: [cache] must be a table")
    link = cache.get("link", ["reflink", "copy"])
    if isinstance(link, str):
        link = [part.strip() for part in link.split(",")]
    if not isinstance(link, list):
        raise MalformedFileError(f"{where}: cache.link must be a list of link types")
    config = Config(link=tuple(cast(list[LinkType], link)))
    config._check(where)
    return config
