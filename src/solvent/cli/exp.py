"""``solvent exp …``: run the pipeline with other params, side by side, without touching the
workspace; compare, apply the best, remove the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from solvent.cli.metrics import DEFAULT_PRECISION, PRECISION, _cell, _table
from solvent.cli.render import command_group, console, escape, print_json
from solvent.cli.repo_cmds import JSON

if TYPE_CHECKING:
    from solvent.runs.experiments import Experiment

exp_app = command_group("Experiments: the pipeline with other params, in isolated workspaces.")
EXP = typer.Argument(help="An experiment name, id or id prefix.")


def register(app: typer.Typer) -> None:
    app.add_typer(exp_app, name="exp")


@exp_app.command("run")
def run(
    set_param: Annotated[
        list[str] | None,
        typer.Option("--set-param", "-S", help="KEY=VALUE, or KEY=V1,V2 to sweep (repeatable)."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="Name it (or its sweep).")
    ] = None,
    queue: Annotated[bool, typer.Option("--queue", help="Queue, do not run yet.")] = False,
    run_all: Annotated[
        bool, typer.Option("--run-all", help="Run every queued experiment.")
    ] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Experiments at a time.")] = 1,
    executor: Annotated[
        str | None, typer.Option("--executor", help="Where stages run: local or dask.")
    ] = None,
    scheduler_address: Annotated[
        str | None,
        typer.Option("--scheduler-address", help="The Dask cluster the experiments share."),
    ] = None,
    json: JSON = False,
) -> None:
    """Run the pipeline with overridden params (the cartesian product of every -S)."""
    from solvent.api import Repo

    repo = Repo()
    where = {"executor": executor, "scheduler_address": scheduler_address}
    if run_all:
        done = repo.exp_run_all(jobs, **where)
    else:
        done = repo.exp_run(set_param or [], name=name, queue=queue, jobs=jobs, **where)
    if json:
        print_json([_doc(e) for e in done])
        return
    for e in done:
        console.print(f"{escape(e.name)} ({e.exp_id[:8]}): {_summary(e)}", soft_wrap=True)
    if not done:
        console.print("No experiments queued.")
    if any(e.status == "failed" for e in done):
        raise typer.Exit(1)


def _summary(e: Experiment) -> str:
    params = ", ".join(f"{k}={v}" for k, v in e.overrides.items())
    note = f" — {escape(e.error)}" if e.error else ""
    return f"{e.status}" + (f" ({escape(params)})" if params else "") + note


def _doc(e: Experiment) -> dict[str, Any]:
    from dataclasses import asdict

    doc = asdict(e)
    doc.pop("files")  # what apply writes back: large and of no use to a reader
    return doc


@exp_app.command("show")
def show(
    sort_by: Annotated[str | None, typer.Option("--sort-by", help="Sort by this column.")] = None,
    desc: Annotated[bool, typer.Option("--desc", help="Sort descending.")] = False,
    only_changed: Annotated[
        bool, typer.Option("--only-changed", help="Only columns whose values differ.")
    ] = False,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    precision: PRECISION = DEFAULT_PRECISION,
    json: JSON = False,
) -> None:
    """Every experiment with its params and metrics, below the workspace and the baseline."""
    from solvent.api import Repo
    from solvent.runs.experiments import table

    repo = Repo()
    exps = repo.experiments()
    refs = [] if json else repo.exp_references(sorted({k for e in exps for k in e.overrides}))
    headers, rows = table(exps, sort_by, desc, only_changed, refs)
    if json:
        by_name = {e.name: e for e in exps}
        print_json([{**_doc(by_name[r[0]]), "columns": dict(zip(headers, r, strict=True))}
                    for r in rows])  # fmt: skip
    elif csv:
        import csv as csvlib
        import sys

        writer = csvlib.writer(sys.stdout)
        writer.writerow(headers)
        writer.writerows([["" if v is None else v for v in r] for r in rows])
    else:
        out = _table(*short_names(headers))
        for r in rows:
            out.add_row(*(escape("-" if v is None else _cell(v, precision)) for v in r))
        console.print(out)
        if not exps:
            console.print("No experiments. Run one with 'solvent exp run -S key=value'.")


def short_names(headers: list[str]) -> list[str]:
    """``models.forest.max_depth`` → ``max_depth`` where no other column ends the same way:
    a table of long dotted names does not fit a terminal."""
    shown = []
    for h in headers:
        parts = h.split(".")
        for i in range(len(parts) - 1, -1, -1):
            tail = ".".join(parts[i:])
            if sum(1 for o in headers if o == tail or o.endswith("." + tail)) == 1:
                shown.append(tail)
                break
        else:
            shown.append(h)
    return shown


@exp_app.command("diff")
def diff(
    a: Annotated[str, EXP], b: Annotated[str, EXP], json: JSON = False
) -> None:  # fmt: skip
    """Params and metrics that differ between two experiments."""
    from solvent.api import Repo
    from solvent.runs.experiments import diff as exp_diff

    repo = Repo()
    ea, eb = repo.experiment(a), repo.experiment(b)
    rows = exp_diff(ea, eb)
    if json:
        print_json([{"key": k, ea.name: x, eb.name: y} for k, x, y in rows])
        return
    if not rows:
        console.print(f"{escape(ea.name)} and {escape(eb.name)} have the same params and metrics.")
        return
    out = _table("key", ea.name, eb.name)
    for k, x, y in rows:
        out.add_row(escape(k), escape(str(x)), escape(str(y)))
    console.print(out)


@exp_app.command("apply")
def apply(ref: Annotated[str, EXP]) -> None:
    """Bring an experiment's params and outputs into the workspace (from the cache)."""
    from solvent.api import Repo

    e = Repo().exp_apply(ref)
    console.print(f"Applied {escape(e.name)}: {_summary(e)}", soft_wrap=True)


