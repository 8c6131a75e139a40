"""Undeclared deps and outs: real stages traced by the audit hook and strace, judged by
``pipeline.access`` against the stage definition."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solvent.api import Repo
from solvent.pipeline.spec.model import Out, ParamRef, Stage
from solvent.pipeline.tracing.access import (
    AccessReport,
    Observed,
    Sighting,
    UndeclaredRead,
    judge,
    latest_access,
    repo_relative,
)
from solvent.pipeline.tracing.watch import (
    BOOT_DIR,
    Trace,
    parse_strace_line,
    python_only,
    strace_for,
    usable_strace,
)
from solvent.repo import RepoLayout
from solvent.runs.ledger import Ledger
from tests.helpers import solvent, solvent_ok

PY = sys.executable
needs_strace = pytest.mark.skipif(usable_strace() is None, reason="strace missing or not allowed")


def write(root: Path, name: str, text: str) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(textwrap.dedent(text))


def access_of(repo: Path, stage: str) -> dict[str, object]:
    ledger = Ledger(repo / ".solvent")
    try:
        return ledger.runs(stage)[-1].access
    finally:
        ledger.close()


def reads(doc: dict[str, object]) -> list[tuple[str, str | None, int | None]]:
    return [(d["path"], d["file"], d["line"]) for d in doc["undeclared_reads"]]  # type: ignore[attr-defined, index]


def writes(doc: dict[str, object]) -> list[str]:
    return [d["path"] for d in doc["undeclared_writes"]]  # type: ignore[attr-defined, index]


# -- end to end ---------------------------------------------------------------------------


def test_an_undeclared_read_is_reported_with_the_script_line(repo: Path) -> None:
    write(repo, "data/x.csv", "a,b\n1,2\n")
    write(repo, "data/extra.csv", "a,b\n3,4\n")
    write(repo, "src/train.py", """\
        import sys
        known = open("data/x.csv").read()
        extra = open("data/extra.csv").read()
        open("model.txt", "w").write(known + extra)
        """)  # fmt: skip
    write(repo, "solvent.yaml", f"""\
        stages:
          train:
            cmd: {PY} src/train.py
            deps: [data/x.csv]
            outs: [model.txt]
        """)  # fmt: skip
    out = solvent_ok(repo, "repro", env={"SOLVENT_TRACE": "audit"})
    assert "reads data/extra.csv (at src/train.py:3), which is not a declared dep" in out
    assert "add `- data/extra.csv` to deps of stage train in solvent.yaml" in out
    doc = access_of(repo, "train")
    assert doc["tracer"] == "audit"
    assert reads(doc) == [("data/extra.csv", "src/train.py", 3)]
    assert writes(doc) == []


def test_a_read_through_pandas_points_at_the_users_line(repo: Path) -> None:
    write(repo, "data/extra.csv", "a,b\n3,4\n")
    write(repo, "train.py", """\
        import pandas as pd

        def load():
            return pd.read_csv("data/extra.csv")

        load().to_csv("model.csv")
        """)  # fmt: skip
    write(repo, "solvent.yaml", f"stages:\n  train:\n    cmd: {PY} train.py\n"
                                "    outs: [model.csv]\n")  # fmt: skip
    solvent_ok(repo, "repro", env={"SOLVENT_TRACE": "audit"})
    assert reads(access_of(repo, "train")) == [("data/extra.csv", "train.py", 4)]


def test_an_undeclared_write_is_reported_and_temp_files_are_not(repo: Path) -> None:
    write(repo, "make.py", """\
        import os, tempfile
        open("out.txt", "w").write("x")
        open("stray.txt", "w").write("y")
        open("scratch.tmp", "w").write("gone soon")
        os.remove("scratch.tmp")
        with open("model.part", "w") as f:
            f.write("m")
        os.replace("model.part", "model.bin")
        with tempfile.NamedTemporaryFile(dir=".") as t:
            t.write(b"temp")
        """)  # fmt: skip
    write(repo, "solvent.yaml", f"stages:\n  make:\n    cmd: {PY} make.py\n"
                                "    outs: [out.txt, model.bin]\n")  # fmt: skip
    out = solvent_ok(repo, "repro")
    assert "writes stray.txt (at make.py:3), which is not a declared out" in out
    assert writes(access_of(repo, "make")) == ["stray.txt"]


def test_declared_deps_folders_params_code_and_outs_are_no_finding(repo: Path) -> None:
    write(repo, "params.yaml", "train:\n  lr: 0.1\n")
    write(repo, "data/raw/a.csv", "a\n1\n")
    write(repo, "data/raw/b.csv", "a\n2\n")
    write(repo, "helpers.py", "def double(x):\n    return 2 * x\n")
    write(repo, "train.py", """\
        import os
        import helpers
        params = open("params.yaml").read()
        names = sorted(os.listdir("data/raw"))
        text = "".join(open(os.path.join("data/raw", n)).read() for n in names)
        open("model.txt", "w").write(text)
        open("model.txt").read()
        open(os.path.join("helpers.py")).read()
        """)  # fmt: skip
    write(repo, "solvent.yaml", f"""\
        stages:
          train:
            cmd: {PY} train.py
            deps: [data/raw]
            params: [train.lr]
            outs: [model.txt]
        """)  # fmt: skip
    for mode in ("auto", "full"):
        out = solvent_ok(repo, "repro", "--force", "--trace", mode)
        assert "not a declared" not in out
        doc = access_of(repo, "train")
        assert reads(doc) == [] and writes(doc) == []
    assert doc["tracer"] == ("audit+strace" if usable_strace() else "audit")


def test_paths_are_judged_from_the_repo_root_when_the_stage_has_a_wdir(repo: Path) -> None:
    write(repo, "data/x.csv", "a\n1\n")
    write(repo, "data/y.csv", "a\n2\n")
    write(repo, "sub/fit.py", """\
        text = open("../data/x.csv").read() + open("../data/y.csv").read()
        open("model.txt", "w").write(text)
        """)  # fmt: skip
    write(repo, "solvent.yaml", f"""\
        stages:
          fit:
            wdir: sub
            cmd: {PY} fit.py
            deps: [../data/x.csv]
            outs: [model.txt]
        """)  # fmt: skip
    solvent_ok(repo, "repro")
    assert reads(access_of(repo, "fit")) == [("data/y.csv", "sub/fit.py", 1)]


@needs_strace
def test_a_shell_stage_is_traced_by_strace(repo: Path) -> None:
    write(repo, "data/x.txt", "x\n")
    write(repo, "data/declared.txt", "d\n")
    write(repo, "solvent.yaml", """\
        stages:
          copy:
            cmd: cat data/x.txt data/declared.txt > out.txt && mv out.txt final.txt
            deps: [data/declared.txt]
            outs: [final.txt]
        """)  # fmt: skip
    out = solvent_ok(repo, "repro")
    assert "copy: reads data/x.txt, which is not a declared dep" in out
    doc = access_of(repo, "copy")
    assert doc["tracer"] == "audit+strace"
    assert reads(doc) == [("data/x.txt", None, None)]
    assert writes(doc) == []  # out.txt was renamed away; final.txt is declared


@needs_strace
def test_full_traces_what_a_python_stage_opens_outside_python(repo: Path) -> None:
    write(repo, "data/x.txt", "x\n")
    write(repo, "run.py", """\
        import subprocess
        subprocess.run(["cat", "data/x.txt"], check=True)
        open("out.txt", "w").write("done")
        """)  # fmt: skip
    write(repo, "solvent.yaml", f"stages:\n  run:\n    cmd: {PY} run.py\n    outs: [out.txt]\n")
    solvent_ok(repo, "repro")  # auto: a Python-only command gets the hook alone, blind to cat
    assert access_of(repo, "run")["tracer"] == "audit"
    assert reads(access_of(repo, "run")) == []
    solvent_ok(repo, "repro", "--force", "--trace", "full")
    assert access_of(repo, "run")["tracer"] == "audit+strace"
    assert reads(access_of(repo, "run")) == [("data/x.txt", None, None)]


def test_strict_deps_fails_the_stage_and_writes_no_lock_entry(repo: Path) -> None:
    write(repo, "data/extra.csv", "a\n1\n")
    write(repo, "train.py", 'open("model.txt", "w").write(open("data/extra.csv").read())\n')
    write(repo, "solvent.yaml", f"stages:\n  train:\n    cmd: {PY} train.py\n"
                                "    outs: [model.txt]\n")  # fmt: skip
    proc = solvent(repo, "repro", "--strict-deps")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "reads undeclared data/extra.csv (--strict-deps)" in proc.stdout + proc.stderr
    assert "deps/outs of stage train in solvent.yaml" in proc.stdout + proc.stderr
    assert not (repo / "solvent.lock").exists()
    ledger = Ledger(repo / ".solvent")
    assert [r.status for r in ledger.runs("train")] == ["failed"]
    ledger.close()
    # Declared, the same command passes the strict check.
    write(repo, "solvent.yaml", f"stages:\n  train:\n    cmd: {PY} train.py\n"
                                "    deps: [data/extra.csv]\n    outs: [model.txt]\n")  # fmt: skip
    solvent_ok(repo, "repro", "--strict-deps")
    assert "train" in (repo / "solvent.lock").read_text()


def test_the_users_own_sitecustomize_still_runs(repo: Path, tmp_path: Path) -> None:
    site = tmp_path / "usersite"
    write(site, "sitecustomize.py", "import os\nos.environ['FROM_USER_SITE'] = 'yes'\n")
    write(repo, "show.py", """\
        import os, sys
        open("out.txt", "w").write(os.environ.get("FROM_USER_SITE", "no"))
        """)  # fmt: skip
    write(repo, "solvent.yaml", f"stages:\n  show:\n    cmd: {PY} show.py\n    outs: [out.txt]\n")
    solvent_ok(repo, "repro", env={"PYTHONPATH": str(site)})
    assert (repo / "out.txt").read_text() == "yes"


def test_tracing_off_records_nothing(repo: Path) -> None:
    write(repo, "data/extra.csv", "a\n1\n")
    write(repo, "train.py", 'open("model.txt", "w").write(open("data/extra.csv").read())\n')
    write(repo, "solvent.yaml", f"stages:\n  train:\n    cmd: {PY} train.py\n"
                                "    outs: [model.txt]\n")  # fmt: skip
    write(repo, ".solvent/config.toml", '[repro]\ntrace = "off"\n')
    out = solvent_ok(repo, "repro", "--strict-deps")
    assert "not a declared" not in out
    assert access_of(repo, "train") == {}


def test_latest_access_judges_the_last_run_against_the_current_spec(repo: Path) -> None:
    write(repo, "data/extra.csv", "a\n1\n")
    write(repo, "train.py", 'open("model.txt", "w").write(open("data/extra.csv").read())\n')
    write(repo, "solvent.yaml", f"stages:\n  train:\n    cmd: {PY} train.py\n"
                                "    outs: [model.txt]\n")  # fmt: skip
    solvent_ok(repo, "repro")
    layout = RepoLayout(repo)

    def current() -> Stage:
        graph = Repo(repo).graph()
        assert graph is not None
        return graph.pipeline.stage("train")

    found = latest_access(layout, current())
    assert found is not None
    assert found.undeclared_reads == (UndeclaredRead("data/extra.csv", "train.py", 1),)
    write(repo, "solvent.yaml", f"stages:\n  train:\n    cmd: {PY} train.py\n"
                                "    deps: [data]\n    outs: [model.txt]\n")  # fmt: skip
    fixed = latest_access(layout, current())
    assert fixed is not None and not fixed.undeclared


def test_the_hook_never_breaks_a_program_when_the_trace_folder_is_gone(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(BOOT_DIR),
           "SOLVENT_TRACE_DIR": str(tmp_path / "missing")}  # fmt: skip
    proc = subprocess.run(
        [PY, "-c", "import os; open('f','w'); os.fork() or os._exit(0); print('ok')"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0 and "ok" in proc.stdout and proc.stderr == ""


def test_a_forked_child_that_leaves_through_os_exit_is_still_traced(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    trace.mkdir()
    env = {**os.environ, "PYTHONPATH": str(BOOT_DIR), "SOLVENT_TRACE_DIR": str(trace)}
    code = "import os\nif os.fork() == 0:\n    open('child.txt', 'w')\n    os._exit(0)\nos.wait()\n"
    subprocess.run([PY, "-c", code], cwd=tmp_path, env=env, check=True)
    from solvent.pipeline.tracing.watch import read_events

    events = read_events(Trace(trace, None), tmp_path)
    assert any(e.kind == "w" and e.path == str(tmp_path / "child.txt") for e in events)


# -- pure parts ---------------------------------------------------------------------------


def test_strace_lines_become_events() -> None:
    line = 'openat(AT_FDCWD</r>, "d/x.csv", O_RDONLY|O_CLOEXEC) = 3</r/d/x.csv>\n'
    event = parse_strace_line(line, "/r")
    assert event is not None and (event.kind, event.path, event.source) == ("r", "/r/d/x.csv",
                                                                              "strace")  # fmt: skip
    w = parse_strace_line(
        '123 openat(AT_FDCWD</r>, "o", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 4</r/o>', "/r"
    )
    assert w is not None and (w.kind, w.path) == ("w", "/r/o")
    mv = parse_strace_line(
        'renameat2(AT_FDCWD</r>, "a", AT_FDCWD</r>, "b c", RENAME_NOREPLACE) = 0', "/r"
    )
    assert mv is not None and (mv.kind, mv.path) == ("w", "/r/b c")
    old = parse_strace_line('rename("t.tmp", "sub/f.txt") = 0', "/job")
    assert old is not None and old.path == "/job/sub/f.txt"
    esc = parse_strace_line('openat(AT_FDCWD</r>, "\\303\\251", O_RDONLY) = 3</r/\\303\\251>', "/r")
    assert esc is not None and esc.path == "/r/é"
    assert (
        parse_strace_line('openat(AT_FDCWD</r>, "n", O_RDONLY) = -1 ENOENT (No such file)', "/r")
        is None
    )
    assert (
        parse_strace_line('openat(AT_FDCWD</r>, "d", O_RDONLY|O_DIRECTORY) = 3</r/d>', "/r") is None
    )
    assert parse_strace_line("+++ exited with 0 +++", "/r") is None


def test_only_commands_that_run_something_besides_python_need_strace() -> None:
    assert python_only("python train.py --lr 0.1")
    assert python_only("PYTHONHASHSEED=0 .venv/bin/python3.11 -m pkg.train && python eval.py")
    assert python_only(f"{PY} -c 'print(1)' | python sink.py")
    assert not python_only("python train.py > log.txt")  # the shell opens log.txt
    assert not python_only("python train.py < in.csv")
    assert not python_only("cat data.csv | python train.py")
    assert not python_only("./run.sh")
    assert not python_only("python $(cat which.txt)")
    assert strace_for("audit", ("cat x",)) is None
    assert strace_for("auto", ("python a.py",)) is None
    assert strace_for("auto", ("python a.py", "cat x")) == usable_strace()
    assert strace_for("full", ("python a.py",)) == usable_strace()


def stage(**kw: object) -> Stage:
    return Stage("train", ("python train.py",), PurePosixPath("."), **kw)  # type: ignore[arg-type]


def test_judge_covers_folders_params_code_and_own_outs() -> None:
    seen = Observed(
        reads=tuple(Sighting(p) for p in ("data/raw/a.csv", "params.yaml", "lib.py",
                                          "models/m.bin", "other.csv")),
        writes=(Sighting("models/m.bin"), Sighting("logs/run.txt")),
    )  # fmt: skip
    st_ = stage(
        deps=(PurePosixPath("data/raw"),),
        params=(ParamRef(PurePosixPath("params.yaml"), "a"),),
        outs=(Out(PurePosixPath("models")),),
    )
    report = judge(seen, st_, "audit", code=(PurePosixPath("lib.py"),))
    assert [s.path for s in report.undeclared_reads] == ["other.csv"]
    assert [s.path for s in report.undeclared_writes] == ["logs/run.txt"]
    again = AccessReport.from_json(report.to_json())
    assert again == report


def test_a_malformed_stored_report_is_dropped_not_trusted() -> None:
    bad = {"tracer": 3, "undeclared_reads": [{"path": 1}, "x", {"path": "ok", "line": "2"}]}
    assert AccessReport.from_json(bad) == AccessReport("3", (UndeclaredRead("ok", None, None),))


ROOT = "/work/repo"
segment = st.sampled_from(["a", "b", "..", ".", "", "repo", "work", "x.csv"])


@given(st.lists(segment, max_size=8))
def test_repo_relative_never_leaves_the_repo(parts: list[str]) -> None:
    path = "/" + "/".join(parts)
    rel = repo_relative(path, (ROOT,))
    # POSIX keeps exactly two leading slashes ("//work"): the kernel reads them as one.
    norm = "/" + os.path.normpath(path).lstrip("/")
    if rel is not None:
        assert not rel.is_absolute() and ".." not in rel.parts and str(rel) != "."
        assert os.path.normpath(os.path.join(ROOT, str(rel))) == norm
    else:
        assert not norm.startswith(ROOT + "/") or norm == ROOT


def test_repo_relative_refuses_relative_paths_and_neighbours() -> None:
    assert repo_relative("//work/repo/a", (ROOT,)) == PurePosixPath("a")
    assert repo_relative("data/x", (ROOT,)) is None
    assert repo_relative("/work/repo2/x", (ROOT,)) is None
    assert repo_relative("/work/repo/../x", (ROOT,)) is None
    assert repo_relative("/work/repo/a/../b", (ROOT,)) == PurePosixPath("b")


@pytest.mark.parametrize(
    ("script", "usable"),
    [(None, False), ("#!/bin/sh\nexit 1\n", False), ("#!/bin/sh\nexit 0\n", True)],
    ids=["absent", "cannot-trace", "traces"],
)
def test_usable_strace_is_the_strace_on_path_only_when_its_probe_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str | None, usable: bool
) -> None:
    """No strace, one whose probe fails (ptrace forbidden) and one that works."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if script is not None:
        (bin_dir / "strace").write_text(script)
        (bin_dir / "strace").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    usable_strace.cache_clear()
    try:
        assert usable_strace() == (str(bin_dir / "strace") if usable else None)
    finally:
        usable_strace.cache_clear()
