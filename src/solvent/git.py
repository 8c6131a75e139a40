"""The few git operations Solvent needs, through the real git command. ``subprocess`` is
imported by the calls that need it: commands that never run git (``status``) skip it."""

from __future__ import annotations

from pathlib import Path

from solvent.errors import GitError

POINTER_SUFFIX = ".solvent"


def git(root: Path, *args: str, input: bytes | None = None) -> bytes:
    import subprocess

    try:
        proc = subprocess.run(
            ["git", *args], cwd=root, input=input, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise GitError(
            "git is not installed", "install git, or use 'solvent init --no-git'"
        ) from None
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(f"git {' '.join(args[:2])} failed: {message[-1] if message else '?'}")
    return proc.stdout


def toplevel(path: Path) -> Path | None:
    import subprocess

    proc = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=path, capture_output=True, check=False
    )
    if proc.returncode != 0:
        return None
    return Path(proc.stdout.decode().strip()).resolve()


def tracked(root: Path, paths: list[str]) -> list[str]:
    """Which of ``paths`` (or files under them) git already tracks."""
    if not paths:
        return []
    out = git(root, "ls-files", "-z", "--", *paths)
    return [p for p in out.decode().split("\0") if p]


def ignored(root: Path, paths: list[str]) -> set[str]:
    """Which of ``paths`` (relative to ``root``) git's ignore rules already ignore, as written
    in the files, whether git tracks the path or not (DVC asks the same); one git process."""
    import subprocess

    if not paths:
        return set()
    request = "".join(f"{p}\0" for p in paths).encode()
    try:
        proc = subprocess.run(
            ["git", "check-ignore", "--no-index", "-z", "--stdin"],
            cwd=root, input=request, capture_output=True, check=False,
        )  # fmt: skip
    except FileNotFoundError:
        raise GitError(
            "git is not installed", "install git, or use 'solvent init --no-git'"
        ) from None
    if proc.returncode not in (0, 1):  # 1: none of them is ignored
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(f"git check-ignore failed: {message[-1] if message else '?'}")
    return {p for p in proc.stdout.decode(errors="surrogateescape").split("\0") if p}


def resolve_rev(root: Path, rev: str) -> str:
    try:
        return git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
    except GitError:
        raise GitError(
            f"unknown git revision {rev!r}", "name a commit, branch or tag ('git log' lists them)"
        ) from None


def pointer_files_at(root: Path, rev: str) -> dict[str, bytes]:
    """Every pointer file in the commit ``rev``: repo-relative path → content."""
    commit = resolve_rev(root, rev)
    listing = git(root, "ls-tree", "-r", "-z", "--full-tree", commit).decode()
    wanted: list[tuple[str, str]] = []
    for line in listing.split("\0"):
        if not line:
            continue
        meta, _, path = line.partition("\t")
        _mode, kind, sha = meta.split()
        if kind == "blob" and path.endswith(POINTER_SUFFIX):
            wanted.append((path, sha))
    if not wanted:
        return {}
    out = git(root, "cat-file", "--batch", input="".join(f"{sha}\n" for _, sha in wanted).encode())
    contents: dict[str, bytes] = {}
    pos = 0
    for path, _sha in wanted:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        contents[path] = out[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
    return contents
