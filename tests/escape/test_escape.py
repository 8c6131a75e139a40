"""The escape suite: every source of a path Solvent acts on (solvent.yaml and dvc.yaml outs,
deps and wdir, interpolated values, pointer files, the lock, tree objects, remote URLs, links
in the workspace, experiment overrides) tried with ``..``, absolute paths, links leading out,
and long or odd names.

Each case runs one real command in a fresh copy of a small project, beside a sentinel folder
that the links point into. Whatever the command does, the sentinel's listing and bytes are
the same after it, and the command ends with a clear message (no traceback, no "internal
error") and an exit code below 70; the cases Solvent refuses name what they refuse.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import blake3_id, commit_all, disk_state, git, object_path, solvent, write

LONG = "x" * 300  # longer than a file name may be (255 bytes)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed project: tracked data, a git-tracked script, and a first pipeline run."""
    root = tmp_path_factory.mktemp("template") / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    assert solvent(root, "init").returncode == 0
    write(root / "data" / "a.csv", "a\n")
    write(root / "data" / "sub" / "b.csv", "b\n")
    write(root / "train.py", "print('the code')\n")
    assert solvent(root, "add", "data").returncode == 0
    commit_all(root, "project")
    return root


@dataclass(frozen=True)
class Case:
    setup: Callable[[Path, Path], list[str]]  # (repo, outside) -> the command's arguments
    needles: tuple[str, ...] = ()  # in the output of a refused command
    ok: bool = False  # the command may succeed (it must still leave the outside alone)


Setup = Callable[[Path, Path], list[str]]


def stage(out: str, *, cmd: str = "echo hi > out.txt", wdir: str | None = None,
          file: str = "solvent.yaml", deps: str | None = None) -> Setup:  # fmt: skip
    def setup(repo: Path, outside: Path) -> list[str]:
        body: dict[str, object] = {"cmd": cmd, "outs": [out.replace("OUT", str(outside))]}
        if wdir is not None:
            body["wdir"] = wdir.replace("OUT", str(outside))
        if deps is not None:
            body["deps"] = [deps.replace("OUT", str(outside))]
        write(repo / file, json.dumps({"stages": {"s": body}}))
        return ["repro"]

    return setup


def linked(setup: Callable[[Path, Path], list[str]]) -> Callable[[Path, Path], list[str]]:
    """``setup`` in a repo with a committed link ``ol`` to the outside folder."""

    def with_link(repo: Path, outside: Path) -> list[str]:
        (repo / "ol").symlink_to(outside)
        return setup(repo, outside)

    return with_link


def interpolated(value: str) -> Callable[[Path, Path], list[str]]:
    def setup(repo: Path, outside: Path) -> list[str]:
        (repo / "ol").symlink_to(outside)
        write(repo / "params.yaml", json.dumps({"where": value.replace("OUT", str(outside))}))
        write(repo / "solvent.yaml", json.dumps({"stages": {"s": {
            "cmd": "echo hi > out.txt", "outs": ["${where}/out.txt"]}}}))  # fmt: skip
        return ["repro"]

    return setup


def pointer(path: str, name: str = "evil", command: str = "checkout") -> Setup:
    def setup(repo: Path, outside: Path) -> list[str]:
        (repo / "ol").symlink_to(outside)
        text = (repo / "data.solvent").read_text()
        text = text.replace("path: data", f"path: {json.dumps(path.replace('OUT', str(outside)))}")
        write(repo / f"{name}.solvent", text)
        return [command, "--force"] if command == "checkout" else [command]

    return setup


def locked_out(path: str) -> Callable[[Path, Path], list[str]]:
    """A lock naming an out (with the stage declaring it, so checkout restores it)."""

    def setup(repo: Path, outside: Path) -> list[str]:
        (repo / "ol").symlink_to(outside)
        content = b"from the lock\n"
        cached = object_path(repo, blake3_id(content))
        write(cached, content)
        path_text = path.replace("OUT", str(outside))
        write(repo / "solvent.yaml", json.dumps({"stages": {"s": {
            "cmd": "true", "outs": [path_text]}}}))  # fmt: skip
        lock = {"schema": 1, "stages": {"s": {"cmd": "true", "outs": [
            {"path": path_text, "id": blake3_id(content), "size": len(content)}]}}}  # fmt: skip
        write(repo / "solvent.lock", json.dumps(lock))
        return ["checkout", "--force"]

    return setup


def tree(*rows: list[object]) -> Callable[[Path, Path], list[str]]:
    """A pointer to a folder whose tree object holds ``rows`` (each file's bytes cached)."""

    def setup(repo: Path, outside: Path) -> list[str]:
        content = b"from a tree\n"
        write(object_path(repo, blake3_id(content)), content)
        entries = [[r[0], "file", blake3_id(content), len(content), 0, 1] for r in rows]
        data = json.dumps({"solvent-tree": 1, "entries": entries}).encode()
        write(object_path(repo, blake3_id(data)), data)
        write(repo / "t.solvent", f"path: t\nid: {blake3_id(data)}\nkind: dir\nsize: 1\nfiles: 1\n")
        return ["checkout", "--force", "t"]

    return setup


