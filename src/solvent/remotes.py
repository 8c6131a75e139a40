"""Remote settings: ``[remote.NAME]`` tables in ``.solvent/config.toml``, like git's remotes.

Secrets (keys, tokens, passwords) live only in the git-ignored ``config.local.toml`` or in the
environment, and are never printed. Files are edited with tomlkit, so comments and order stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Table

from solvent.config import read_toml
from solvent.errors import MalformedFileError, UsageError
from solvent.paths import check_remote_folder
from solvent.storage.fsutil import atomic_write_text

SHARED, LOCAL = "config.toml", "config.local.toml"
SECRET_KEYS = frozenset({"access_key_id", "secret_access_key", "session_token", "password"})
OPTION_KEYS = frozenset({"endpoint_url", "region", "profile", "jobs", "link", *SECRET_KEYS})
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_S3 = re.compile(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?")


@dataclass(frozen=True)
class Remote:
    name: str
    url: str
    options: dict[str, str] = field(default_factory=dict)  # shared and local, merged
    default: bool = False

    def shown(self) -> dict[str, str]:
        """Options safe to print: secrets masked."""
        return {k: ("***" if k in SECRET_KEYS else v) for k, v in sorted(self.options.items())}


def _load(path: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(path.read_text())
    except FileNotFoundError:
        return tomlkit.document()
    except Exception as e:  # tomlkit raises its own ParseError subclasses
        raise MalformedFileError(f"{path}: {e}", "fix the TOML syntax") from None


def _tables(dot: Path) -> tuple[dict[str, dict[str, Any]], str | None]:
    """Every ``[remote.NAME]`` table (the local file's keys over the shared one's) and
    ``core.remote``; a value of the wrong type names its file and key."""
    remotes: dict[str, dict[str, Any]] = {}
    default = None
    for file in (SHARED, LOCAL):
        doc = read_toml(dot / file)
        for section in ("core", "remote"):
            if not isinstance(doc.get(section, {}), dict):
                raise MalformedFileError(
                    f"{dot / file}: '{section}' must be a table",
                    'write it as [core] with remote = "NAME" below it'
                    if section == "core"
                    else 'write each remote as [remote.NAME] with url = "..." below it',
                )
        for name, table in doc.get("remote", {}).items():
            if not isinstance(table, dict):
                raise MalformedFileError(
                    f"{dot / file}: remote.{name} must be a table",
                    f'write it as [remote.{name}] with url = "..." below it',
                )
            remotes.setdefault(name, {}).update(table)
        value = doc.get("core", {}).get("remote")
        if value is not None and not isinstance(value, str):
            raise MalformedFileError(
                f"{dot / file}: core.remote must be a remote's name, not {value!r}",
                "set it: solvent remote default NAME",
            )
        default = value or default
    return remotes, default


def list_remotes(dot: Path) -> list[Remote]:
    names, default = _tables(dot)
    remotes = []
    for name in sorted(names):
        merged = dict(names[name])
        url = merged.pop("url", None)
        if not isinstance(url, str):
            raise MalformedFileError(
                f"{dot / SHARED}: remote '{name}' has no url",
                f"set it: solvent remote add --force {name} URL",
            )
        remotes.append(Remote(name, url, {k: str(v) for k, v in merged.items()}, name == default))
    return remotes


def get_remote(dot: Path, name: str | None) -> Remote:
    """A remote by name, or the default one."""
    remotes = list_remotes(dot)
    if name is None:
        chosen = [r for r in remotes if r.default]
        if not chosen:
            raise UsageError(
                "no default remote",
                "add one: solvent remote add --default NAME URL (or pass --remote NAME)",
            )
        return chosen[0]
    for r in remotes:
        if r.name == name:
            return r
    known = ", ".join(r.name for r in remotes) or "none yet"
    raise UsageError(f"no remote named '{name}' (remotes: {known})", "solvent remote list")


def check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise UsageError(
            f"invalid remote name {name!r}",
            "use letters, digits, '.', '_' or '-', starting with a letter or digit",
        )


def check_url(url: str) -> None:
    if "://" in url and not _S3.fullmatch(url):
        scheme = url.split("://", 1)[0]
        if scheme == "s3":
            raise UsageError(f"invalid S3 URL {url!r}", "write it as s3://BUCKET[/PREFIX]")
        raise UsageError(
            f"unsupported remote URL scheme '{scheme}://'",
            "use a folder path (local or mounted) or s3://BUCKET[/PREFIX]",
        )
    if not url.strip():
        raise UsageError("the remote URL is empty")


def _section(doc: tomlkit.TOMLDocument, *keys: str) -> Table:
    node: Any = doc
    for key in keys:
        if key not in node:
            node[key] = tomlkit.table(is_super_table=key == "remote")
        node = node[key]
        if not isinstance(node, Table):
            raise MalformedFileError(f"[{'.'.join(keys)}] in the config must be a table")
    return node  # type: ignore[no-any-return]


def add_remote(dot: Path, name: str, url: str, *, default: bool, force: bool) -> None:
    check_name(name)
    check_url(url)
    check_remote_folder(dot.parent, url)
    if not force and any(r.name == name for r in list_remotes(dot)):
        raise UsageError(f"remote '{name}' already exists", "pass --force to replace its URL")
    doc = _load(dot / SHARED)
    _section(doc, "remote", name)["url"] = url
    if default:
        _section(doc, "core")["remote"] = name
    atomic_write_text(dot / SHARED, tomlkit.dumps(doc))


def set_option(dot: Path, name: str, key: str, value: str | None) -> str:
    """Set (or with None, unset) one option; secrets always go to the local file. Returns
    the file written."""
    get_remote(dot, name)
    if key == "url":  # as in 'dvc remote modify NAME url URL'
        if value is None:
            raise UsageError("a remote cannot be without a url", f"solvent remote remove {name}")
        check_url(value)
        check_remote_folder(dot.parent, value)
    elif key not in OPTION_KEYS:
        choices = ", ".join(sorted({"url", *OPTION_KEYS}))
        raise UsageError(f"unknown remote option '{key}'", f"choose from {choices}")
    target = LOCAL if key in SECRET_KEYS else SHARED
    doc = _load(dot / target)
    table = _section(doc, "remote", name)
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value
    atomic_write_text(dot / target, tomlkit.dumps(doc))
    return target


def set_default(dot: Path, name: str) -> None:
    get_remote(dot, name)
    doc = _load(dot / SHARED)
    _section(doc, "core")["remote"] = name
    atomic_write_text(dot / SHARED, tomlkit.dumps(doc))


def remove_remote(dot: Path, name: str) -> None:
    get_remote(dot, name)
    for file in (SHARED, LOCAL):
        path = dot / file
        if not path.exists():
            continue
        doc = _load(path)
        changed = False
        remotes = doc.get("remote")
        if isinstance(remotes, Table) and name in remotes:
            del remotes[name]
            changed = True
        core = doc.get("core")
        if isinstance(core, Table) and core.get("remote") == name:
            del core["remote"]
            changed = True
        if changed:
            atomic_write_text(path, tomlkit.dumps(doc))
