"""Running DVC and Solvent on copies of one project, and what the comparisons look at.

Both tools get the same environment: DVC's venv first on PATH (its ``python3`` runs the
stages; dvclive needs DVC beside it), no PYTHONPATH (the idioms under test rely on it being
unset), and DVC's config, site cache and analytics kept out of the user's home.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
# Files only one of the two tools writes: its metadata, its lock, Python's byte code.
TOOL_FILES = re.compile(r"^(\.git|\.dvc|\.solvent)/|^(dvc|solvent)\.lock$|(^|/)__pycache__/")
# Outcomes of ``solvent repro --json`` where a stage ran, tried to, or was kept from it.
ACTED = {"ran", "failed", "restored from run-cache", "skipped", "not run"}
# What `dvc init` writes, minus its chatter and with analytics and update checks off.
DVC_INIT = {
    ".dvc/config": "[core]\n    analytics = false\n    check_update = false\n",
    ".dvc/.gitignore": "/config.local\n/tmp\n/cache\n",
    ".dvcignore": "# Add patterns of files dvc should ignore, which could improve\n"
    "# the performance. Learn more at\n# https://dvc.org/doc/user-guide/dvcignore\n",
}


def dvc_python() -> Path | None:
    """``SOLVENT_DVC_PYTHON``, else ``bench/.venv-dvc`` (what ``make dvc-venv`` makes)."""
    configured = os.environ.get("SOLVENT_DVC_PYTHON")
    if configured:
        return Path(configured) if Path(configured).exists() else None
    candidate = REPO_ROOT / "bench" / ".venv-dvc" / "bin" / "python"
    return candidate if candidate.exists() else None


def has_module(python: Path, module: str) -> bool:
    found = subprocess.run(
        [str(python), "-c", f"import {module}"], capture_output=True, check=False, timeout=120
    )
    return found.returncode == 0


def tool_env(python: Path, tmp: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("DVC_")
    }
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    env["DVC_NO_ANALYTICS"] = "1"
    env["DVC_GLOBAL_CONFIG_DIR"] = str(tmp / "dvc-global")
    env["DVC_SYSTEM_CONFIG_DIR"] = str(tmp / "dvc-system")
    env["DVC_SITE_CACHE_DIR"] = str(tmp / "dvc-site")
    return env


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"git {' '.join(args)} failed: {proc.stderr}"
    return proc.stdout


def make_repo(project: Path, root: Path) -> None:
    """The project as a DVC user's repo: git, DVC's files, everything committed."""
    shutil.copytree(project, root, ignore=shutil.ignore_patterns("__pycache__"))
    for rel, text in DVC_INIT.items():
        (root / rel).parent.mkdir(exist_ok=True)
        (root / rel).write_text(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"{project.name}: a DVC project")


def workspace(root: Path) -> dict[str, bytes]:
    """Every file the stages or either tool's bookkeeping may leave, minus each tool's own."""
    found: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not TOOL_FILES.search(rel):
            found[rel] = path.read_bytes()
    return found


def stamped(root: Path) -> dict[str, tuple[bytes, int]]:
    """``workspace`` with each file's mtime: a stage that ran rewrote its outs."""
    return {rel: (data, (root / rel).stat().st_mtime_ns) for rel, data in workspace(root).items()}


def differences(ours: dict[str, bytes], theirs: dict[str, bytes]) -> str:
    lines = [f"only under Solvent: {p}" for p in sorted(ours.keys() - theirs.keys())]
    lines += [f"only under DVC: {p}" for p in sorted(theirs.keys() - ours.keys())]
    for p in sorted(ours.keys() & theirs.keys()):
        if ours[p] != theirs[p]:
            lines.append(
                f"differs: {p}\n  Solvent: {ours[p][:300]!r}\n  DVC:     {theirs[p][:300]!r}"
            )
    return "\n".join(lines)


def edit_line(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old + "\n") == 1, f"{old!r} is not one line of {path}"
    path.write_text(text.replace(old + "\n", new + "\n"))


