"""Hostile or damaged files Solvent reads (YAML bombs, deep nesting, huge numbers, bad config,
remotes that cannot be used): each ends in one ``error:`` line naming the file (and key or
line) with a hint, an exit code from 1 to 69 (70 is "internal error"), quickly, and nothing
changed on disk. Run through the real CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import (
    DiskState,
    assert_user_error,
    blake3_id,
    commit_all,
    disk_state,
    make_folder,
    object_path,
    solvent,
    solvent_ok,
    write,
)

LEVELS = zip("abcdefgh", "bcdefghi", strict=True)
BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in LEVELS
)  # 10**9 values once expanded, from 300 bytes
STAGE = "stages:\n  train:\n    cmd: echo ${a}\n    params: [i]\n    outs: [model.txt]\n"


@pytest.fixture
def project(repo: Path) -> Path:
    make_folder(repo / "data", {"a.csv": "a", "sub/b.csv": "b"})
    solvent_ok(repo, "add", "data")
    commit_all(repo, "track data")
    return repo


def snapshot(repo: Path) -> DiskState:
    """The repo and its surroundings; the state cache (a memo of file hashes) may change."""
    state = disk_state(repo.parent)
    state.pop(f"{repo.name}/.solvent/state.db", None)
    return state


def no_aws(**extra: str) -> dict[str, str]:
    """The environment without any AWS setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **env,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        **extra,
    }


def run(repo: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "solvent", *args], cwd=repo, env=env, capture_output=True,
        text=True, timeout=90, check=False,
    )  # fmt: skip


def refused(repo: Path, *args: str, timeout: float = 20) -> str:
    """Run a command that must refuse: a clear error, exit 1-69, and the repo as it was."""
    before = snapshot(repo)
    proc = solvent(repo, *args, timeout=timeout)
    assert_user_error(proc)
    assert 0 < proc.returncode < 70, proc.stderr
    assert snapshot(repo) == before
    return proc.stderr.splitlines()[0]


# -- finding 5: size and aliases ---------------------------------------------------------------


def test_an_alias_bomb_in_params_is_refused_at_once(project: Path) -> None:
    write(project / "params.yaml", BOMB)
    write(project / "solvent.yaml", STAGE)
    line = refused(project, "status")
    assert "params.yaml" in line and "aliases (*name) expand to" in line


def test_an_alias_bomb_in_a_pointer_is_refused(project: Path) -> None:
    write(project / "bomb.solvent", BOMB + "path: bomb\n")
    line = refused(project, "status")
    assert "bomb.solvent" in line and "aliases" in line


def test_an_alias_bomb_in_the_lock_is_refused(project: Path) -> None:
    write(project / "solvent.yaml", "stages:\n  s:\n    cmd: echo\n")
    write(project / "solvent.lock", BOMB)
    line = refused(project, "status")
    assert "solvent.lock" in line and "aliases" in line


def test_an_alias_to_its_own_value_is_refused(project: Path) -> None:
    write(project / "params.yaml", "a: &a [1, *a]\n")
    write(project / "solvent.yaml", STAGE.replace("[i]", "[a]"))
    line = refused(project, "status")
    assert "params.yaml:1" in line and "recursive" in line


def test_a_few_merged_defaults_are_not_a_bomb(project: Path) -> None:
    defaults = "defaults: &d {" + ", ".join(f"k{i}: {i}" for i in range(50)) + "}\n"
    stages = "".join(f"  s{i}:\n    <<: *d\n    cmd: echo {i}\n" for i in range(200))
    write(project / "params.yaml", defaults + "stages:\n" + stages)
    spec = STAGE.replace("[i]", "[stages.s199.k49]").replace("${a}", "${stages.s5.k7}")
    write(project / "solvent.yaml", spec)
    assert "train" in solvent_ok(project, "status")


def test_a_spec_larger_than_the_limit_is_refused_before_parsing(project: Path) -> None:
    write(project / "solvent.yaml", STAGE + "# " + "x" * (3 << 20) + "\n")
    line = refused(project, "status", timeout=10)
    assert "solvent.yaml" in line and "MiB" in line


# -- finding 7: each bad input its own clear message ------------------------------------------


def test_deep_nesting_in_params(project: Path) -> None:
    write(project / "params.yaml", "i: " + "[" * 5000 + "]" * 5000 + "\n")
    write(project / "solvent.yaml", STAGE)
    line = refused(project, "status")
    assert "params.yaml" in line and "nested more than 100 levels" in line


@pytest.mark.parametrize("depth", [150, 50_000])  # 50,000 crashed ruamel's C parser
def test_deep_nesting_in_the_spec(project: Path, depth: int) -> None:
    write(project / "solvent.yaml", STAGE + "x: " + "[" * depth + "]" * depth + "\n")
    line = refused(project, "status")
    assert "solvent.yaml" in line and "nested more than 100 levels" in line


def test_deep_block_nesting_in_a_pointer(project: Path) -> None:
    write(project / "deep.solvent", "path: deep\nx:\n" + "- " * 500 + "1\n")
    line = refused(project, "status")
    assert "deep.solvent" in line and "nested" in line


