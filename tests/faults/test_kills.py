"""kill -9 at random moments of every command that writes data: add (one big file, many small
files), repro -j, push, pull, checkout (restore and switch) and gc. After each kill the stores
verify, the same command run again succeeds without ``--force``, no temp file is left and the
data is byte for byte what it should be. ``make faults`` runs many more trials and prints the
table; CI runs a few per scenario."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.faults.harness import Scenario, run_trials
from tests.helpers import commit_all, git, read_files, solvent_ok, write

SMALL = 1500
BIG = 96 * 1024 * 1024


def small_files(folder: Path, rng: random.Random, n: int = SMALL) -> None:
    for i in range(n):
        write(folder / f"d{i % 25:02}" / f"f{i}.bin", rng.randbytes(256 + i % 1500))


def rewrite_some(folder: Path, rng: random.Random, share: float = 0.25) -> None:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in rng.sample(files, int(len(files) * share)):
        write(path, rng.randbytes(rng.randrange(64, 2000)))


def restored(repo: Path, target: str) -> dict[str, tuple[bytes, bool]]:
    """What a checkout from the cache gives back for ``target`` (the workspace copy is moved
    aside and put back after): proves the pointer names objects that are really there."""
    aside = repo.parent / f"{target}.aside"
    (repo / target).rename(aside)
    try:
        solvent_ok(repo, "checkout", target)
        return read_files(repo / target)
    finally:
        path = repo / target
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        aside.rename(path)


def assert_clean(outcome_scenario: Scenario) -> None:
    outcome = run_trials(outcome_scenario)
    detail = "\n".join(outcome.notes)
    assert outcome.clean, f"{outcome}\n{detail}"
    assert outcome.interrupted >= max(1, outcome.trials // 3), (
        f"only {outcome.interrupted} of {outcome.trials} kills landed during the work"
    )  # each try that missed was followed by another (up to 3x): many misses mean a bug


def test_add_many_small_files(repo: Path) -> None:
    data = repo / "many"
    small_files(data, random.Random(1))

    def verify() -> None:
        assert "up to date" in solvent_ok(repo, "status")
        assert restored(repo, "many") == read_files(data)

    assert_clean(
        Scenario(
            "add (1,500 files)",
            repo,
            ("add", "many"),
            lambda rng: rewrite_some(data, rng),
            verify,
            (repo,),
            (repo,),
        )
    )


def test_add_one_big_file(repo: Path) -> None:
    big = repo / "big.bin"
    write(big, random.Random(2).randbytes(BIG))

    def reset(rng: random.Random) -> None:
        with open(big, "r+b") as f:  # new bytes at both ends: a new object, hashed whole
            f.write(rng.randbytes(4096))
            f.seek(-4096, os.SEEK_END)
            f.write(rng.randbytes(4096))

    def verify() -> None:
        assert "up to date" in solvent_ok(repo, "status")
        assert restored(repo, "big.bin") == read_files(big)

    assert_clean(
        Scenario("add (96 MiB file)", repo, ("add", "big.bin"), reset, verify, (repo,), (repo,))
    )


STAGE = """\
import hashlib, pathlib, sys, time
name, seed, out, *ins = sys.argv[1:]
h = hashlib.sha256(f"{name}:{seed}".encode())
for i in ins:
    h.update(pathlib.Path(i).read_bytes())
time.sleep(0.15)
pathlib.Path(out).parent.mkdir(parents=True, exist_ok=True)
pathlib.Path(out).write_bytes(h.digest() * 32768)
"""

PIPELINE = {
    "a1": [],
    "a2": [],
    "a3": [],
    "a4": [],
    "b1": ["a1", "a2"],
    "b2": ["a3", "a4"],
    "c": ["b1", "b2"],
}


def expected_outs(seed: int) -> dict[str, bytes]:
    outs: dict[str, bytes] = {}
    for name, ins in PIPELINE.items():  # written in topological order
        h = hashlib.sha256(f"{name}:{seed}".encode())
        for i in ins:
            h.update(outs[i])
        outs[name] = h.digest() * 32768
    return outs


def test_repro_in_parallel(repo: Path) -> None:
    write(repo / "stage.py", STAGE)
    stages = {}
    for name, ins in PIPELINE.items():
        args = " ".join(f"out/{i}.bin" for i in ins)
        stages[name] = {
            "cmd": f"{sys.executable} stage.py {name} ${{seed}} out/{name}.bin {args}".strip(),
            "deps": ["stage.py", *(f"out/{i}.bin" for i in ins)],
            "params": ["seed"],
            "outs": [f"out/{name}.bin"],
        }
    write(repo / "solvent.yaml", yaml.safe_dump({"stages": stages}, sort_keys=False))
    seed = {"value": 0}

    def reset(rng: random.Random) -> None:
        seed["value"] = rng.randrange(1, 10**9)
        write(repo / "params.yaml", f"seed: {seed['value']}\n")

    def verify() -> None:
        want = expected_outs(seed["value"])
        got = {name: (repo / "out" / f"{name}.bin").read_bytes() for name in PIPELINE}
        assert got == want, "outs differ from what the stages make"
        assert "up to date" in solvent_ok(repo, "status"), "stages stale after the rerun"

    assert_clean(
        Scenario(
            "repro -j 4 (7 stages)", repo, ("repro", "-j", "4"), reset, verify, (repo,), (repo,)
        )
    )


@pytest.fixture
def shared(repo: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A repo with a folder and a big file tracked and committed, and a folder remote that
    copies (as across file systems) rather than links."""
    rng = random.Random(3)
    small_files(repo / "data", rng)
    write(repo / "blob.bin", rng.randbytes(24 * 1024 * 1024))
    solvent_ok(repo, "add", "data", "blob.bin")
    remote = tmp_path / "remote"
    solvent_ok(repo, "remote", "add", "--default", "origin", str(remote))
    solvent_ok(repo, "remote", "modify", "origin", "link", "copy")
    commit_all(repo, "data")
    return repo, remote


