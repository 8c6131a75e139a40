"""Load ``solvent.yaml`` (or a plain ``dvc.yaml``) into a :class:`Pipeline`.

A repo that only has a dvc.yaml must run as is, so stage names (``train@lr-0.1``), resolved
commands and paths follow DVC 3.x exactly: vars and params.yaml as variables, ``${…}``,
``foreach``/``do`` and ``matrix``. Where DVC silently does something surprising (two foreach
items with one name, an out outside the repo) we refuse with a message naming file and line.
"""

from __future__ import annotations

import itertools
import posixpath
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from solvent.errors import MalformedFileError, PathOutsideRepoError
from solvent.paths import check_relative
from solvent.pipeline import spec_file
from solvent.pipeline.spec.checks import ChecksParser
from solvent.pipeline.spec.files import (
    Lines,
    line_of,
    load_data_file,
    parse_spec,
    read_parsing_options,
)
from solvent.pipeline.spec.interpolate import (
    Context,
    DataPath,
    ParsingOptions,
    ResolveError,
    clean,
    has_interpolation,
    resolve,
    to_str,
)
from solvent.pipeline.spec.model import Location, Out, OutKind, ParamRef, Pipeline, Stage, TopPlot
from solvent.pipeline.spec.schema import (
    OUT_FLAGS,
    OUT_SECTIONS,
    PLOT_PROPS,
    RESOLVED_KEYS,
    TOP_KEYS,
    check_foreach,
    check_keys,
    check_stage,
    check_top_level,
    kind_of,
    parse_resources,
    suggest,
)
from solvent.storage.memo import memo_entry
from solvent.yaml_guard import check_size

DEFAULT_PARAMS = "params.yaml"
ROOT = PurePosixPath(".")


def load_pipeline(root: Path, *, parsing: ParsingOptions | None = None) -> Pipeline | None:
    """The repo's pipeline, fully resolved; None when it has neither solvent.yaml nor dvc.yaml.

    ``parsing`` says how dicts render in a cmd; by default DVC's ``[parsing]`` settings in
    ``.dvc/config`` when there are any.
    """
    path = spec_file(root)
    if path is None:
        return None
    file = PurePosixPath(path.name)
    check_size(file, path.stat().st_size)
    raw = path.read_bytes()
    memo = memo_entry(root, "spec", raw, path.name)
    parsed = memo.load()
    if parsed is None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedFileError(f"{file}: not UTF-8 text", "save the file as UTF-8") from None
        parsed = parse_spec(text, file)
        memo.keep(parsed)
    data, lines = parsed
    options = parsing if parsing is not None else read_parsing_options(root)
    pipeline = _Loader(root, file, lines, options).pipeline(data)
    memo.save()  # only a spec that loaded: a broken one leaves nothing behind
    return pipeline