@exp_app.command("remove")
def remove(refs: Annotated[list[str], typer.Argument(help="Experiment names or ids.")]) -> None:
    """Forget experiments (their runs stay in the ledger, their outputs in the cache)."""
    from solvent.api import Repo

    for e in Repo().exp_remove(refs):
        console.print(f"Removed {escape(e.name)} ({e.exp_id[:8]})")


@exp_app.command("save")
def save(
    name: Annotated[str | None, typer.Option("--name", "-n", help="Name it.")] = None,
    json: JSON = False,
) -> None:
    """Record the workspace as an experiment, without running anything."""
    from solvent.api import Repo

    e = Repo().exp_save(name)
    if json:
        print_json(_doc(e))
        return
    console.print(f"Saved {escape(e.name)} ({e.exp_id[:8]}): {_summary(e)}", soft_wrap=True)


@exp_app.command("branch")
def branch(
    ref: Annotated[str, EXP],
    name: Annotated[str, typer.Argument(help="The new git branch.")],
) -> None:
    """A git branch holding an experiment: its baseline with its params, lock and files."""
    from solvent.api import Repo

    sha = Repo().exp_branch(ref, name)
    console.print(
        f"Branch {escape(name)} → {sha[:10]}. Switch to it: git checkout {escape(name)} && "
        "solvent checkout",
        soft_wrap=True,
    )


GIT_REMOTE = typer.Argument(help="The git remote, e.g. origin.")
DATA_REMOTE = typer.Option("--remote", "-r", help="Data remote (default: the default remote).")


@exp_app.command("push")
def push(
    git_remote: Annotated[str, GIT_REMOTE],
    refs: Annotated[
        list[str] | None,
        typer.Argument(help="Experiment names or ids (default: those run from HEAD)."),
    ] = None,
    remote: Annotated[str | None, DATA_REMOTE] = None,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Replace an experiment of the same name.")
    ] = False,
    json: JSON = False,
) -> None:
    """Share experiments: their outputs go to the data remote, their records to git."""
    from solvent.api import Repo

    done = Repo().exp_push(git_remote, refs or [], remote=remote, force=force)
    _shared("Pushed", done, git_remote, json)


@exp_app.command("pull")
def pull(
    git_remote: Annotated[str, GIT_REMOTE],
    names: Annotated[
        list[str] | None, typer.Argument(help="Experiment names (default: all it has).")
    ] = None,
    remote: Annotated[str | None, DATA_REMOTE] = None,
    json: JSON = False,
) -> None:
    """Bring experiments others pushed: records from git, outputs from the data remote."""
    from solvent.api import Repo

    _shared("Pulled", Repo().exp_pull(git_remote, names or [], remote=remote), git_remote, json)


def _shared(verb: str, done: list[tuple[Experiment, Any]], git_remote: str, json: bool) -> None:
    if json:
        print_json([{**_doc(e), "objects": r.objects, "moved": r.moved} for e, r in done])
        return
    for e, r in done:
        console.print(
            f"{verb} {escape(e.name)} ({e.exp_id[:8]}) with {git_remote}: {r.moved} object(s) "
            f"moved, {r.objects - r.moved} already there",
            soft_wrap=True,
        )
