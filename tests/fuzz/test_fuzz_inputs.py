"""Fuzzing every file Solvent reads (issue 16, deliver 3): solvent.yaml, dvc.yaml, params.yaml,
solvent.lock, pointers, tree objects and config.toml, each mutated by a seed and fed to the
real commands that read it. Whatever the input: no internal error (exit 70 or a traceback), no
command past 20 s, nothing written outside the repo (and its folder remote), no object lost
from or damaged in the cache.

CI runs ``CI_TRIALS`` seeds per kind; ``SOLVENT_FAULT_TRIALS=N`` (``make faults``) runs N. A
failure names the kind and seed: ``pytest tests/fuzz -k 'lock and 17'`` replays it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from blake3 import blake3

from tests.fuzz.harness import Sandbox, build_template, check, run_cli, sandbox, trials
from tests.fuzz.mutate import mutate
from tests.helpers import object_path, write

CI_TRIALS = 32


@dataclass(frozen=True)
class Kind:
    setup: Callable[[Sandbox, int], bytes]  # writes the mutated file; returns its bytes
    commands: tuple[tuple[str, ...], ...]


def _mutate_file(rel: str) -> Callable[[Sandbox, int], bytes]:
    def setup(box: Sandbox, seed: int) -> bytes:
        path = box.repo / rel
        data = mutate(path.read_bytes(), seed)
        write(path, data)
        return data

    return setup


def _dvc_yaml(box: Sandbox, seed: int) -> bytes:
    spec = box.repo / "solvent.yaml"
    data = mutate(spec.read_bytes(), seed)
    spec.unlink()
    write(box.repo / "dvc.yaml", data)
    return data


def _pointer(box: Sandbox, seed: int) -> bytes:
    rel = "data.solvent" if seed % 2 == 0 else "single.txt.solvent"
    return _mutate_file(rel)(box, seed)


def _tree(box: Sandbox, seed: int) -> bytes:
    """A mutated copy of data/'s tree, stored under its own (correct) id, as a remote or a
    crafted commit could bring it, and named by data.solvent."""
    pointer = box.repo / "data.solvent"
    text = pointer.read_text()
    oid = next(line.split(": ")[1] for line in text.splitlines() if line.startswith("id: "))
    data = mutate(object_path(box.repo, oid).read_bytes(), seed)
    new_id = f"blake3:{blake3(data).hexdigest()}"
    path = object_path(box.repo, new_id)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(0o444)
    write(pointer, text.replace(oid, new_id))
    return data


def _local_config(box: Sandbox, seed: int) -> bytes:
    """The machine's own settings: secrets and an override of the shared remote."""
    text = (
        b'[core]\nremote = "origin"\n\n[remote.origin]\nurl = "../remote"\nlink = "copy"\n'
        b'access_key_id = "AKIA"\nsecret_access_key = "s3cr3t"\n\n[cache]\nlink = ["copy"]\n'
    )
    data = mutate(text, seed)
    write(box.repo / ".solvent" / "config.local.toml", data)
    return data


STATUS, DRY = ("status",), ("repro", "--dry")
KINDS: dict[str, Kind] = {
    "spec": Kind(
        _mutate_file("solvent.yaml"), (STATUS, DRY, ("dag",), ("params", "diff"), ("checkout",))
    ),
    "dvc": Kind(_dvc_yaml, (STATUS, DRY, ("checkout",))),
    "params": Kind(
        _mutate_file("params.yaml"), (STATUS, DRY, ("params", "diff"), ("metrics", "show"))
    ),
    "lock": Kind(_mutate_file("solvent.lock"), (STATUS, DRY, ("checkout",), ("gc",), ("push",))),
    "pointer": Kind(_pointer, (STATUS, ("checkout",), ("diff",), ("push",), ("gc",))),
    "tree": Kind(_tree, (STATUS, ("checkout", "--force"), ("push",), ("gc",), ("fetch",))),
    "local-config": Kind(_local_config, (STATUS, ("checkout",), ("push",), ("remote", "list"))),
    "config": Kind(
        _mutate_file(".solvent/config.toml"), (STATUS, ("checkout",), ("push",), ("remote", "list"))
    ),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("template"))


@pytest.mark.parametrize("seed", range(trials(CI_TRIALS)))
@pytest.mark.parametrize("kind", KINDS)
def test_a_mutated_file_never_breaks_solvent(
    kind: str, seed: int, template: Path, tmp_path: Path
) -> None:
    with sandbox(template, tmp_path) as box:
        data = KINDS[kind].setup(box, seed)
        outside = box.outside()
        about = f"kind={kind} seed={seed} input={data[:400]!r}"
        for argv in KINDS[kind].commands:
            check(box, run_cli(box.repo, *argv), outside, about)


def test_the_template_is_sound(template: Path, tmp_path: Path) -> None:
    """Unmutated, every command above succeeds: failures in the fuzz come from the input."""
    with sandbox(template, tmp_path) as box:
        outside = box.outside()
        for argv in {a for kind in KINDS.values() for a in kind.commands}:
            outcome = run_cli(box.repo, *argv)
            assert outcome.code == 0, (argv, outcome.stderr)
            check(box, outcome, outside, "template")
        lock = json.dumps(sorted(box.objects))
        assert len(box.objects) > 5, lock
