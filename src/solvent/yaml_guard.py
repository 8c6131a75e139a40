"""Limits on what a YAML (or JSON, TOML) file Solvent reads may cost: every such file passes
through here.

A few hundred bytes of nested anchors (``b: &b [*a, *a, …]``, a "billion laughs") expand to
billions of values once a command walks them; a value nested thousands of levels deep ends in
Python's ``RecursionError`` (or crashes ruamel's C parser outright); a file of many megabytes
takes minutes to parse. Each is refused here with one line naming the file and what to do:

- size: a file a person writes (spec, params, pointer, config) holds at most ``MAX_BYTES``;
  the lock, which Solvent writes for every stage, at most ``LOCK_MAX_BYTES``;
- nesting: at most ``MAX_DEPTH`` levels (real files use a handful);
- aliases: the values they repeat may add at most ``ALIAS_BUDGET`` to the file's own, and an
  alias may not point into the value it is part of (a recursive value).

The node graph a parser composes is checked before any value is built from it: an alias is a
reference to its anchor's node, so the expanded size is counted without expanding anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from solvent.errors import MalformedFileError

if TYPE_CHECKING:
    from ruamel.yaml import YAML

MAX_BYTES = 2 << 20
LOCK_MAX_BYTES = 64 << 20
MAX_DEPTH = 100
ALIAS_BUDGET = 100_000
MAX_DIGITS = 4_300  # Python's own limit on reading an integer
# ruamel's C composer recurses in C: it crashes the process near 30,000 levels. A text that
# cannot nest this deep (see _openers) skips the event pass.
_C_SAFE_OPENERS = 10_000
# An anchor (``&name``) as YAML writes one: at a line start, after a space or a flow
# indicator, or after the ':' of a flow mapping's quoted key ({"a":&x 1}). A shell's ``&&`` or
# ``&>`` is not one; a false match only costs the full check.
_ANCHOR = re.compile(rb"(?:^|[\s\[{,:])&[^\s\[\]{},&>]", re.MULTILINE)


def check_size(where: object, size: int, limit: int = MAX_BYTES, hint: str | None = None) -> None:
    if size > limit:
        raise MalformedFileError(
            f"{where}: {size / 1e6:.1f} MB, more than the {limit >> 20} MiB Solvent reads in "
            "such a file",
            hint or "is it the right file? keep bulk data in a tracked data file (solvent add)",
        )


def too_deep(where: object, line: int | None = None) -> MalformedFileError:
    at = f":{line}" if line is not None else ""
    return MalformedFileError(
        f"{where}{at}: values nested more than {MAX_DEPTH} levels deep",
        "flatten the structure (real settings need a few levels)",
    )


def check_nodes(root: Any, where: object, text: str | bytes) -> None:
    """Refuse a composed YAML node graph (PyYAML's or ruamel's) that nests too deep, expands
    its aliases past ``ALIAS_BUDGET`` values, or holds an alias to its own enclosing value.

    One pass, no recursion: each node's expanded size and depth are computed once (by node
    identity), so an alias costs what its anchor's node costs, counted again where it is used.
    A ``text`` without anchors is a tree: only its depth needs a look (and should the regex
    miss an anchor, a tree has fewer nodes than its text has characters: more sends it here).
    """
    anchor = _ANCHOR.search(text.encode() if isinstance(text, str) else text)
    if anchor is None and _tree_depth_checked(root, where, len(text) + 16):
        return
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    distinct = 0
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            kids = _children(node)
            if not kids:
                _check_scalar(node, where)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            if depth[key] > MAX_DEPTH:
                raise too_deep(where, _line(node))
            continue
        if key in size:
            continue
        if key in on_path:
            raise MalformedFileError(
                f"{where}:{_line(node)}: an alias refers to the value it is part of (a "
                "recursive value)",
                "replace the alias with the values it should hold",
            )
        distinct += 1
        if len(on_path) >= MAX_DEPTH:
            raise too_deep(where, _line(node))
        on_path.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)
    if size[id(root)] - distinct > ALIAS_BUDGET:
        raise MalformedFileError(
            f"{where}: aliases (*name) expand to {size[id(root)]:,} values, more than "
            f"{ALIAS_BUDGET:,} beyond the file's own",
            "write the values out, or nest fewer aliases in one another",
        )


def _tree_depth_checked(root: Any, where: object, most: int) -> bool:
    """Check the depth of a tree of nodes; False (not checked) past ``most`` nodes."""
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        most -= 1
        if most < 0:
            return False
        node, level = stack.pop()
        value = node.value
        if isinstance(value, list):
            if level >= MAX_DEPTH:
                raise too_deep(where, _line(node))
            for child in value:
                if isinstance(child, tuple):
                    stack.append((child[0], level + 1))
                    stack.append((child[1], level + 1))
                else:
                    stack.append((child, level + 1))
        elif len(value) > MAX_DIGITS:
            _check_scalar(node, where)
    return True


def _check_scalar(node: Any, where: object) -> None:
    """Python refuses to read an integer of more than 4,300 digits: say where it is."""
    value = node.value
    if isinstance(value, str) and len(value) > MAX_DIGITS and str(node.tag).endswith(":int"):
        raise MalformedFileError(
            f"{where}:{_line(node)}: a number of {len(value):,} digits",
            f"no size, count or setting needs more than {MAX_DIGITS:,} digits: fix the value",
        )


def _children(node: Any) -> list[Any]:
    value = node.value
    if isinstance(value, list):
        if value and isinstance(value[0], tuple):  # a mapping: (key node, value node) pairs
            return [n for pair in value for n in pair]
        return value
    return []


def _line(node: Any) -> int | None:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else None


def check_data(data: Any, where: object) -> None:
    """Refuse plain data (from JSON or TOML) nested deeper than ``MAX_DEPTH``."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, level = stack.pop()
        if level > MAX_DEPTH:
            raise too_deep(where)
        if isinstance(value, dict):
            stack.extend((v, level + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, level + 1) for v in value)


