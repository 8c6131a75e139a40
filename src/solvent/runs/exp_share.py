"""Experiments as git commits: ``exp branch`` and ``exp push`` / ``exp pull``.

An experiment becomes a commit whose parent is its baseline and whose tree is the baseline's
with the experiment's files laid over it (the lock, the params files it changed, small outs
the cache does not hold). ``exp branch`` points a branch at such a commit. ``exp push`` points
``refs/solvent/exps/<name>`` at one whose message also carries the experiment's record (JSON)
and pushes that ref to a git remote, as DVC shares its ``refs/exps``; ``exp pull`` fetches it
and rebuilds the record from the message and the tree. The data the lock names travels
through the data remote (``api.Repo.exp_push`` / ``exp_pull``), before the ref.

The commit's dates are the experiment's: the same experiment always makes the same commit, so
pushing it again is a no-op and two clones agree on it.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import asdict, replace
from pathlib import Path

from solvent.errors import GitError, SolventError, UsageError
from solvent.paths import check_relative
from solvent.repo import RepoLayout
from solvent.runs.experiments import Experiment
from solvent.runs.ledger import Ledger
from solvent.storage.ids import ObjectId
from solvent.storage.remote import RemoteStore
from solvent.tracking.pointer import Pointer, pointer_path_for
from solvent.tracking.sync import SyncReport, fetch
from solvent.tracking.sync import push as push_objects

REF_PREFIX = "refs/solvent/exps/"
RECORD_HEADER = "Solvent experiment"


def _git(
    root: Path,
    *args: str,
    input: str | None = None,
    env: dict[str, str] | None = None,
    ok: tuple[int, ...] = (0,),
) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=root,
        input=input,
        text=True,
        capture_output=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if proc.returncode not in ok:
        lines = proc.stderr.strip().splitlines() or ["?"]
        raise GitError(f"git {args[0]} failed: {lines[-1]}")
    return proc.stdout


def done(exp: Experiment) -> Experiment:
    if exp.status != "done":
        raise UsageError(f"experiment {exp.name} is {exp.status}, not done", None)
    return exp


def of_head(exps: list[Experiment], head: str | None) -> list[Experiment]:
    """The finished experiments run from ``head``: what ``exp push`` shares by default."""
    found = [e for e in exps if e.status == "done" and e.baseline == head]
    if not found:
        raise UsageError("no finished experiment was run from HEAD", "name the ones to push")
    return found


def ref_of(name: str) -> str:
    """The ref an experiment is shared under; its name must be one git accepts."""
    ref = REF_PREFIX + name
    if subprocess.run(["git", "check-ref-format", ref], check=False).returncode != 0:
        raise UsageError(
            f"experiment name {name!r} cannot be a git ref",
            "names without spaces, '..', '~', '^', ':' or '*' can be shared",
        )
    return ref


def _baseline(root: Path, exp: Experiment) -> str:
    if exp.baseline is None:
        raise UsageError(
            f"experiment {exp.name} has no baseline commit",
            "it ran before the repo's first commit: run it again after one",
        )
    if _git(root, "cat-file", "-t", exp.baseline, ok=(0, 1, 128)).strip() != "commit":
        raise UsageError(
            f"experiment {exp.name}: its baseline {exp.baseline[:10]} is not here",
            "fetch the branch it was run on ('git fetch')",
        )
    return exp.baseline


def _not_ignored(root: Path, paths: list[str]) -> list[str]:
    out = _git(root, "check-ignore", "-z", "--stdin", input="\0".join(paths), ok=(0, 1))
    ignored = set(out.split("\0"))
    return [p for p in paths if p not in ignored]


def make_commit(root: Path, exp: Experiment, message: str, skip_ignored: bool = False) -> str:
    """The experiment as a commit on its baseline (see the module docstring); files git
    ignores are left out with ``skip_ignored`` (a branch is what a user would commit)."""
    base = _baseline(root, exp)
    stamp = f"@{int(exp.finished or exp.created)} +0000"
    with tempfile.TemporaryDirectory(prefix="solvent-exp-") as tmp:
        env = {
            "GIT_INDEX_FILE": str(Path(tmp) / "index"),
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_DATE": stamp,
        }
        _git(root, "read-tree", base, env=env)
        modes = {}
        for line in _git(root, "ls-files", "-s", "-z", env=env).split("\0"):
            if line:
                meta, _, path = line.partition("\t")
                modes[path] = meta.split()[0]
        lines = []
        paths = sorted(exp.files)
        for path in _not_ignored(root, paths) if skip_ignored else paths:
            sha = _git(root, "hash-object", "-w", "--stdin", input=exp.files[path]).strip()
            lines.append(f"{modes.get(path, '100644')} {sha}\t{path}\n")
        _git(root, "update-index", "--index-info", input="".join(lines), env=env)
        tree = _git(root, "write-tree", env=env).strip()
        return _git(root, "commit-tree", tree, "-p", base, "-m", message, env=env).strip()


def _summary(exp: Experiment) -> str:
    params = ", ".join(f"{k}={v}" for k, v in exp.overrides.items())
    return f"{RECORD_HEADER} {exp.name}" + (f" ({params})" if params else "")


def branch(root: Path, exp: Experiment, name: str) -> str:
    """A new branch ``name`` at the experiment's commit; returns the commit."""
    if _git(root, "check-ref-format", "--branch", name, ok=(0, 1, 128)).strip() != name:
        raise UsageError(f"{name!r} is not a valid branch name", "see 'git check-ref-format'")
    if _git(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{name}", ok=(0, 1)).strip():
        raise UsageError(f"a branch named {name!r} exists", "choose another name")
    sha = make_commit(root, exp, _summary(exp), skip_ignored=True)
    _git(root, "branch", name, sha)
    return sha


# -- sharing through a git remote -------------------------------------------------------------


def _record_message(exp: Experiment) -> str:
    doc = asdict(exp)
    doc["files"] = sorted(exp.files)  # their text is in the tree
    return f"{_summary(exp)}\n\n{json.dumps(doc, sort_keys=True)}\n"


def push(root: Path, git_remote: str, exp: Experiment, force: bool = False) -> str:
    """Point the experiment's ref at its commit and push it to ``git_remote`` (``force``:
    replacing another experiment of its name there)."""
    ref = ref_of(exp.name)
    sha = make_commit(root, exp, _record_message(exp))
    _git(root, "update-ref", ref, sha)
    # --no-verify: a pre-push hook from 'solvent install' would push the whole workspace's
    # data; what this ref needs went to the data remote already (push_all)
    proc = subprocess.run(
        ["git", "push", "--quiet", "--no-verify", git_remote, f"{'+' if force else ''}{ref}:{ref}"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        why = (proc.stderr.strip().splitlines() or ["?"])[-1]
        hint = (
            "the remote holds another experiment of this name: --force replaces it"
            if "rejected" in proc.stderr
            else "check the git remote's name and access"
        )
        raise GitError(f"pushing experiment {exp.name} to {git_remote} failed: {why}", hint)
    return sha


def remote_names(root: Path, git_remote: str) -> list[str]:
    """The experiments ``git_remote`` holds."""
    out = _git(root, "ls-remote", git_remote, f"{REF_PREFIX}*")
    return sorted(line.split("\t", 1)[1].removeprefix(REF_PREFIX) for line in out.splitlines())


def pull(root: Path, git_remote: str, name: str) -> Experiment:
    """Fetch the experiment ``name`` from ``git_remote``; its record, as the commit holds it."""
    ref = ref_of(name)
    there = remote_names(root, git_remote)
    if name not in there:
        raise UsageError(
            f"{git_remote} has no experiment {name!r}",
            f"it has: {', '.join(there)}"
            if there
            else "push one there first ('solvent exp push REMOTE EXP')",
        )
    _git(root, "fetch", "--quiet", git_remote, f"+{ref}:{ref}")
    return read_record(root, ref)


def read_record(root: Path, ref: str) -> Experiment:
    message = _git(root, "log", "-1", "--format=%B", ref)
    _title, _, body = message.partition("\n\n")
    try:
        doc = json.loads(body)
        paths = [str(check_relative(p, f"{ref}: files")) for p in doc.pop("files")]
        exp = Experiment(**doc)
    except (ValueError, TypeError, KeyError) as e:
        raise UsageError(
            f"{ref} does not hold a Solvent experiment record ({e})",
            f"delete it: git update-ref -d {ref}",
        ) from None
    files = {p: _git(root, "cat-file", "blob", f"{ref}:{p}") for p in paths}
    return replace(exp, files=files)


def keep(ledger: Ledger, exp: Experiment) -> None:
    """Store a pulled experiment; a name that another experiment holds here is refused."""
    try:
        ledger.put_experiment(exp.exp_id, exp.name, exp.created, exp.to_json())
    except UsageError:
        raise UsageError(
            f"another experiment here is named {exp.name!r}",
            "remove or rename it first ('solvent exp remove NAME')",
        ) from None


# -- with the data -------------------------------------------------------------------------


def push_all(
    layout: RepoLayout,
    store: RemoteStore,
    git_remote: str,
    exps: list[Experiment],
    jobs: int,
    force: bool = False,
) -> list[tuple[Experiment, SyncReport]]:
    """Each experiment's cached outs to the data remote, then its ref to ``git_remote``: a
    ref never arrives without its data."""
    done = []
    for exp in exps:
        pointers = [p for p in out_pointers(exp) if layout.store.has(p.id)]
        report = push_objects(layout, store, pointers, jobs)
        _raise_failed(report, f"experiment {exp.name}: pushing its data")
        push(layout.root, git_remote, exp, force)
        done.append((exp, report))
    return done


def pull_all(
    layout: RepoLayout,
    ledger: Ledger,
    store: RemoteStore,
    git_remote: str,
    names: list[str],
    jobs: int,
) -> list[tuple[Experiment, SyncReport]]:
    """Each experiment's record from ``git_remote`` and the outs it names from the data
    remote; the record is kept once its data is in the cache."""
    if not names:
        raise UsageError(f"{git_remote} holds no experiments",
                         "push some there first ('solvent exp push REMOTE EXP')")  # fmt: skip
    done = []
    for name in names:
        exp = pull(layout.root, git_remote, name)
        pointers = out_pointers(exp)
        there = store.existing({p.id for p in pointers})  # uncached outs are in the record
        with layout.writing():
            report = fetch(layout, store, [p for p in pointers if p.id in there], jobs)
        _raise_failed(report, f"experiment {exp.name}: fetching its data")
        keep(ledger, exp)
        done.append((exp, report))
    return done


def out_pointers(exp: Experiment) -> list[Pointer]:
    """The outs the experiment's lock names, as pointers that push and fetch understand."""
    import yaml

    where = f"experiment {exp.name}: solvent.lock"
    try:
        lock = yaml.safe_load(exp.files.get("solvent.lock", "")) or {}
        pointers = []
        for body in (lock.get("stages") or {}).values():
            for out in body.get("outs") or []:
                path = check_relative(str(out["path"]), where)
                files = out.get("files")
                pointers.append(
                    Pointer(
                        pointer_path_for(path),
                        path,
                        ObjectId.parse(str(out["id"])),
                        "file" if files is None else "dir",
                        int(out["size"]),
                        int(files or 1),
                    )
                )
    except (yaml.YAMLError, AttributeError, KeyError, TypeError, ValueError) as e:
        raise UsageError(
            f"{where}: not a lock Solvent reads ({e})",
            "remove the experiment ('solvent exp remove')",
        ) from None
    return pointers


def _raise_failed(report: SyncReport, what: str) -> None:
    if report.failed:
        oid, why = next(iter(report.failed.items()))
        raise SolventError(
            f"{what}: {len(report.failed)} object(s) failed ({oid}: {why})",
            "run the command again to retry",
        )