def workspace_link(target: str, where: str = "link", command: str = "add") -> Setup:
    def setup(repo: Path, outside: Path) -> list[str]:
        link = repo / where
        link.parent.mkdir(parents=True, exist_ok=True)
        if where.startswith("data/"):  # replace a tracked file or folder by the link
            shutil.rmtree(link, ignore_errors=True)
            if link.exists():
                link.unlink()
        link.symlink_to(target.replace("OUT", str(outside)))
        if command == "add":
            return ["add", where.split("/")[0]]
        return [command, "--force"] if command == "checkout" else [command]

    return setup


def remote(url: str) -> Callable[[Path, Path], list[str]]:
    def setup(repo: Path, outside: Path) -> list[str]:
        config = repo / ".solvent" / "config.toml"
        config.write_text(config.read_text() + f'\n[remote.r]\nurl = "{url}"\n')
        return ["push", "--remote", "r"]

    return setup


def remote_object_link(command: str) -> Setup:
    """A folder remote whose listing holds an object that is a link to a file outside (whose
    bytes match the name, so only the link is wrong); ``s.solvent`` names that object."""

    def setup(repo: Path, outside: Path) -> list[str]:
        oid = blake3_id((outside / "s.txt").read_bytes())
        digest = oid.split(":")[1]
        there = repo.parent / "remote" / "blake3" / digest[:2] / digest[2:]
        there.parent.mkdir(parents=True)
        there.symlink_to(outside / "s.txt")
        write(repo / "s.solvent", f"path: s\nid: {oid}\nkind: file\nsize: 9\nfiles: 1\n")
        if command == "gc":  # the object is needed by nothing: gc --cloud removes it
            (repo / "s.solvent").unlink()
        config = repo / ".solvent" / "config.toml"
        config.write_text(config.read_text() + f'\n[remote.r]\nurl = "{there.parents[2]}"\n')
        return ["pull", "--remote", "r"] if command == "pull" else ["gc", "--cloud", "--force"]

    return setup


def own_link(name: str, command: str = "add") -> Setup:
    """A link where Solvent keeps a file of its own (a .gitignore, a pointer file, its temp
    folder), as a malicious commit could make it."""

    def setup(repo: Path, outside: Path) -> list[str]:
        target = repo / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        target.symlink_to(
            outside / "s.txt" if name.endswith((".gitignore", ".solvent")) else outside
        )
        write(repo / "data" / "new.csv", "new\n")
        (outside / "123-0badcafe-7").write_text("named like a temp file of the store\n")
        return ["add", "data"] if command == "add" else ["gc", "--force"]

    return setup


def exp_override(key: str, link: str | None = None) -> Callable[[Path, Path], list[str]]:
    def setup(repo: Path, outside: Path) -> list[str]:
        body = {"cmd": "cat params.yaml > out.txt", "params": ["x"], "outs": ["out.txt"]}
        write(repo / "solvent.yaml", json.dumps({"stages": {"s": body}}))
        if link is None:
            write(repo / "params.yaml", "x: 1\n")
        else:
            (repo / link).symlink_to(outside / "params.yaml")
        commit_all(repo, "pipeline")
        return ["exp", "run", "-S", key]

    return setup