@dataclass
class Tool:
    """One tool on one copy; keeps a short transcript of what it printed, for failures."""

    name: str
    argv: list[str]  # how to start it
    root: Path
    env: dict[str, str]
    transcript: list[str] = field(default_factory=list)

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [*self.argv, *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        shown = summary(proc.stdout) or proc.stdout[-2000:]
        self.transcript.append(
            f"$ {self.name} {' '.join(args)}  (exit {proc.returncode})\n"
            f"{shown}{proc.stderr[-2000:]}{self.failure_logs(proc.stdout)}"
        )
        return proc

    def failure_logs(self, stdout: str) -> str:
        """The end of each failed stage's log (Solvent keeps them in .solvent/logs)."""
        try:
            report: Any = json.loads(stdout)
            failed = [s["stage"] for s in report["stages"] if s["outcome"] == "failed"]
        except (json.JSONDecodeError, KeyError, TypeError):
            return ""
        logs = [(s, self.root / ".solvent" / "logs" / f"{s}.log") for s in failed]
        return "".join(
            f"  --- end of .solvent/logs/{s}.log\n{log.read_text()[-800:]}\n"
            for s, log in logs
            if log.exists()
        )

    def story(self) -> str:
        return "\n".join(self.transcript)


def dvc(python: Path, root: Path, env: dict[str, str]) -> Tool:
    return Tool("dvc", [str(python), "-m", "dvc"], root, env)


def solvent(root: Path, env: dict[str, str]) -> Tool:
    return Tool("solvent", [sys.executable, "-m", "solvent"], root, env)


def summary(stdout: str) -> str:
    """``repro --json`` and ``status --json`` of Solvent, one line per stage."""
    try:
        data: Any = json.loads(stdout)
    except json.JSONDecodeError:
        return ""
    if not isinstance(data, dict) or not isinstance(data.get("stages"), list):
        return ""
    lines = []
    for s in data["stages"]:
        if "outcome" in s:
            lines.append(f"  {s['stage']}: {s['outcome']}  {s.get('error') or ''}".rstrip())
        elif "reasons" in s:
            why = "; ".join(
                f"{r.get('why')} {r.get('subject') or ''}".strip() for r in s["reasons"]
            )
            lines.append(f"  {s['stage']['name']}: {why or 'up to date'}")
    return "\n".join(lines) + "\n"


def dvc_ran(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return {s: "ran" for s in re.findall(r"^Running stage '([^']+)':", proc.stdout, re.M)}


def solvent_acted(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Stage -> outcome from ``repro --json``, for the stages that ran or tried to."""
    try:
        report: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {"<no report>": f"exit {proc.returncode}: {proc.stderr[-500:]}"}
    return {s["stage"]: s["outcome"] for s in report["stages"] if s["outcome"] in ACTED}


def solvent_outcomes(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    try:
        report: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {"<no report>": f"exit {proc.returncode}: {proc.stderr[-500:]}"}
    return {s["stage"]: s["outcome"] for s in report["stages"]}


def solvent_stale(proc: subprocess.CompletedProcess[str]) -> set[str]:
    """Stages stale for a reason of their own (DVC's status leaves out the stages that are
    stale only because an upstream stage is)."""
    try:
        status: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {f"<no status: exit {proc.returncode}: {proc.stderr[-500:]}>"}
    return {
        s["stage"]["name"]
        for s in status["stages"]
        if any(r["why"] != "upstream stale" for r in s["reasons"])
    }


def metrics(proc: subprocess.CompletedProcess[str]) -> object:
    """``metrics show --json`` of either tool: metrics file -> its values, in the workspace
    (DVC names the workspace "", Solvent "workspace")."""
    try:
        shown: Any = json.loads(proc.stdout)
        (workspace,) = shown.values()
        return {path: found["data"] for path, found in workspace["data"].items()}
    except (json.JSONDecodeError, ValueError, AttributeError, KeyError, TypeError):
        return f"<no metrics: exit {proc.returncode}: {proc.stdout[-300:]}{proc.stderr[-300:]}>"
