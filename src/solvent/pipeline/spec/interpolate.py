"""``${…}`` interpolation with DVC's semantics, so a dvc.yaml resolves here as it does in DVC.

The rules, as DVC 3.x applies them (``dvc/parsing``):

- ``${a.b}``, ``${a[0]}`` and ``${a.0}`` select nested values; ``\\${`` escapes.
- A string that is exactly one ``${…}`` keeps the value's type; anywhere else the value is
  rendered as text (``true``/``false`` for booleans, ``str()`` otherwise).
- Only scalars may be interpolated into stage fields, except a dict in ``cmd``, which renders
  as command-line arguments (``--key value``, ``--flag``; see :class:`ParsingOptions`).
- Variables come from ``params.yaml``, ``vars`` and ``item``/``key``; a variable may never be
  defined twice, and nested dicts from several sources merge.

Errors are :class:`ResolveError`; the spec loader adds the file, line and stage.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, Literal

Key = str | int | float | None  # YAML mapping keys may be any scalar
# A value path inside the spec, e.g. ("stages", "train", "outs", 0): errors carry it so the
# loader can name the line.
DataPath = tuple[Key, ...]

KEYCRE = re.compile(r"(?<!\\)\$\{(?P<inner>.*?)\}")
_EXPR = re.compile(r"[^.\[\]]+(?:\.[^.\[\]]+|\[[^.\[\]]+\])*")
_SEGMENT = re.compile(r"\.?([^.\[\]]+)|\[([^.\[\]]+)\]")
SCALARS = (str, int, float, bool)


class ResolveError(Exception):
    """A value could not be resolved; ``path`` says where inside the value being resolved."""

    def __init__(self, message: str, hint: str | None = None, path: DataPath = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = path


@dataclass(frozen=True, slots=True)
class ParsingOptions:
    """How a dict renders in a cmd; DVC's ``parsing.bool`` and ``parsing.list`` settings."""

    bool_style: Literal["store_true", "boolean_optional"] = "store_true"
    list_style: Literal["nargs", "append"] = "nargs"


def parse_expr(inner: str) -> tuple[str, ...]:
    """``a.b[0]`` → ``("a", "b", "0")``; a malformed expression is an error, not a literal."""
    if not _EXPR.fullmatch(inner):
        raise ResolveError(
            f"invalid expression ${{{inner}}}",
            "write keys as ${a.b.c}, and list items as ${a[0]} or ${a.0}",
        )
    return tuple((m[1] or m[2]).strip() for m in _SEGMENT.finditer(inner))


