"""The shape of a dvc.yaml / solvent.yaml, checked before anything is interpolated.

These are DVC's schema rules (``dvc/schema.py``): which keys a stage may have and what kind
of value each holds. Checking them first means a typo is reported as a typo ("did you mean
'deps'?"), not as some later failure. Errors are ResolveErrors whose ``path`` names the value,
so the loader can give its line.
"""

from __future__ import annotations

import re
from difflib import get_close_matches
from typing import Any

from solvent.pipeline.spec.interpolate import DataPath, ResolveError
from solvent.pipeline.spec.model import OutKind, Resources

TOP_KEYS = ("stages", "vars", "params", "metrics", "plots", "artifacts", "datasets")
STAGE_KEYS = (
    *("cmd", "wdir", "deps", "params", "outs", "metrics", "plots"),
    *("frozen", "always_changed", "desc", "meta", "vars"),
)
# Solvent's own additions: checks, env, resources, and type (model or data, for doctor).
SOLVENT_KEYS = ("checks", "resources", "type", "env")
ENV_POLICIES = ("strict", "warn", "ignore")
STAGE_TYPES = ("model", "data")
RESOURCE_KEYS = ("cpus", "memory", "gpus")
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")
# A top-level plot's definition (DVC's PLOT_DEFINITION): no out flags, x and y may map files.
TOP_PLOT_PROPS = ("x", "y", "x_label", "y_label", "title", "template")
OUT_FLAGS = ("cache", "persist", "checkpoint", "remote", "push", "desc", "type", "labels", "meta")
PLOT_PROPS = ("template", "x", "y", "x_label", "y_label", "title", "header")
OUT_SECTIONS: tuple[tuple[str, OutKind], ...] = (
    ("outs", "out"),
    ("metrics", "metric"),
    ("plots", "plot"),
)
# Keys whose values go through ${} (DVC resolves meta too; we ignore meta, so we skip it).
RESOLVED_KEYS = frozenset({"cmd", "deps", "params", "outs", "metrics", "plots", "desc", "checks"})


def kind_of(value: Any) -> str:
    """A value's type in the words of the YAML the user wrote."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def suggest(key: str, allowed: tuple[str, ...]) -> str:
    close = get_close_matches(key, allowed, n=1)
    return f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(allowed)}"


def check_keys(d: dict[Any, Any], allowed: tuple[str, ...], at: DataPath, what: str) -> None:
    for k in d:
        if k not in allowed:
            raise ResolveError(f"{what}unknown key '{k}'", suggest(str(k), allowed), (*at, k))


def check_foreach(d: dict[Any, Any], at: DataPath, name: str) -> None:
    """``foreach`` and ``do`` go together, alone; the stage's keys live under ``do``."""
    for k in d:
        if k not in ("foreach", "do"):
            raise ResolveError(
                f"stage '{name}': unknown key '{k}' beside foreach/do",
                "put the stage's keys under do:",
                (*at, k),
            )
    for needed in ("foreach", "do"):
        if needed not in d:
            raise ResolveError(f"stage '{name}': foreach and do go together; no {needed}", None, at)
    if not isinstance(d["do"], dict):
        raise ResolveError(f"stage '{name}': do must be a mapping of stage keys", None, (*at, "do"))
    check_stage(d["do"], (*at, "do"), name, matrix=False)


def check_stage(d: dict[Any, Any], at: DataPath, name: str, *, matrix: bool) -> None:
    """Keys, a cmd, and the kind of every value DVC's schema types."""
    allowed = (*STAGE_KEYS, *SOLVENT_KEYS, *(("matrix",) if matrix else ()))
    check_keys(d, allowed, at, f"stage '{name}': ")
    if "cmd" not in d:
        raise ResolveError(
            f"stage '{name}': no cmd", "every stage needs cmd: the command to run", at
        )

    def expect(key: str, ok: bool, what: str) -> None:
        if key in d and not ok:
            raise ResolveError(
                f"stage '{name}': {key} must be {what}, got {kind_of(d[key])}", None, (*at, key)
            )

    cmd = d["cmd"]
    expect(
        "cmd",
        isinstance(cmd, str) or (_strings(cmd) and bool(cmd)),
        "a string or a list of strings",
    )
    expect("wdir", isinstance(d.get("wdir"), str), "a string")
    expect("deps", _strings(d.get("deps")), "a list of paths")
    expect("params", _params_shape(d.get("params")), "a list of keys and {file: [keys]}")
    for section, _ in OUT_SECTIONS:
        expect(section, _outs_shape(d.get(section)), "a list of paths and {path: {flags}}")
    for flag in ("frozen", "always_changed"):
        expect(flag, isinstance(d.get(flag), bool), "true or false")
    expect("desc", isinstance(d.get("desc"), str), "a string")
    expect("env", d.get("env") in ENV_POLICIES, "one of strict, warn, ignore")
    expect("type", d.get("type") in STAGE_TYPES, "model or data")
    if "resources" in d:
        parse_resources(d["resources"], (*at, "resources"), name)


