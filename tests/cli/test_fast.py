"""The hot commands that run without Typer: which argument lists take that path, and that the
bodies use the defaults Typer declares for the same commands."""

from __future__ import annotations

import inspect
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from solvent.cli import data, data_run, pipeline, pipeline_run
from solvent.cli.fast import fast_command
from tests.helpers import commit_all, solvent_ok


def defaults(fn: Callable[..., Any]) -> dict[str, Any]:
    return {name: p.default for name, p in inspect.signature(fn).parameters.items()}


def test_bodies_take_the_defaults_typer_declares() -> None:
    for typer_fn, body in (
        (data.add, data_run.add),
        (data.status, data_run.status),
        (pipeline.repro, pipeline_run.repro),
    ):
        declared = defaults(typer_fn)
        assert list(declared) == list(defaults(body)), typer_fn.__name__
        for name, value in defaults(body).items():
            if value is not inspect.Parameter.empty:
                assert declared[name] == value, (typer_fn.__name__, name)


def test_only_option_free_hot_commands_skip_typer() -> None:
    for argv in (["status"], ["status", "data"], ["add", "a", "b"], ["repro"], ["repro", "t"]):
        assert fast_command(argv) is not None, argv
    for argv in (
        [], ["add"], ["status", "--json"], ["add", "-j", "2", "x"], ["repro", "--help"],
        ["--debug", "status"], ["checkout"], ["stauts"], ["status", "-"],
    ):  # fmt: skip
        assert fast_command(argv) is None, argv


def test_status_add_repro_never_import_typer(repo: Path) -> None:
    (repo / "data").mkdir()
    (repo / "data" / "a.txt").write_text("a\n")
    (repo / "solvent.yaml").write_text(
        "stages:\n  count:\n    cmd: wc -l data/a.txt > n.txt\n    deps: [data]\n"
        "    outs: [n.txt]\n"
    )
    code = (
        "import sys; from solvent.cli import main; sys.argv = ['solvent', *sys.argv[1:]]\n"
        "try:\n    main()\nfinally:\n    assert 'typer' not in sys.modules, 'typer imported'\n"
    )
    for args in (["add", "data"], ["status"], ["repro"], ["repro"]):
        proc = subprocess.run(
            [sys.executable, "-c", code, *args], cwd=repo, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr
    assert "Pipeline is up to date." in proc.stdout
    commit_all(repo, "data and pipeline")
    assert "up to date" in solvent_ok(repo, "status")