class _Loader:
    """One load of one spec file: knows where every value was written."""

    def __init__(self, root: Path, file: PurePosixPath, lines: Lines, options: ParsingOptions):
        self.root = root
        self.file = file
        self.lines = lines
        self.options = options

    def fail(self, at: DataPath, message: str, hint: str | None = None) -> MalformedFileError:
        line = line_of(self.lines, at)
        where = f"{self.file}:{line}" if line is not None else str(self.file)
        return MalformedFileError(f"{where}: {message}", hint)

    def pipeline(self, data: Any) -> Pipeline:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise self.fail((), f"expected a mapping with 'stages:', got {kind_of(data)}")
        self.checked(check_keys, data, TOP_KEYS, (), "")
        self.checked(check_top_level, data)
        ctx = self.global_context(data.get("vars"))
        raw_stages = data.get("stages") or {}
        if not isinstance(raw_stages, dict):
            raise self.fail(("stages",), f"'stages' must be a mapping, got {kind_of(raw_stages)}")
        stages: list[Stage] = []
        seen: dict[str, Location] = {}
        for name, definition in raw_stages.items():
            at: DataPath = ("stages", name)
            if not isinstance(name, str) or not name:
                raise self.fail(at, f"stage name {name!r} must be a non-empty string")
            for stage in self.expand(name, definition, ctx, at):
                if stage.name in seen:
                    raise self.fail(
                        at,
                        f"stage '{stage.name}' is defined twice (first at {seen[stage.name]})",
                        "stage names, including those foreach/matrix generate, must be unique",
                    )
                seen[stage.name] = stage.where
                stages.append(stage)
        return Pipeline(
            self.file,
            tuple(stages),
            metrics=self.top_paths(data.get("metrics"), "metrics", ctx),
            params=self.top_paths(data.get("params"), "params", ctx),
            plots=self.top_plots(data.get("plots"), ctx),
        )

    # -- top-level metrics, params and plots ------------------------------------------------

    def top_value(self, raw: Any, ctx: Context, at: DataPath, what: str) -> Any:
        try:
            return resolve(raw, ctx, None, self.options, at)
        except ResolveError as e:
            raise self.fail(e.path or at, f"top-level {what}: {e.message}", e.hint) from None

    def top_paths(self, raw: Any, key: str, ctx: Context) -> tuple[PurePosixPath, ...]:
        """Top-level ``metrics:`` or ``params:``: paths relative to the spec's folder."""
        found: dict[PurePosixPath, None] = {}
        for i, item in enumerate(raw or []):
            at: DataPath = (key, i)
            text = self.text(self.top_value(item, ctx, at, key), at, f"top-level {key} entry")
            found[self.repo_path(ROOT, text, at, f"top-level {key}")] = None
        return tuple(found)

    def top_plots(self, raw: Any, ctx: Context) -> tuple[TopPlot, ...]:
        """Top-level ``plots:``, as DVC reads them: the id is the data's path unless ``y``
        maps files to fields; then those files (and any ``x`` maps) are the data."""
        plots: list[TopPlot] = []
        for i, item in enumerate(raw or []):
            at: DataPath = ("plots", i)
            value = self.top_value(item, ctx, at, "plots")
            entries = value.items() if isinstance(value, dict) else [(value, None)]
            for name, props in entries:
                here = (*at, name) if isinstance(value, dict) else at
                name = self.text(name, here, "top-level plots id")
                props = props if isinstance(props, dict) else {}
                y, x = props.get("y"), props.get("x")
                if isinstance(y, dict):
                    named = [*y, *(x if isinstance(x, dict) else {})]
                    files = tuple(dict.fromkeys(
                        self.repo_path(ROOT, self.text(f, here, "top-level plots file"), here,
                                       "top-level plots")
                        for f in named
                    ))  # fmt: skip
                else:
                    files = (self.repo_path(ROOT, name, here, "top-level plots"),)
                plots.append(TopPlot(name, files, props))
        return tuple(plots)

    # -- variables -------------------------------------------------------------------------

    def global_context(self, raw_vars: Any) -> Context:
        """params.yaml at the root (when it exists), then the top-level ``vars``, in order."""
        ctx = Context()
        if (self.root / DEFAULT_PARAMS).exists():
            try:
                self.merge_file(ctx, DEFAULT_PARAMS, ROOT, ("vars",), "")
            except ResolveError as e:
                raise self.fail((), f"{DEFAULT_PARAMS}: {e.message}", e.hint) from None
        self.add_vars(ctx, raw_vars, ROOT, ("vars",), "")
        return ctx

    def add_vars(self, ctx: Context, raw: Any, wdir: PurePosixPath, at: DataPath, who: str) -> None:
        if raw is None:
            return
        if not isinstance(raw, list):
            raise self.fail(at, f"{who}vars must be a list, got {kind_of(raw)}")
        for i, item in enumerate(raw):
            here = (*at, i)
            try:
                if has_interpolation(item):
                    raise ResolveError(
                        "${} is not allowed in vars", "vars are loaded before anything resolves"
                    )
                if isinstance(item, str):
                    self.merge_file(ctx, item, wdir, here, who)
                elif isinstance(item, dict):
                    source = f"vars[{i}]"
                    ctx.merge(clean(item, source), source)
                else:
                    raise ResolveError(
                        f"entry is {kind_of(item)}",
                        "list files (params2.yaml, config.json:key1,key2) or mappings of values",
                    )
            except ResolveError as e:
                raise self.fail(here, f"{who}vars: {e.message}", e.hint) from None

    def merge_file(
        self, ctx: Context, item: str, wdir: PurePosixPath, at: DataPath, who: str
    ) -> None:
        """``file`` or ``file:key1,key2``, relative to ``wdir``, with DVC's reload rules."""
        name, _, keys_text = item.partition(":")
        keys = [k for k in keys_text.split(",") if k] or None
        rel = self.repo_path(wdir, name, at, f"{who}vars file")
        path = str(rel)
        if path in ctx.imports:
            loaded = ctx.imports[path]
            if keys is None and loaded is None:
                return  # loading a whole file twice is allowed
            if keys is None or loaded is None or set(keys) & set(loaded):
                raise ResolveError(
                    f"cannot load '{item}': '{path}' is already "
                    + ("loaded" if loaded is None else f"partly loaded ({', '.join(loaded)})"),
                    "load each file once, either whole or one set of keys",
                )
        data = load_data_file(self.root, rel)
        if keys is not None:
            missing = [k for k in keys if k not in data]
            if missing:
                raise ResolveError(
                    f"could not find '{missing[0]}' in '{path}'", suggest(missing[0], tuple(data))
                )
            data = {k: data[k] for k in keys}
        try:
            cleaned = clean(data, path)
        except ResolveError as e:  # a problem in the data file itself: name that file
            raise MalformedFileError(e.message, e.hint) from None
        ctx.merge(cleaned, f"'{path}'")
        previous = ctx.imports.get(path)
        ctx.imports[path] = None if keys is None else [*(previous or []), *keys]

    # -- foreach / matrix ------------------------------------------------------------------

    def checked(self, check: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """Run a spec_schema check, turning its error into one that names the line."""
        try:
            check(*args, **kwargs)
        except ResolveError as e:
            raise self.fail(e.path, e.message, e.hint) from None

    def expand(self, name: str, definition: Any, ctx: Context, at: DataPath) -> Iterator[Stage]:
        """The stages one entry of ``stages:`` makes: one, or one per foreach/matrix item."""
        if not isinstance(definition, dict):
            raise self.fail(at, f"stage '{name}' must be a mapping, got {kind_of(definition)}")
        line = line_of(self.lines, at)
        if "foreach" in definition or "do" in definition:
            self.checked(check_foreach, definition, at, name)
            template, t_at = definition["do"], (*at, "do")
            for key, loop in self.foreach_items(name, definition["foreach"], ctx, at):
                yield self.stage(f"{name}@{key}", template, ctx.with_loop(loop), t_at, line)
        elif "matrix" in definition:
            self.checked(check_stage, definition, at, name, matrix=True)
            template = {k: v for k, v in definition.items() if k != "matrix"}
            for key, item in self.matrix_items(name, definition["matrix"], ctx, at):
                loop = {"key": key, "item": item}
                yield self.stage(f"{name}@{key}", template, ctx.with_loop(loop), at, line)
        else:
            self.checked(check_stage, definition, at, name, matrix=False)
            yield self.stage(name, definition, ctx, at, line)

    def foreach_items(
        self, name: str, raw: Any, ctx: Context, at: DataPath
    ) -> list[tuple[str, dict[str, Any]]]:
        """(name suffix, loop variables) per item: ``key`` by dict key, else value or index."""
        f_at = (*at, "foreach")
        try:
            data = resolve(raw, ctx, None, self.options, f_at)
        except ResolveError as e:
            raise self.fail(
                e.path or f_at, f"stage '{name}': foreach: {e.message}", e.hint
            ) from None
        if isinstance(data, dict):
            pairs = [
                (to_str(k), {"item": self.loop_value(name, v, f_at), "key": to_str(k)})
                for k, v in data.items()
            ]
        elif isinstance(data, list):
            composite = any(isinstance(v, dict | list) for v in data)
            pairs = [
                (str(i) if composite else to_str(v), {"item": self.loop_value(name, v, f_at)})
                for i, v in enumerate(data)
            ]
        else:
            raise self.fail(
                f_at,
                f"stage '{name}': foreach must be a list or a mapping, got {kind_of(data)}",
                "write foreach: [a, b], foreach: {a: 1}, or foreach: ${name_of_a_list}",
            )
        return self.unique(name, pairs, f_at, "foreach")

    def matrix_items(
        self, name: str, raw: Any, ctx: Context, at: DataPath
    ) -> list[tuple[str, Any]]:
        """Every combination, named as DVC names it: values joined by '-', ``k<i>`` for dicts."""
        m_at = (*at, "matrix")
        if not isinstance(raw, dict) or not raw:
            raise self.fail(m_at, f"stage '{name}': matrix must map names to lists of values")
        try:
            data = resolve(raw, ctx, None, self.options, m_at)
        except ResolveError as e:
            raise self.fail(
                e.path or m_at, f"stage '{name}': matrix: {e.message}", e.hint
            ) from None
        for k, values in data.items():
            if not isinstance(values, list):
                raise self.fail(
                    (*m_at, k),
                    f"stage '{name}': matrix '{k}' must be a list, got {kind_of(values)}",
                    "write " + k + ": [a, b], or " + k + ": ${name_of_a_list}",
                )
        pairs: list[tuple[str, Any]] = []
        for combo in itertools.product(*(list(enumerate(v)) for v in data.values())):
            item = {
                k: self.loop_value(name, v, m_at) for k, (_, v) in zip(data, combo, strict=True)
            }
            parts = [
                f"{k}{i}" if isinstance(v, dict | list) else to_str(v)
                for k, (i, v) in zip(data, combo, strict=True)
            ]
            pairs.append(("-".join(parts), item))
        return self.unique(name, pairs, m_at, "matrix")

    def loop_value(self, name: str, value: Any, at: DataPath) -> Any:
        """An item as a variable: nested non-string keys dropped, as DVC's context does."""
        try:
            return clean(value, "foreach/matrix item")
        except ResolveError as e:
            raise self.fail(at, f"stage '{name}': {e.message}", e.hint) from None

    def unique(
        self, name: str, pairs: list[tuple[str, Any]], at: DataPath, what: str
    ) -> list[tuple[str, Any]]:
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise self.fail(
                    at,
                    f"stage '{name}': {what} gives two stages the name '{name}@{key}'",
                    "make the values unique (DVC would silently keep only one of them)",
                )
            seen.add(key)
        return pairs

    # -- one stage -------------------------------------------------------------------------

    def stage(
        self, name: str, d: dict[str, Any], ctx: Context, at: DataPath, line: int | None
    ) -> Stage:
        """Resolve one (possibly generated) stage definition into a Stage."""
        who = f"stage '{name}': "

        def field(key: str, context: Context) -> Any:
            try:
                return resolve(d[key], context, key, self.options, (*at, key))
            except ResolveError as e:
                raise self.fail(e.path, f"{who}{key}: {e.message}", e.hint) from None

        wdir = ROOT
        if d.get("wdir"):
            wdir = self.wdir(to_str(field("wdir", ctx)), (*at, "wdir"), name)
        if d.get("vars"):
            ctx = ctx.copy()
            self.add_vars(ctx, d["vars"], wdir, (*at, "vars"), who)
        resolved = {key: field(key, ctx) for key in d if key in RESOLVED_KEYS}
        desc = resolved.get("desc")
        if desc is not None and not isinstance(desc, str):
            raise self.fail((*at, "desc"), f"{who}desc must be a string, got {kind_of(desc)}")
        deps = tuple(
            self.repo_path(
                wdir, self.text(p, (*at, "deps", i), who + "dep"), (*at, "deps", i), who + "dep"
            )
            for i, p in enumerate(resolved.get("deps") or [])
        )
        outs = tuple(
            out
            for section, kind in OUT_SECTIONS
            for out in self.outs(resolved.get(section) or [], kind, wdir, (*at, section), who)
        )
        checks = ChecksParser(self.repo_path, self.fail, wdir, (*at, "checks"), who).parse(
            resolved.get("checks"), deps, tuple(o.path for o in outs)
        )
        return Stage(
            name=name,
            cmd=self.cmd(resolved["cmd"], (*at, "cmd"), who),
            wdir=wdir,
            deps=deps,
            outs=outs,
            params=self.params(resolved.get("params") or [], wdir, (*at, "params"), who),
            frozen=bool(d.get("frozen", False)),
            always_changed=bool(d.get("always_changed", False)),
            desc=desc,
            checks=checks,
            env=d.get("env", "warn"),
            type=d.get("type"),
            resources=(
                parse_resources(d["resources"], (*at, "resources"), name)
                if "resources" in d
                else None
            ),
            where=Location(self.file, line),
        )

    def text(self, value: Any, at: DataPath, what: str) -> str:
        if not isinstance(value, str):
            raise self.fail(at, f"{what} must be a path, got {kind_of(value)} ({value!r})")
        return value

    def cmd(self, value: Any, at: DataPath, who: str) -> tuple[str, ...]:
        commands = value if isinstance(value, list) else [value]
        out: list[str] = []
        for i, c in enumerate(commands):
            here = (*at, i) if isinstance(value, list) else at
            if isinstance(c, dict):
                c = to_str(c, self.options)  # "cmd: ${opts}": DVC leaves a dict; we render it
            if not isinstance(c, str):
                raise self.fail(here, f"{who}cmd must resolve to text, got {kind_of(c)}")
            if not c.strip():
                raise self.fail(here, f"{who}cmd is empty", "write the command the stage runs")
            out.append(c)
        return tuple(out)

    def wdir(self, text: str, at: DataPath, name: str) -> PurePosixPath:
        if posixpath.normpath(text) == "." and not text.startswith("/"):
            return ROOT
        return self.repo_path(ROOT, text, at, f"stage '{name}': wdir")

    def repo_path(self, wdir: PurePosixPath, text: str, at: DataPath, what: str) -> PurePosixPath:
        """``text`` relative to ``wdir``, as a normalised repo-relative path."""
        line = line_of(self.lines, at)
        where = f"{self.file}:{line}: {what}" if line is not None else f"{self.file}: {what}"
        if "://" in text:
            raise MalformedFileError(
                f"{where}: {text!r} is a URL",
                "Solvent tracks files inside the repo; download the data into it first",
            )
        joined = text if wdir == ROOT or text.startswith("/") else f"{wdir}/{text}"
        try:
            return check_relative(joined, where)
        except PathOutsideRepoError as e:
            hint = e.hint or (
                f"paths are relative to the stage's wdir ('{wdir}') and must stay in the repo"
                if wdir != ROOT
                else "paths are relative to the repo root and must stay inside it"
            )
            raise PathOutsideRepoError(e.message, hint) from None

    def params(
        self, entries: list[Any], wdir: PurePosixPath, at: DataPath, who: str
    ) -> tuple[ParamRef, ...]:
        """DVC's merge: bare keys belong to params.yaml in wdir; ``{file: }`` tracks all of it."""
        default = self.repo_path(wdir, DEFAULT_PARAMS, at, who + "params")
        keys: dict[PurePosixPath, list[str]] = {}
        whole: set[PurePosixPath] = set()
        for i, entry in enumerate(entries):
            here = (*at, i)
            if isinstance(entry, str):
                keys.setdefault(default, []).append(entry)
                continue
            if not isinstance(entry, dict):
                raise self.fail(here, f"{who}param must be a key, got {kind_of(entry)}")
            for file, file_keys in entry.items():
                path = self.repo_path(
                    wdir, self.text(file, here, who + "params file"), here, who + "params"
                )
                keys.setdefault(path, [])
                if not file_keys:
                    whole.add(path)
                    continue
                for k in file_keys:
                    if not isinstance(k, str):
                        raise self.fail(here, f"{who}param key must be a string, got {kind_of(k)}")
                    keys[path].append(k)
        refs: list[ParamRef] = []
        for path, names in keys.items():
            if path in whole:
                refs.append(ParamRef(path, None))
            else:
                refs.extend(ParamRef(path, k) for k in dict.fromkeys(names))
        return tuple(refs)

    def outs(
        self, entries: list[Any], kind: OutKind, wdir: PurePosixPath, at: DataPath, who: str
    ) -> list[Out]:
        """One Out per path; flags of a path listed twice in one section merge, as in DVC."""
        allowed = OUT_FLAGS + PLOT_PROPS if kind == "plot" else OUT_FLAGS
        merged: dict[PurePosixPath, dict[str, Any]] = {}
        for i, entry in enumerate(entries):
            here = (*at, i)
            items = entry.items() if isinstance(entry, dict) else [(entry, {})]
            for p, flags in items:
                path = self.repo_path(
                    wdir, self.text(p, here, f"{who}{kind}"), here, f"{who}{kind}"
                )
                self.checked(check_keys, flags, allowed, here, f"{who}{kind} '{p}': ")
                for flag in ("cache", "persist"):
                    if flag in flags and not isinstance(flags[flag], bool):
                        raise self.fail(here, f"{who}{kind} '{p}': {flag} must be true or false")
                merged.setdefault(path, {}).update(flags)
        return [
            Out(path, kind, cache=flags.get("cache", True), persist=flags.get("persist", False))
            for path, flags in merged.items()
        ]
