"""The audit hook must not change what a stage imports: ``PYTHONPATH`` and ``sys.path`` as a
traced stage's Python sees them are those it sees without Solvent, whatever the command does
with ``PYTHONPATH`` (projects written for DVC set it in ``cmd``)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solvent.pipeline.tracing.watch import BOOT_DIR, usable_strace

PY = sys.executable


def write(root: Path, name: str, text: str) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(textwrap.dedent(text))


def run(repo: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``solvent`` with exactly ``env`` (no PYTHONPATH unless it says so)."""
    return subprocess.run(
        [PY, "-m", "solvent", *args], cwd=repo, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def base_env(pythonpath: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    return env


@pytest.fixture(autouse=True)
def _no_pythonpath(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHONPATH", raising=False)


def test_the_export_pythonpath_idiom_keeps_the_current_folder_importable(repo: Path) -> None:
    """The course template: ``src/pkg`` put first, the empty entry after it (the current
    folder) lets ``train.py`` import ``src.common`` from the repo root."""
    write(repo, "src/__init__.py", "")
    write(repo, "src/common/__init__.py", "")
    write(repo, "src/common/io.py", "def save(path, text):\n    open(path, 'w').write(text)\n")
    write(repo, "src/pkg/features.py", "NAMES = ['a', 'b']\n")
    write(repo, "src/pkg/train.py", """\
        import features
        from src.common.io import save
        save("model.txt", ",".join(features.NAMES))
        """)  # fmt: skip
    write(repo, "dvc.yaml", f"""\
        stages:
          train:
            cmd: export PYTHONPATH=src/pkg:$PYTHONPATH && {PY} src/pkg/train.py
            deps: [src]
            outs: [model.txt]
        """)  # fmt: skip
    proc = run(repo, "repro", env=base_env(None))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ModuleNotFoundError" not in proc.stdout + proc.stderr
    assert (repo / "model.txt").read_text() == "a,b"


def test_pythonpath_set_to_the_repo_imports_src_as_a_package(repo: Path) -> None:
    """The wine-quality shape: ``PYTHONPATH=$PWD python src/x.py`` and ``from src.y import``."""
    write(repo, "src/__init__.py", "")
    write(repo, "src/y.py", "def score():\n    return '0.75'\n")
    write(repo, "src/x.py", "from src.y import score\nopen('score.txt', 'w').write(score())\n")
    write(repo, "dvc.yaml", f"""\
        stages:
          evaluate:
            cmd: PYTHONPATH=$PWD {PY} src/x.py
            deps: [src]
            outs: [score.txt]
        """)  # fmt: skip
    proc = run(repo, "repro", env=base_env(None))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (repo / "score.txt").read_text() == "0.75"


SHOW = """\
    import json, os, sys
    name = sys.argv[1]
    open(name + ".txt").read()  # an undeclared read: proves the hook ran in this process
    view = {"PYTHONPATH": os.environ.get("PYTHONPATH"), "sys.path": sys.path,
            "SOLVENT_TRACE_DIR": os.environ.get("SOLVENT_TRACE_DIR")}
    with open(os.environ["VIEW_FILE"], "a") as f:
        f.write(json.dumps([name, view]) + "\\n")
    """
CHILD = "import subprocess, sys; subprocess.run([sys.executable, 'show.py', 'child'], check=True)"
COMMANDS = [
    f"{PY} show.py plain",
    f"export PYTHONPATH=src/pkg:$PYTHONPATH && {PY} show.py exported",
    f"export PYTHONPATH=$PYTHONPATH:lib::. && {PY} show.py appended",
    f"PYTHONPATH=$PWD {PY} show.py replaced",
    f'export PYTHONPATH=src/pkg:$PYTHONPATH && {PY} -c "{CHILD}"',
]


def views(lines: str) -> dict[str, object]:
    return {name: view for name, view in map(json.loads, lines.splitlines())}


@pytest.mark.parametrize("users", [None, "/opt/site-libs", ""], ids=["unset", "set", "empty"])
@pytest.mark.parametrize("mode", ["audit", "full"])
def test_a_traced_stage_sees_the_import_path_a_plain_shell_gives(
    repo: Path, tmp_path: Path, users: str | None, mode: str
) -> None:
    if mode == "full" and usable_strace() is None:
        pytest.skip("strace missing or not allowed")
    write(repo, "show.py", SHOW)
    for name in ("plain", "exported", "appended", "replaced", "child"):
        write(repo, f"{name}.txt", "x\n")
    cmds = "".join(f"\n      - {c}" for c in COMMANDS)
    write(repo, "solvent.yaml", f"stages:\n  show:\n    cmd:{cmds}\n")
    plain_file, traced_file = tmp_path / "plain.jsonl", tmp_path / "traced.jsonl"
    for cmd in COMMANDS:
        subprocess.run(cmd, shell=True, cwd=repo, check=True,
                       env={**base_env(users), "VIEW_FILE": str(plain_file)})  # fmt: skip
    env = {**base_env(users), "VIEW_FILE": str(traced_file)}
    proc = run(repo, "repro", "--trace", mode, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    plain, traced = views(plain_file.read_text()), views(traced_file.read_text())
    assert set(plain) == {"plain", "exported", "appended", "replaced", "child"}
    for name in ("plain", "exported", "appended", "child"):  # the hook loaded: hidden
        assert traced[name] == plain[name], name
        assert f"reads {name}.txt" in proc.stdout, name  # and traced, the child too

    # A command that replaces PYTHONPATH outright loads no hook: the same path, untraced
    # by the audit hook (the trace folder's name is all that differs).
    def untraced(view: object) -> dict[str, object]:
        assert isinstance(view, dict)
        return {k: v for k, v in view.items() if k != "SOLVENT_TRACE_DIR"}

    assert untraced(traced["replaced"]) == untraced(plain["replaced"])


def test_the_users_sitecustomize_is_found_on_the_path_the_user_built(repo: Path) -> None:
    """A ``sitecustomize`` in a folder the command puts on PYTHONPATH still runs."""
    write(repo, "conf/sitecustomize.py", "import os\nos.environ['FROM_CONF'] = 'yes'\n")
    write(repo, "show.py", "import os\nopen('out.txt', 'w').write(os.environ['FROM_CONF'])\n")
    write(repo, "solvent.yaml", f"stages:\n  show:\n    cmd: export PYTHONPATH=conf:$PYTHONPATH"
                                f" && {PY} show.py\n    outs: [out.txt]\n")  # fmt: skip
    proc = run(repo, "repro", "--trace", "audit", env=base_env(None))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (repo / "out.txt").read_text() == "yes"


# -- the rule, on its own -------------------------------------------------------------------


def _boot() -> ModuleType:
    """The hook's module under another name: its functions, without installing it here."""
    spec = importlib.util.spec_from_file_location("trace_boot", BOOT_DIR / "sitecustomize.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BOOT = _boot()
HERE = os.path.abspath(BOOT_DIR)
entry = st.text(st.characters(codec="utf-8", exclude_characters=":\0"), max_size=6)
paths = st.lists(entry, max_size=3).map(":".join)


@given(prefix=st.one_of(st.none(), paths), suffix=st.one_of(st.none(), paths),
       original=st.one_of(st.none(), paths))  # fmt: skip
def test_the_users_pythonpath_is_what_the_shell_built_from_the_users_value(
    prefix: str | None, suffix: str | None, original: str | None
) -> None:
    """A command builds ``prefix:$PYTHONPATH:suffix``; from the value Solvent gave it (the
    hook's folder, then the user's value if not empty) the hook gets back what the same
    command makes of the user's value."""
    given_value = f"{HERE}:{original}" if original else HERE

    def built(value: str) -> str:
        parts = [p for p in (prefix, value, suffix) if p is not None]
        return ":".join(parts)

    expected = built(original or "")
    got = BOOT.users_pythonpath(built(given_value), original, HERE)
    assert got == expected or (got is None and expected == "" and original is None)