def parse_resources(value: Any, at: DataPath, name: str) -> Resources:
    """``resources: {cpus: 4, memory: 8GB, gpus: 1}``: what one run needs of a worker."""
    if not isinstance(value, dict):
        raise ResolveError(
            f"stage '{name}': resources must be a mapping, got {kind_of(value)}",
            "write it as resources: {cpus: 4, memory: 8GB, gpus: 1}",
            at,
        )
    check_keys(value, RESOURCE_KEYS, at, f"stage '{name}': resources: ")

    def count(key: str, least: int) -> int | None:
        v = value.get(key)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int) or v < least:
            raise ResolveError(
                f"stage '{name}': resources: {key} must be a whole number >= {least}, got {v!r}",
                None,
                (*at, key),
            )
        return v

    return Resources(count("cpus", 1), _memory(value.get("memory"), (*at, "memory"), name),
                     count("gpus", 0))  # fmt: skip


def _memory(v: Any, at: DataPath, name: str) -> int | None:
    """Bytes from ``8GB``, ``512MiB`` or a plain number of bytes."""
    if v is None:
        return None
    match = _SIZE.fullmatch(v) if isinstance(v, str) else None
    if isinstance(v, int) and not isinstance(v, bool) and v > 0:
        return v
    if match and match.group(2).lower() in _UNITS and float(match.group(1)) > 0:
        return int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    raise ResolveError(
        f"stage '{name}': resources: memory must be a size like 8GB or 512MiB, got {v!r}",
        None,
        at,
    )


def _strings(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _params_shape(v: Any) -> bool:
    """``[key, {file: [keys]}, {file: }]``; an empty or missing key list means the whole file."""

    def entry(x: Any) -> bool:
        return isinstance(x, str) or (
            isinstance(x, dict)
            and all(isinstance(f, str) and (not ks or isinstance(ks, list)) for f, ks in x.items())
        )

    return isinstance(v, list) and all(entry(x) for x in v)


def _outs_shape(v: Any) -> bool:
    """``[path, {path: {flag: value}}]``."""

    def entry(x: Any) -> bool:
        return isinstance(x, str) or (
            isinstance(x, dict)
            and all(isinstance(p, str) and isinstance(f, dict) for p, f in x.items())
        )

    return isinstance(v, list) and all(entry(x) for x in v)


def check_top_level(data: dict[Any, Any]) -> None:
    """Top-level ``metrics:`` and ``params:`` (lists of paths) and ``plots:`` (paths, or
    ``{id: {x, y, template, ...}}`` where ``y`` may map files to fields), as DVC's schema has
    them."""
    for key in ("metrics", "params"):
        value = data.get(key)
        if value is None or _strings(value):
            continue
        hint = f"write it as {key}: [path/to/file]"
        if not isinstance(value, list):
            raise ResolveError(
                f"top-level {key} must be a list of paths, got {kind_of(value)}", hint, (key,)
            )
        i = next(i for i, x in enumerate(value) if not isinstance(x, str))
        raise ResolveError(
            f"top-level {key}: entry {i + 1} must be a path, got {kind_of(value[i])}",
            hint,
            (key, i),
        )
    plots = data.get("plots")
    if plots is None:
        return
    if not isinstance(plots, list):
        raise ResolveError(
            f"top-level plots must be a list, got {kind_of(plots)}",
            "write it as plots: [path, {id: {x: field, y: {file: field}}}]",
            ("plots",),
        )
    for i, entry in enumerate(plots):
        at: DataPath = ("plots", i)
        if isinstance(entry, str):
            continue
        if not isinstance(entry, dict) or not entry:
            raise ResolveError(
                f"top-level plots: an entry must be a path or {{id: {{props}}}}, "
                f"got {kind_of(entry)}",
                "e.g. - dvclive/plots/metrics: {x: step}",
                at,
            )
        for name, props in entry.items():
            _check_plot(name, props, (*at, name))


def _check_plot(name: Any, props: Any, at: DataPath) -> None:
    if not isinstance(name, str):
        raise ResolveError(f"top-level plots: id {name!r} must be a string", None, at)
    if props is None:
        return
    if not isinstance(props, dict):
        raise ResolveError(
            f"top-level plots: '{name}' must map to its properties, got {kind_of(props)}",
            "e.g. {x: step, y: loss, template: linear}",
            at,
        )
    check_keys(props, TOP_PLOT_PROPS, at, f"top-level plots: '{name}': ")
    for key in ("x_label", "y_label", "title", "template"):
        if key in props and not isinstance(props[key], str):
            raise ResolveError(
                f"top-level plots: '{name}': {key} must be a string, got {kind_of(props[key])}",
                None,
                (*at, key),
            )
    x, y = props.get("x"), props.get("y")
    x_ok = (
        x is None
        or isinstance(x, str)
        or (
            isinstance(x, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in x.items())
        )
    )
    y_ok = (
        y is None
        or isinstance(y, str)
        or _strings(y)
        or (
            isinstance(y, dict)
            and all(
                isinstance(k, str) and (isinstance(v, str) or _strings(v)) for k, v in y.items()
            )
        )
    )
    for key, ok, form in (
        ("x", x_ok, "a field, or {file: field}"),
        ("y", y_ok, "a field, a list of fields, or {file: field or [fields]}"),
    ):
        if not ok:
            raise ResolveError(f"top-level plots: '{name}': {key} must be {form}", None, (*at, key))