def has_interpolation(value: Any) -> bool:
    """True when any string in ``value`` (keys included) contains an unescaped ``${``."""
    if isinstance(value, str):
        return KEYCRE.search(value) is not None
    if isinstance(value, Mapping):
        return any(has_interpolation(k) or has_interpolation(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_interpolation(v) for v in value)
    return False


def to_str(value: Any, options: ParsingOptions | None = None) -> str:
    """Render a value inside a string as DVC does: booleans lower-case, dicts as CLI args."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return _cli_args(value, options or ParsingOptions())
    return str(value)


def _flatten(d: Mapping[Any, Any], prefix: str | None = None) -> Iterator[tuple[str, Any]]:
    """Nested dicts to dotted keys; empty dicts vanish (as ``flatten_dict`` does for DVC)."""
    for k, v in d.items():
        key = f"{k}" if prefix is None else f"{prefix}.{k}"
        if isinstance(v, dict):
            yield from _flatten(v, key)
        else:
            yield key, v


def _cli_args(d: Mapping[Any, Any], options: ParsingOptions) -> str:
    parts: list[str] = []
    for k, v in _flatten(d):
        if isinstance(v, bool):
            if v:
                parts.append(f"--{k}")
            elif options.bool_style == "boolean_optional":
                parts.append(f"--no-{k}")
        elif isinstance(v, str):
            parts.append(f"--{k} {shlex.quote(v)}")
        elif isinstance(v, list):
            for n, item in enumerate(v):
                if isinstance(item, dict | list):
                    raise ResolveError(
                        f"cannot render nested list or dict in '{k}' as command-line arguments"
                    )
                text = shlex.quote(item) if isinstance(item, str) else f"{item}"
                if options.list_style == "append" or n == 0:
                    parts.append(f"--{k} {text}")
                else:
                    parts.append(text)
        else:
            parts.append(f"--{k} {v}")
    return " ".join(parts)


def clean(value: Any, source: str, at: tuple[str, ...] = ()) -> Any:
    """Check that data can live in a context; non-string dict keys are dropped, as in DVC."""
    if isinstance(value, dict):
        return {k: clean(v, source, (*at, k)) for k, v in value.items() if isinstance(k, str)}
    if isinstance(value, list):
        return [clean(v, source, (*at, str(i))) for i, v in enumerate(value)]
    if value is None or isinstance(value, SCALARS):
        return value
    raise ResolveError(
        f"{source}: '{'.'.join(at)}' holds a {type(value).__name__} ({value}), "
        "which cannot be used as a variable",
        "quote it to make it a string",
    )


_MISSING = object()


class Context:
    """The variables ``${…}`` can see, and where each one came from.

    Values are plain YAML/JSON data. Merging never mutates a dict another context shares, so
    copying a context (once per generated stage) is a shallow copy.
    """

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.origin: dict[tuple[str, ...], str] = {}  # key path → the file or vars entry
        self.imports: dict[str, list[str] | None] = {}  # file → keys loaded (None: all)
        self.reserved: frozenset[str] = frozenset()

    def copy(self) -> Context:
        new = Context()
        new.data = dict(self.data)
        new.origin = self.origin  # copied on write, in merge()
        new.imports = dict(self.imports)
        new.reserved = self.reserved
        return new

    def with_loop(self, values: dict[str, Any]) -> Context:
        """A copy where ``item`` (and ``key``) are set and may not be redefined by ``vars``."""
        new = self.copy()
        new.data.update(values)
        new.reserved = self.reserved | values.keys()
        return new

    def merge(self, update: Mapping[str, Any], source: str) -> None:
        """Add ``update``'s variables; redefining one is an error, nested dicts merge."""
        clash = sorted(self.reserved & update.keys())
        if clash:
            raise ResolveError(
                f"{source} may not set {', '.join(map(repr, clash))}",
                "item and key are set by foreach/matrix; rename the variable",
            )
        self.origin = dict(self.origin)
        self.data = self._merged(self.data, update, (), source)

    def _merged(
        self, into: dict[str, Any], update: Mapping[str, Any], at: tuple[str, ...], source: str
    ) -> dict[str, Any]:
        out = dict(into)
        for k, v in update.items():
            here = (*at, k)
            current = out.get(k, _MISSING)
            if isinstance(current, dict) and isinstance(v, dict):
                out[k] = self._merged(current, v, here, source)
            elif current is not _MISSING:
                raise ResolveError(
                    f"cannot redefine '{'.'.join(here)}' from {source}: "
                    f"it is already set by {self._origin_of(here)}",
                    "each variable may be defined once across params.yaml and vars; rename one",
                )
            else:
                out[k] = v
                self.origin[here] = source
        return out

    def _origin_of(self, at: tuple[str, ...]) -> str:
        while at:
            if at in self.origin:
                return self.origin[at]
            at = at[:-1]
        return "an earlier source"

    def select(self, expr: str) -> Any:
        """The value ``expr`` names (``a.b[0]``), or an error saying which part is missing."""
        segments = parse_expr(expr)
        node: Any = self.data
        for i, seg in enumerate(segments):
            seen = ".".join(segments[:i])
            if isinstance(node, dict):
                if seg in node:
                    node = node[seg]
                    continue
                raise ResolveError(
                    f"cannot resolve ${{{expr}}}: "
                    + (f"'{seg}' is not defined" if not seen else f"'{seen}' has no key '{seg}'"),
                    _suggest(seg, [k for k in node if isinstance(k, str)], top=not seen),
                )
            if isinstance(node, list):
                try:
                    node = node[int(seg)]
                    continue
                except (ValueError, IndexError):
                    raise ResolveError(
                        f"cannot resolve ${{{expr}}}: '{seen}' is a list of {len(node)} "
                        f"items, '{seg}' is not an index in it"
                    ) from None
            raise ResolveError(
                f"cannot resolve ${{{expr}}}: '{seen}' is {to_str(node)!r}, not a dict or list"
            )
        return node


def _suggest(name: str, candidates: list[str], *, top: bool) -> str:
    close = get_close_matches(name, candidates, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    if top:
        return "variables come from params.yaml, vars, and item/key inside foreach or matrix"
    return f"available keys: {', '.join(sorted(candidates)) or '(none)'}"


def _check_type(value: Any, expr: str, field: str | None) -> None:
    """DVC's rule: only scalars go into stage fields, except a dict into ``cmd``."""
    if value is None or isinstance(value, SCALARS) or field is None:
        return
    if isinstance(value, dict) and field == "cmd":
        return
    kind = type(value).__name__
    hint = (
        f"pick one item (${{{expr}[0]}}), or use foreach to make one stage per item"
        if isinstance(value, list)
        else "name one value inside it, e.g. ${" + expr + ".key}"
    )
    raise ResolveError(f"cannot interpolate ${{{expr}}}: it is a {kind}", hint)


def resolve_str(
    text: str, ctx: Context, field: str | None, options: ParsingOptions | None = None
) -> Any:
    """Resolve one string. ``field`` is the stage key being resolved (None: no type rule)."""
    matches = list(KEYCRE.finditer(text))
    if len(matches) == 1 and matches[0].group(0) == text:
        value = ctx.select(matches[0]["inner"])
        _check_type(value, matches[0]["inner"], field)
        return value
    parts: list[str] = []
    index = 0
    for m in matches:
        value = ctx.select(m["inner"])
        _check_type(value, m["inner"], field)
        parts.append(text[index : m.start()])
        parts.append(to_str(value, options))
        index = m.end()
    parts.append(text[index:])
    return "".join(parts).replace("\\${", "${")


def resolve(
    value: Any,
    ctx: Context,
    field: str | None,
    options: ParsingOptions | None = None,
    at: DataPath = (),
) -> Any:
    """Resolve every string in ``value``, dict keys included; errors carry their path."""
    try:
        if isinstance(value, str):
            return resolve_str(value, ctx, field, options)
    except ResolveError as e:
        raise ResolveError(e.message, e.hint, at) from None
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            rk = resolve(k, ctx, field, options, (*at, k))
            if not isinstance(rk, SCALARS) and rk is not None:
                raise ResolveError(f"key {k!r} resolves to a {type(rk).__name__}", None, (*at, k))
            out[rk] = resolve(v, ctx, field, options, (*at, k))
        return out
    if isinstance(value, list):
        return [resolve(v, ctx, field, options, (*at, i)) for i, v in enumerate(value)]
    return value
