"""Reading the files a spec depends on: the spec itself (with line numbers), vars/params data
files, and DVC's ``parsing`` settings.

YAML is read as DVC reads it, with ruamel's safe loader (YAML 1.2: ``1e-5`` is a float, ``yes``
a string), so values have exactly DVC's types. The spec is composed to nodes first, which
carry the line of every key and item for error messages. ruamel's C parser (ruamel.yaml.clib)
is ten times faster than its pure-Python one but stricter (it refuses ``[file.yaml:key]``);
where it fails, the pure parser, which DVC uses, gets the last word.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from solvent.errors import MalformedFileError
from solvent.pipeline.spec.interpolate import DataPath, ParsingOptions, ResolveError
from solvent.storage.memo import memo_entry
from solvent.yaml_guard import check_data, check_size, compose_ruamel, too_deep

if TYPE_CHECKING:  # ruamel is imported when a file must be parsed (see storage.memo)
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.nodes import Node

Lines = dict[DataPath, int]

_BOOL_STYLES: dict[str, Literal["store_true", "boolean_optional"]] = {
    "store_true": "store_true",
    "boolean_optional": "boolean_optional",
}
_LIST_STYLES: dict[str, Literal["nargs", "append"]] = {"nargs": "nargs", "append": "append"}


def line_of(lines: Lines, at: DataPath) -> int | None:
    """The line of ``at``, or of its closest enclosing value that has one."""
    while at:
        if at in lines:
            return lines[at]
        at = at[:-1]
    return lines.get(())


def _yaml_error(
    file: PurePosixPath | str, e: YAMLError, text: str | None = None
) -> MalformedFileError:
    from ruamel.yaml.error import MarkedYAMLError

    hint = "fix the YAML syntax"
    if isinstance(e, MarkedYAMLError):
        mark = e.problem_mark or e.context_mark
        what = e.problem or e.context or "invalid YAML"
        if mark is None:
            return MalformedFileError(f"{file}: {what}", hint)
        lines = text.splitlines() if text is not None else []
        if mark.line < len(lines) and "${" in lines[mark.line]:
            hint = "inside [ ] or { }, quote a value holding ${…}: ['out/${item}.csv']"
        return MalformedFileError(f"{file}:{mark.line + 1}: {what}", hint)
    return MalformedFileError(f"{file}: {e}", hint)


def _compose(yaml: YAML, text: str, file: PurePosixPath | str) -> tuple[Any, Node | None, Any]:
    node, data = compose_ruamel(yaml, text, file)
    return data, node, yaml.constructor


def _safe_yaml(text: str, file: PurePosixPath | str) -> tuple[Any, Node | None, Any]:
    """(data, root node, constructor), read by the C parser when it is installed and agrees."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.parser import Parser as PurePythonParser

    yaml = YAML(typ="safe")
    try:
        return _compose(yaml, text, file)
    except YAMLError as e:
        if yaml.Parser is PurePythonParser:
            raise _yaml_error(file, e, text) from None
    try:  # the C parser is stricter than the pure one DVC uses: let the pure one decide
        return _compose(YAML(typ="safe", pure=True), text, file)
    except YAMLError as e:
        raise _yaml_error(file, e, text) from None


def parse_spec(text: str, file: PurePosixPath) -> tuple[Any, Lines]:
    """Plain data and the 1-based line of every mapping key and list item in it."""
    data, node, constructor = _safe_yaml(text, file)
    lines: Lines = {(): 1}
    if node is not None:
        _collect_lines(node, (), lines, constructor)
    return data, lines


def _collect_lines(node: Node, at: DataPath, lines: Lines, constructor: Any) -> None:
    """Walk the node tree the data was built from; keys are rebuilt (from the constructor's
    cache) to name each path. A key merged in with ``<<`` and also written keeps its own line."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if isinstance(key, list):
                key = tuple(key)
            lines[(*at, key)] = key_node.start_mark.line + 1
            _collect_lines(value_node, (*at, key), lines, constructor)
    elif isinstance(node, SequenceNode):
        for i, child in enumerate(node.value):
            lines[(*at, i)] = child.start_mark.line + 1
            _collect_lines(child, (*at, i), lines, constructor)


def load_data_file(root: Path, rel: PurePosixPath) -> dict[str, Any]:
    """A vars/params file as DVC reads it: by suffix YAML, JSON or TOML; must be a mapping.

    A missing file, a folder or a non-mapping is a ResolveError (the caller knows which
    ``vars`` entry asked); a syntax error names the data file and its line.
    """
    path = root / rel
    if not path.exists():
        raise ResolveError(f"'{rel}' does not exist", "create it, or fix the path in vars")
    if path.is_dir():
        raise ResolveError(f"'{rel}' is a directory", "vars and params name a file")
    suffix = rel.suffix.lower()
    check_size(rel, path.stat().st_size)
    raw = path.read_bytes()
    memo = memo_entry(root, "data", suffix.encode() + b"\0" + raw, str(rel))
    data = memo.load()
    if data is None:
        data = parse_data_file(rel, suffix, raw)
        memo.keep(data)
        memo.save()
    return data


def parse_data_file(rel: PurePosixPath, suffix: str, raw: bytes) -> dict[str, Any]:
    """The bytes of a params/vars file (``raw``) as a mapping, parsed by ``suffix``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedFileError(f"{rel}: not UTF-8 text", "save the file as UTF-8") from None
    data: Any
    if suffix == ".json":
        try:
            data = json.loads(text) or {}
        except json.JSONDecodeError as e:
            raise MalformedFileError(f"{rel}:{e.lineno}: {e.msg}", "fix the JSON syntax") from None
        except RecursionError:
            raise too_deep(rel) from None
    elif suffix == ".toml":
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise MalformedFileError(f"{rel}: {e}", "fix the TOML syntax") from None
        except RecursionError:
            raise too_deep(rel) from None
    elif suffix == ".py":
        raise ResolveError(
            f"'{rel}': Python params files are not supported",
            "move the values to params.yaml (or a .json/.toml file)",
        )
    else:
        data = _safe_yaml(text, rel)[0] or {}
    if not isinstance(data, dict):
        raise ResolveError(f"'{rel}' holds a {type(data).__name__}, not a mapping of values")
    check_data(data, rel)
    return data


def read_parsing_options(root: Path) -> ParsingOptions:
    """DVC's ``[parsing]`` settings from ``.dvc/config`` (then ``config.local``), if any."""
    import configparser

    values: dict[str, str] = {}
    for name in ("config", "config.local"):
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read(root / ".dvc" / name, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            continue  # DVC's own format is configobj; settings we cannot read keep defaults
        if parser.has_section("parsing"):
            values.update({k: v.strip().lower() for k, v in parser.items("parsing")})
    bool_style = _BOOL_STYLES.get(values.get("bool", "store_true"))
    list_style = _LIST_STYLES.get(values.get("list", "nargs"))
    if bool_style is None:
        raise MalformedFileError(
            f".dvc/config: parsing.bool is {values['bool']!r}", "use store_true or boolean_optional"
        )
    if list_style is None:
        raise MalformedFileError(
            f".dvc/config: parsing.list is {values['list']!r}", "use nargs or append"
        )
    return ParsingOptions(bool_style, list_style)