def test_push(shared: tuple[Path, Path]) -> None:
    repo, remote = shared

    def reset(rng: random.Random) -> None:
        objects = sorted(p for p in (remote / "blake3").rglob("*") if p.is_file())
        for path in rng.sample(objects, int(len(objects) * 0.6)) if objects else []:
            path.unlink()

    def verify() -> None:
        out = solvent_ok(repo, "status", "--remote")
        assert "hold the same tracked data" in out, out

    assert_clean(Scenario("push", repo, ("push",), reset, verify, (repo, remote), (repo,)))


def test_pull(shared: tuple[Path, Path], tmp_path: Path) -> None:
    repo, remote = shared
    solvent_ok(repo, "push")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    shutil.copy(repo / ".solvent" / "config.toml", clone / ".solvent" / "config.toml")
    want = {"data": read_files(repo / "data"), "blob.bin": read_files(repo / "blob.bin")}

    def reset(rng: random.Random) -> None:
        for path in (clone / "data", clone / ".solvent" / "cache" / "blake3"):
            if path.exists():
                shutil.rmtree(path)
        (clone / "blob.bin").unlink(missing_ok=True)

    def verify() -> None:
        got = {"data": read_files(clone / "data"), "blob.bin": read_files(clone / "blob.bin")}
        assert got == want, "pulled data differs"

    assert_clean(Scenario("pull", clone, ("pull",), reset, verify, (clone, remote), (clone,)))


def test_checkout_restore(shared: tuple[Path, Path]) -> None:
    repo, _remote = shared
    want = {"data": read_files(repo / "data"), "blob.bin": read_files(repo / "blob.bin")}

    def reset(rng: random.Random) -> None:
        if (repo / "data").exists():
            shutil.rmtree(repo / "data")
        (repo / "blob.bin").unlink(missing_ok=True)

    def verify() -> None:
        got = {"data": read_files(repo / "data"), "blob.bin": read_files(repo / "blob.bin")}
        assert got == want, "restored data differs"

    assert_clean(
        Scenario("checkout (restore)", repo, ("checkout",), reset, verify, (repo,), (repo,))
    )


def test_checkout_switch(shared: tuple[Path, Path]) -> None:
    repo, _remote = shared
    git(repo, "tag", "v1")
    versions = {"v1": read_files(repo / "data")}
    rng = random.Random(4)
    rewrite_some(repo / "data", rng, 0.5)
    for i in range(200):  # v2 also adds and removes files
        write(repo / "data" / "new" / f"n{i}.bin", rng.randbytes(700))
    shutil.rmtree(repo / "data" / "d03")
    solvent_ok(repo, "add", "data")
    commit_all(repo, "data v2")
    git(repo, "tag", "v2")
    versions["v2"] = read_files(repo / "data")
    target = {"name": "v2"}

    def reset(rng: random.Random) -> None:
        target["name"] = "v1" if target["name"] == "v2" else "v2"
        git(repo, "checkout", "-q", target["name"], "--", "data.solvent")

    def verify() -> None:
        assert read_files(repo / "data") == versions[target["name"]], "workspace differs"
        assert "up to date" in solvent_ok(repo, "status")

    assert_clean(
        Scenario("checkout (switch)", repo, ("checkout",), reset, verify, (repo,), (repo,))
    )


def test_gc(shared: tuple[Path, Path]) -> None:
    repo, _remote = shared
    want = {"data": read_files(repo / "data"), "blob.bin": read_files(repo / "blob.bin")}

    def reset(rng: random.Random) -> None:
        junk = repo / "junk"
        small_files(junk, rng, 1200)
        solvent_ok(repo, "add", "junk")
        shutil.rmtree(junk)
        (repo / "junk.solvent").unlink()

    def verify() -> None:
        report = json.loads(solvent_ok(repo, "gc", "--json"))
        assert report["removable"] == [], f"garbage left after the rerun: {report}"
        assert restored(repo, "data") == want["data"]
        assert restored(repo, "blob.bin") == want["blob.bin"]

    assert_clean(Scenario("gc", repo, ("gc", "--force"), reset, verify, (repo,), (repo,)))