def load_pyyaml(
    text: bytes | str, where: object, error: Callable[[Exception], MalformedFileError],
    limit: int = MAX_BYTES,
) -> Any:  # fmt: skip
    """A YAML 1.1 document read with PyYAML's safe loader (its C one when installed), checked
    before any value is built. ``error`` turns a syntax error into the caller's message."""
    import yaml

    check_size(where, len(text), limit)
    loader_class: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_nodes(node, where, text)
        return loader.construct_document(node)
    except yaml.YAMLError as e:
        raise error(e) from None
    except RecursionError:
        raise too_deep(where) from None
    except ValueError as e:  # e.g. an integer of more than 4,300 digits
        raise MalformedFileError(f"{where}: {e}", "write a shorter value") from None
    finally:
        loader.dispose()


def compose_ruamel(yaml: YAML, text: str, where: object) -> tuple[Any, Any]:
    """(root node or None, data) from ruamel, checked before any value is built. Syntax
    errors (``YAMLError``) pass to the caller, who knows how to word them."""
    check_size(where, len(text))
    if _openers(text) > _C_SAFE_OPENERS and not _pure(yaml):
        _check_event_depth(text, where)
    import warnings

    from ruamel.yaml.error import ReusedAnchorWarning

    try:
        with warnings.catch_warnings():  # an anchor may be defined again (YAML allows it)
            warnings.simplefilter("ignore", ReusedAnchorWarning)
            node = yaml.compose(text)
        if node is None:
            return None, None
        check_nodes(node, where, text)
        return node, yaml.constructor.construct_document(node)
    except RecursionError:
        raise too_deep(where) from None
    except ValueError as e:  # e.g. an integer of more than 4,300 digits
        raise MalformedFileError(f"{where}: {e}", "write a shorter value") from None


def _openers(text: str) -> int:
    """More than the deepest the text can nest: each block level sits at a greater column
    than its parent (so no deeper than the longest line is long), and each flow level opens
    with a bracket."""
    longest = max(map(len, text.splitlines()), default=0)
    return longest + text.count("[") + text.count("{") + 1


def _pure(yaml: YAML) -> bool:
    from ruamel.yaml.parser import Parser

    return yaml.Parser is Parser


def _check_event_depth(text: str, where: object) -> None:
    """Count levels in the parser's events (flat, no recursion) before composing."""
    from ruamel.yaml import YAML
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent

    level = 0
    for event in YAML(typ="safe").parse(text):
        if isinstance(event, CollectionStartEvent):
            level += 1
            if level > MAX_DEPTH:
                raise too_deep(where, event.start_mark.line + 1 if event.start_mark else None)
        elif isinstance(event, CollectionEndEvent):
            level -= 1
