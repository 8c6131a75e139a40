"""Typed settings from ``.solvent/config.toml`` (shared, committed) and ``config.local.toml``."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from solvent.errors import MalformedFileError, UsageError

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


# -- 'solvent config': get, set, unset and list keys ------------------------------------------

SHARED_FILE, LOCAL_FILE = "config.toml", "config.local.toml"
EXECUTORS = ("local", "dask")
TRACE_MODES = ("auto", "full", "audit", "off")


def _words(name: str, text: str) -> list[str]:
    """A list typed on the command line: ``a,b`` or ``a, b``."""
    words = [w.strip() for w in text.split(",") if w.strip()]
    if not words:
        raise UsageError(f"{name} needs at least one value", "separate values with commas: a,b")
    return words


def _one_of(choices: tuple[str, ...]) -> Callable[[str, str], Any]:
    def check(name: str, text: str) -> str:
        if text not in choices:
            raise UsageError(f"{name}: unknown value {text!r}", f"choose from {', '.join(choices)}")
        return text

    return check


def _links(name: str, text: str) -> list[str]:
    words = _words(name, text)
    for w in words:
        _one_of(LINK_TYPES)(name, w)
    return words


def _positive(name: str, text: str) -> int | float:
    try:
        number: int | float = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            number = -1
    if not number > 0 or number == float("inf"):
        raise UsageError(f"{name}: {text!r} is not a positive number", "e.g. 90")
    return number


def _text(name: str, text: str) -> str:
    if not text.strip():
        raise UsageError(f"{name}: the value is empty", "give a value, or --unset the key")
    return text


# Every key Solvent reads, and how a typed value becomes the value stored. A remote's keys
# (remote.NAME.url and its options) are checked by solvent.remotes.
KNOWN_KEYS: dict[str, Callable[[str, str], Any]] = {
    "core.remote": _text,
    "cache.link": _links,
    "repro.executor": _one_of(EXECUTORS),
    "repro.scheduler_address": _text,
    "repro.trace": _one_of(TRACE_MODES),
    "doctor.ignore": _words,
    "doctor.audit_age_days": _positive,
}


@dataclass(frozen=True)
class ConfigKey:
    """A typed ``section.key`` (or ``remote.NAME.key``) name, split into its table path."""

    name: str
    table: tuple[str, ...]
    key: str

    @property
    def secret(self) -> bool:
        from solvent.remotes import SECRET_KEYS

        return self.table[0] == "remote" and self.key in SECRET_KEYS


def parse_key(name: str) -> ConfigKey:
    from solvent.remotes import OPTION_KEYS, check_name

    parts = name.split(".")
    if parts[0] == "remote" and len(parts) == 3:
        check_name(parts[1])
        if parts[2] not in {"url", *OPTION_KEYS}:
            choices = ", ".join(sorted({"url", *OPTION_KEYS}))
            raise UsageError(
                f"unknown remote option '{parts[2]}' in {name}", f"choose from {choices}"
            )
        return ConfigKey(name, ("remote", parts[1]), parts[2])
    if name not in KNOWN_KEYS:
        known = ", ".join([*KNOWN_KEYS, "remote.NAME.url", "remote.NAME.OPTION"])
        raise UsageError(f"unknown config key {name!r}", f"known keys: {known}")
    section, key = name.split(".")
    return ConfigKey(name, (section,), key)


def _lookup(doc: dict[str, Any], key: ConfigKey) -> Any:
    node: Any = doc
    for part in (*key.table, key.key):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def get_value(dot: Path, name: str, *, local: bool = False) -> Any:
    """The value of ``name``: ``config.local.toml`` over ``config.toml`` (only the local file
    with ``local``); None when it is not set."""
    key = parse_key(name)
    files = (LOCAL_FILE,) if local else (LOCAL_FILE, SHARED_FILE)
    for file in files:
        value = _lookup(read_toml(dot / file), key)
        if value is not None:
            return value
    return None


def list_values(dot: Path, *, local: bool = False) -> dict[str, Any]:
    """Every key set, flattened to ``section.key`` (local over shared; only local with
    ``local``), sorted by name."""
    merged: dict[str, Any] = {}
    for file in (SHARED_FILE, LOCAL_FILE) if not local else (LOCAL_FILE,):
        merged.update(_flat(read_toml(dot / file)))
    return dict(sorted(merged.items()))


def _flat(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in doc.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def set_value(dot: Path, name: str, value: str | None, *, local: bool = False) -> str:
    """Set ``name`` (unset it when ``value`` is None) in ``config.toml``, or with ``local``
    in ``config.local.toml``; secrets always go to the local file. The file keeps its
    comments and order. Returns the file written; refuses, writing nothing, a value Solvent
    cannot use or an unset of a key that is not set."""
    file, key, typed = check_value(dot, name, value, local=local)
    _write_key(dot / file, key, typed)
    return file


def check_value(
    dot: Path, name: str, value: str | None, *, local: bool = False
) -> tuple[str, ConfigKey, Any]:
    """What ``set_value`` would write, and where; raises what it would refuse."""
    from solvent.remotes import check_url, list_remotes

    key = parse_key(name)
    file = LOCAL_FILE if local or key.secret else SHARED_FILE
    typed: Any = None
    if value is not None:
        if key.table[0] == "remote":
            if key.key == "url":
                check_url(value)
            elif not any(r.name == key.table[1] for r in list_remotes(dot)):
                raise UsageError(
                    f"no remote named '{key.table[1]}'",
                    f"add it first: solvent config remote.{key.table[1]}.url URL",
                )
            typed = _text(name, value)
        else:
            typed = KNOWN_KEYS[name](name, value)
        if name == "core.remote" and not any(r.name == value for r in list_remotes(dot)):
            known = ", ".join(r.name for r in list_remotes(dot)) or "none yet"
            raise UsageError(f"no remote named '{value}' (remotes: {known})", "solvent remote list")
    if value is None and _lookup(read_toml(dot / file), key) is None:
        raise UsageError(f"{key.name} is not set in {file}", "nothing to unset")
    return file, key, typed


def _write_key(path: Path, key: ConfigKey, value: Any) -> None:
    import tomlkit
    from tomlkit.items import Table

    from solvent.remotes import _load, _section
    from solvent.storage.fsutil import atomic_write_text

    doc = _load(path)
    if value is None:
        node: Any = doc
        for part in key.table:
            node = node.get(part) if isinstance(node, dict | Table) else None
        if not isinstance(node, dict | Table) or key.key not in node:
            raise UsageError(f"{key.name} is not set in {path.name}", "nothing to unset")
        del node[key.key]
    else:
        _section(doc, *key.table)[key.key] = value
    atomic_write_text(path, tomlkit.dumps(doc))


def shown(name: str, value: Any) -> Any:
    """``value`` safe to print: a remote's secrets masked."""
    from solvent.remotes import SECRET_KEYS

    parts = name.split(".")
    return "***" if parts[0] == "remote" and parts[-1] in SECRET_KEYS else value