CASES: dict[str, Case] = {
    # solvent.yaml / dvc.yaml: outs, deps, wdir
    "yaml out ..": Case(stage("../outside/out.txt"), ("leaves the repo",)),
    "yaml out absolute": Case(stage("OUT/out.txt"), ("absolute",)),
    "yaml out through a link": Case(linked(stage("ol/out.txt")), ("ol/out.txt", "link ol")),
    "yaml out through a link in dvc.yaml": Case(
        linked(stage("ol/out.txt", file="dvc.yaml")), ("link ol",)
    ),
    "yaml out through a link to a link": Case(
        linked(stage("ol2/out.txt", cmd="ln -s ol ol2; true")), ("did not write its out",)
    ),
    "yaml out into .git": Case(stage(".git/hooks/pre-commit"), ("git's own folder",)),
    "yaml out with a long name": Case(stage(LONG), ("longer than",)),
    "yaml out with odd characters": Case(stage("a b\n'c\"$(x)"), ("did not write its out",)),
    "yaml dep ..": Case(stage("out.txt", deps="../outside/s.txt"), ("leaves the repo",)),
    "yaml wdir ..": Case(stage("out.txt", wdir=".."), ("leaves the repo",)),
    "yaml wdir absolute": Case(stage("out.txt", wdir="OUT"), ("absolute",)),
    "yaml wdir through a link": Case(linked(stage("out.txt", wdir="ol")), ("link ol",)),
    # interpolated values
    "interpolated ..": Case(interpolated("../outside"), ("leaves the repo",)),
    "interpolated absolute": Case(interpolated("OUT"), ("absolute",)),
    "interpolated link": Case(interpolated("ol"), ("link ol",)),
    # pointer files
    "pointer ..": Case(pointer("../outside/data", name="data"), ("leaves the repo",)),
    "pointer absolute": Case(pointer("OUT/data", name="data"), ("absolute",)),
    "pointer to a link out": Case(pointer("ol", name="ol"), ("link to a folder",)),
    "pointer through a link": Case(pointer("ol/data"), ("evil.solvent", "not the data")),
    "pointer naming git-tracked code": Case(pointer("train.py"), ("evil.solvent", "not the data")),
    "pointer into .git": Case(pointer(".git/hooks"), ("evil.solvent",)),
    "pointer with a long name": Case(pointer(LONG, name=LONG[:200]), ()),
    # the lock
    "lock out ..": Case(locked_out("../outside/out.txt"), ("leaves the repo",)),
    "lock out through a link": Case(locked_out("ol/out.txt"), ("link ol",)),
    # tree objects
    "tree entry ..": Case(tree([".."]), ("unsafe name",)),
    "tree entry with a slash": Case(tree(["../../outside/s.txt"]), ("unsafe name",)),
    "tree entry absolute": Case(tree(["/etc"]), ("unsafe name",)),
    "tree entry twice": Case(tree(["x"], ["x"]), ("twice",)),
    "tree entry with a long name": Case(tree([LONG]), ("unsafe name",)),
    # remote URLs
    "remote .": Case(remote("."), ("inside the repo",)),
    "remote inside the workspace": Case(remote("data"), ("inside the repo",)),
    "remote object a link out, pull": Case(remote_object_link("pull"), ok=True),
    "remote object a link out, gc --cloud": Case(remote_object_link("gc"), ok=True),
    # links in the workspace
    "add a link to an outside folder": Case(workspace_link("OUT"), ("link to a folder",)),
    "add a link to /etc": Case(workspace_link("/etc"), ("link to a folder",)),
    "add a link to an outside file": Case(workspace_link("OUT/s.txt"), ("leading outside",)),
    "add a folder holding a link out": Case(
        workspace_link("OUT/s.txt", "new/f.txt"), ("new/f.txt", "leading outside")
    ),
    "add a folder holding a folder link out": Case(
        workspace_link("OUT", "new/sub"), ("link to a folder",)
    ),
    "add a relative link out": Case(workspace_link("../outside/s.txt"), ("leading outside",)),
    "status of tracked data made a link out": Case(
        workspace_link("OUT/s.txt", "data/a.csv", "status"), ("leading outside",)
    ),
    "checkout over a folder made a link out": Case(
        workspace_link("OUT", "data/sub", "checkout"), ("link to a folder",)
    ),
    # Solvent's own files made links
    ".gitignore a link out": Case(own_link(".gitignore"), ok=True),
    "pointer file a link out": Case(own_link("data.solvent"), ok=True),
    "cache temp folder a link out": Case(own_link(".solvent/cache/tmp"), ("is a link",)),
    "cache temp folder a link out, gc": Case(own_link(".solvent/cache/tmp", "gc"), ("is a link",)),
    # experiment overrides
    "exp override of a params file ..": Case(
        exp_override("../outside/params.yaml:x=2"), ("repo-relative",)
    ),
    "exp override of a params file that is a link out": Case(
        exp_override("x=2", link="params.yaml"), ok=True
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_nothing_escapes(template: Path, tmp_path: Path, name: str) -> None:
    case = CASES[name]
    repo = tmp_path / "project"
    shutil.copytree(template, repo, symlinks=True)
    outside = tmp_path / "outside"
    write(outside / "s.txt", "sentinel\n")
    write(outside / "out.txt", "keep me\n")
    write(outside / "params.yaml", "x: 1\n")
    write(outside / "data" / "a.csv", "not the repo's\n")
    args = case.setup(repo, outside)
    before = disk_state(outside), sorted(os.listdir(tmp_path)), os.listdir("/etc")
    proc = solvent(repo, *args)
    output = proc.stdout + proc.stderr
    assert (disk_state(outside), sorted(os.listdir(tmp_path)), os.listdir("/etc")) == before
    assert "Traceback" not in output and "internal error" not in output, output
    assert proc.returncode < 70, output
    if case.ok:
        return
    assert proc.returncode != 0, output
    for needle in case.needles:
        assert needle in output, f"{needle!r} not in:\n{output}"