def test_config_that_is_not_utf8(project: Path) -> None:
    with (project / ".solvent" / "config.toml").open("ab") as f:
        f.write(b"# caf\xe9\n")
    line = refused(project, "checkout")
    assert "config.toml: not UTF-8 text" in line


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("remote = 1\n", "config.toml: 'remote' must be a table"),
        ("[remote]\norigin = 1\n", "config.toml: remote.origin must be a table"),
        ("[core]\nremote = 1\n", "config.toml: core.remote must be a remote's name"),
    ],
)
def test_config_with_a_remote_of_the_wrong_type(project: Path, toml: str, needle: str) -> None:
    config = project / ".solvent" / "config.toml"
    write(config, toml + config.read_text())
    assert needle in refused(project, "push")
    assert needle in refused(project, "remote", "list")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once it is closed


def test_s3_remote_without_credentials(project: Path, tmp_path: Path) -> None:
    solvent_ok(project, "remote", "add", "--default", "s3r", "s3://solvent-nocreds")
    env = no_aws(AWS_ENDPOINT_URL=f"http://127.0.0.1:{_closed_port()}")
    before = snapshot(project)
    proc = run(project, "push", env=env)
    assert_user_error(proc, "remote s3://solvent-nocreds: ", "credentials")
    assert 0 < proc.returncode < 70 and "AWS_ACCESS_KEY_ID" in proc.stderr
    assert snapshot(project) == before


def test_s3_remote_at_an_unreachable_endpoint(project: Path) -> None:
    solvent_ok(project, "remote", "add", "--default", "s3r", "s3://solvent-unreachable")
    env = no_aws(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{_closed_port()}", AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
    )  # fmt: skip
    before = snapshot(project)
    proc = run(project, "push", env=env)
    assert_user_error(proc, "remote s3://solvent-unreachable: ", "Could not connect")
    assert 0 < proc.returncode < 70 and "endpoint_url" in proc.stderr
    assert snapshot(project) == before


def test_remote_url_that_is_a_file(project: Path, tmp_path: Path) -> None:
    write(tmp_path / "afile", "not a folder")
    solvent_ok(project, "remote", "add", "--default", "f", str(tmp_path / "afile"))
    line = refused(project, "push")
    assert "names a file, not a folder" in line and "afile" in line


def test_pointer_with_a_5000_digit_count(project: Path) -> None:
    text = (project / "data.solvent").read_text()
    write(project / "data.solvent", text.replace("files: 2", "files: " + "9" * 5000))
    line = refused(project, "status")
    assert line.startswith("error: data.solvent:") and "5,000 digits" in line


def test_pointer_with_a_4000_digit_count(project: Path) -> None:
    text = (project / "data.solvent").read_text()
    write(project / "data.solvent", text.replace("files: 2", "files: " + "9" * 4000))
    assert "data.solvent: files must be a non-negative integer below 2**63" in refused(
        project, "status"
    )


def test_lock_with_an_infinite_size(project: Path) -> None:
    write(project / "in.txt", "in\n")
    stage = "  s:\n    cmd: cp in.txt out.txt\n    deps: [in.txt]\n    outs: [out.txt]\n"
    write(project / "solvent.yaml", "stages:\n" + stage)
    solvent_ok(project, "repro")
    lock = project / "solvent.lock"
    text = lock.read_text()
    assert "size: 3" in text
    write(lock, text.replace("size: 3", "size: .inf", 1))
    line = refused(project, "status")
    assert "solvent.lock: malformed lock file" in line and "inf" in line


def test_tree_entry_name_too_long_for_the_file_system(project: Path) -> None:
    blob = b"x\n"
    blob_id = blake3_id(blob)
    tree = {"solvent-tree": 1, "entries": [["n" * 300, "file", blob_id, 2, 0, 1]]}
    tree_bytes = json.dumps(tree, separators=(",", ":")).encode()
    tree_id = blake3_id(tree_bytes)
    for oid, data in ((blob_id, blob), (tree_id, tree_bytes)):
        path = object_path(project, oid)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(0o444)
    write(project / "long.solvent", f"path: long\nid: {tree_id}\nkind: dir\nsize: 2\nfiles: 1\n")
    line = refused(project, "checkout", "long")
    assert "long.solvent" in line and "unsafe name" in line


# -- found by tests/fuzz -------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["push", "gc", "fetch"])
def test_a_pointer_to_an_object_that_is_no_tree(project: Path, command: str) -> None:
    """Found by the fuzzer (kind=tree): push read the listing without a guard (exit 70)."""
    solvent_ok(project, "remote", "add", "--default", "origin", "../remote")
    blob = b'{"solvent-tree":1,"entries":[["a.csv","file","blake3:zz",1,0,1]]}'
    oid = blake3_id(blob)
    path = object_path(project, oid)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    path.chmod(0o444)
    text = (project / "data.solvent").read_text()
    old = next(line for line in text.splitlines() if line.startswith("id: "))
    write(project / "data.solvent", text.replace(old, f"id: {oid}"))
    line = refused(project, command)
    assert f"folder listing {oid}" in line or "data.solvent" in line, line


def test_a_huge_pointer_is_refused_by_its_size(project: Path) -> None:
    text = (project / "data.solvent").read_text()
    write(project / "data.solvent", text + "#" * (3 << 20) + "\n")
    line = refused(project, "status", timeout=10)
    assert "data.solvent" in line and "MiB" in line
