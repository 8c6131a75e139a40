"""``solvent install``: git hooks that keep the data in step with git, as ``dvc install`` does.

- ``post-checkout``: after ``git checkout BRANCH`` (not of single files, not inside a rebase),
  ``solvent checkout`` brings the data the new commit's pointers and lock name.
- ``post-merge``: after ``git merge`` / ``git pull``, the same checkout.
- ``pre-push``: before ``git push``, ``solvent push`` sends the data to the default remote;
  when that fails the git push is stopped, so no commit reaches the remote without its data.

Each hook runs the interpreter Solvent was installed with (``python -m solvent git-hook NAME``),
so it works whether or not a virtualenv is active. A hook file that exists and is not Solvent's
is never overwritten: ``install`` refuses and names it (DVC does the same); with ``append``,
Solvent's line is added at the end of a shell hook instead.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from solvent.errors import UsageError

HOOKS = ("post-checkout", "post-merge", "pre-push")
MARKER = "solvent git-hook"
SHELLS = ("sh", "bash", "dash", "zsh", "ksh")

HookAction = Literal["installed", "appended", "present"]


@dataclass(frozen=True, slots=True)
class HookInstall:
    hook: str
    path: str
    action: HookAction  # present: Solvent's line was there already


def hooks_dir(root: Path) -> Path:
    """Where git looks for hooks (honours ``core.hooksPath`` and worktrees)."""
    from solvent import git

    found = git.git(root, "rev-parse", "--git-path", "hooks").decode().strip()
    return (root / found).resolve()


def _call(name: str) -> str:
    return f'{shlex.quote(sys.executable)} -m {MARKER} {name} "$@"'


def _script(name: str) -> str:
    return f"#!/bin/sh\n# Installed by 'solvent install'.\nexec {_call(name)}\n"


def _is_shell(text: str) -> bool:
    first = text.splitlines()[0] if text else ""
    if not first.startswith("#!"):
        return True  # git runs a hook without a shebang with sh
    words = first[2:].split()
    prog = os.path.basename(words[0]) if words else ""
    if prog == "env" and len(words) > 1:
        prog = words[1]
    return prog in SHELLS


def install(root: Path, append: bool = False) -> list[HookInstall]:
    """Write the three hooks; nothing is written when any hook is someone else's (unless
    ``append``, and then only to shell scripts)."""
    if not (root / ".git").exists():
        raise UsageError(f"{root} is not a git repo: there are no git hooks to install",
                         "run 'git init' first")  # fmt: skip
    folder = hooks_dir(root)
    existing = {h: (folder / h).read_text(errors="replace") for h in HOOKS if (folder / h).exists()}
    foreign = [h for h, text in existing.items() if MARKER not in text]
    if foreign and not append:
        raise UsageError(
            f"git hook {', '.join(foreign)} already exists in {folder} and is not Solvent's",
            "rerun with --append to add Solvent's line at its end, or move the hook away",
        )
    not_shell = [h for h in foreign if not _is_shell(existing[h])]
    if not_shell:
        raise UsageError(
            f"git hook {', '.join(not_shell)} in {folder} is not a shell script: "
            "Solvent's line cannot be appended to it",
            f"call '{sys.executable} -m {MARKER} HOOK \"$@\"' from it yourself",
        )
    folder.mkdir(parents=True, exist_ok=True)
    done = []
    for hook in HOOKS:
        path = folder / hook
        if hook in existing and hook not in foreign:
            done.append(HookInstall(hook, str(path), "present"))
            continue
        if hook in foreign:
            text = existing[hook]
            sep = "" if text.endswith("\n") else "\n"
            addition = f"{sep}\n# Added by 'solvent install'.\n{_call(hook)} || exit $?\n"
            _write(path, text + addition)
            done.append(HookInstall(hook, str(path), "appended"))
        else:
            _write(path, _script(hook))
            done.append(HookInstall(hook, str(path), "installed"))
    return done


def _write(path: Path, text: str) -> None:
    from solvent.storage.fsutil import atomic_write

    atomic_write(path, text.encode(), mode=0o755)


HookAct = Literal["checkout", "push", "skip"]


def hook_action(root: Path, name: str, args: list[str]) -> HookAct:
    """What the hook ``name``, called by git with ``args``, should do here."""
    if name not in HOOKS:
        raise UsageError(f"unknown git hook {name!r}", f"one of: {', '.join(HOOKS)}")
    if name == "pre-push":
        return "push"
    if name == "post-checkout":
        # args: previous HEAD, new HEAD, 1 for a branch checkout (0: files checked out)
        if len(args) < 3 or args[2] != "1":
            return "skip"
        from solvent import git

        rebasing = git.git(root, "rev-parse", "--git-path", "rebase-merge").decode().strip()
        if (root / rebasing).is_dir():  # a checkout could break the rebase in progress
            return "skip"
    return "checkout"
