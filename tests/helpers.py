"""Helpers shared by the tests: the real CLI and git as subprocesses, and snapshots of disk."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from blake3 import blake3

# Everything a command may write lives in the repo; this tells two snapshots apart.
DiskState = dict[str, tuple[object, ...]]


def solvent(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real ``solvent`` command in ``cwd``; never raises on a non-zero exit."""
    return subprocess.run(
        [sys.executable, "-m", "solvent", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def solvent_ok(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run ``solvent`` and require success; returns stdout."""
    proc = solvent(cwd, *args, env=env)
    assert proc.returncode == 0, (
        f"solvent {' '.join(args)} exited {proc.returncode}\n{proc.stdout}{proc.stderr}"
    )
    return proc.stdout


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"git {' '.join(args)} failed: {proc.stderr}"
    return proc.stdout


def commit_all(cwd: Path, message: str) -> None:
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "-m", message)


def assert_user_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    """A user mistake: non-zero exit, one ``error:`` line (plus an optional hint), no traceback."""
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert lines, "nothing on stderr"
    assert lines[0].startswith("error:"), proc.stderr
    assert all(line.startswith("  hint:") for line in lines[1:]), proc.stderr
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"


def disk_state(root: Path, with_state: bool = True) -> DiskState:
    """Every path under ``root`` except in ``.git`` folders: kind, mode, content or link target.

    ``with_state=False`` leaves out ``.solvent/state.db``: a command that hashed files before
    refusing to go on may remember what it learned (the state cache is a memo, not data).
    """
    found: DiskState = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in [*dirs, *files]:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            if not with_state and rel.startswith(".solvent/state.db"):
                continue
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                found[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                found[rel] = ("dir", stat.S_IMODE(st.st_mode))
            else:
                found[rel] = ("file", stat.S_IMODE(st.st_mode), Path(path).read_bytes())
    return found


def write(path: Path, data: bytes | str, executable: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    if path.exists():
        path.chmod(0o644)
    path.write_bytes(data)
    path.chmod(0o755 if executable else 0o644)
    return path


def make_folder(root: Path, files: Mapping[str, bytes | str]) -> Path:
    for rel, data in files.items():
        write(root / rel, data)
    return root


def read_files(root: Path) -> dict[str, tuple[bytes, bool]]:
    """Every file under ``root`` (following file links): content and user-executable bit."""
    found: dict[str, tuple[bytes, bool]] = {}
    if not root.exists():
        return found
    if root.is_file():
        return {"": (root.read_bytes(), bool(root.stat().st_mode & stat.S_IXUSR))}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            found[rel] = (path.read_bytes(), bool(path.stat().st_mode & stat.S_IXUSR))
    return found


def backdate(root: Path, seconds: float = 10) -> None:
    """Move mtimes into the past: stats fresher than the racy window are never trusted."""
    when = time.time() - seconds
    paths = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
    for path in paths:
        os.utime(path, (when, when))


def object_path(repo: Path, oid: str) -> Path:
    algorithm, digest = oid.split(":")
    return repo / ".solvent" / "cache" / algorithm / digest[:2] / digest[2:]


def blake3_id(data: bytes) -> str:
    return f"blake3:{blake3(data).hexdigest()}"


def bad_objects(repo: Path) -> list[str]:
    """Objects in the store whose bytes do not hash to the name they are stored under."""
    bad = []
    objects = repo / ".solvent" / "cache" / "blake3"
    for prefix in sorted(os.listdir(objects)):
        for rest in sorted(os.listdir(objects / prefix)):
            path = objects / prefix / rest
            if blake3(path.read_bytes()).hexdigest() != prefix + rest:
                bad.append(f"{prefix}/{rest}")
    return bad


def count_objects(repo: Path) -> int:
    return sum(len(files) for _d, _s, files in os.walk(repo / ".solvent" / "cache" / "blake3"))
