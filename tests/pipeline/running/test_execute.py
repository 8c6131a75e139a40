"""``solvent repro`` end to end: real subprocess stages in a real git repo."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from solvent.pipeline.planning.lock import read_lock
from tests.helpers import solvent, solvent_ok

PY = sys.executable


def write(root: Path, name: str, text: str) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(textwrap.dedent(text))


def stamp_cmd(name: str, out: str, seconds: float = 0.0, extra: str = "") -> str:
    """A stage command that records when it started and ended, then writes its out."""
    code = (
        f"import time,json; t=time.time(); time.sleep({seconds}); {extra}"
        f"open('{out}','w').write(json.dumps([t, time.time()]))"
    )
    return f'{PY} -c "{code}"'


@pytest.fixture
def chain(repo: Path) -> Path:
    write(repo, "params.yaml", "train:\n  lr: 0.1\n")
    write(repo, "raw.txt", "raw\n")
    write(
        repo,
        "solvent.yaml",
        f"""\
        stages:
          prepare:
            cmd: {stamp_cmd("prepare", "prepared.json")}
            deps: [raw.txt]
            outs: [prepared.json]
          train_a:
            cmd: {stamp_cmd("a", "a.json", 0.6)} --lr ${{train.lr}}
            deps: [prepared.json]
            params: [train.lr]
            outs: [a.json]
          train_b:
            cmd: {stamp_cmd("b", "b.json", 0.6)}
            deps: [prepared.json]
            outs: [b.json]
          evaluate:
            cmd: {stamp_cmd("e", "metrics.json")}
            deps: [a.json, b.json]
            metrics:
              - metrics.json:
                  cache: false
        """,
    )
    return repo


def interval(root: Path, out: str) -> tuple[float, float]:
    start, end = json.loads((root / out).read_text())
    return start, end


def test_independent_stages_run_at_the_same_time_and_dependents_after(chain: Path) -> None:
    solvent_ok(chain, "repro", "-j", "2")
    a, b = interval(chain, "a.json"), interval(chain, "b.json")
    assert a[0] < b[1] and b[0] < a[1], "train_a and train_b did not overlap"
    prep, ev = interval(chain, "prepared.json"), interval(chain, "metrics.json")
    assert prep[1] <= min(a[0], b[0]) and ev[0] >= max(a[1], b[1])
    lock = read_lock(chain)
    assert sorted(lock) == ["evaluate", "prepare", "train_a", "train_b"]
    assert lock["train_a"].params == {"params.yaml": {"train.lr": 0.1}}
    assert "--lr 0.1" in lock["train_a"].cmd[0]


def test_second_repro_runs_nothing_and_a_param_change_reruns_only_its_stages(chain: Path) -> None:
    solvent_ok(chain, "repro")
    out = solvent_ok(chain, "repro")
    assert "4 up to date" in out
    (chain / "params.yaml").write_text("train:\n  lr: 0.2\n")
    status = solvent_ok(chain, "status")
    assert "train_a: stale" in status and "param train.lr 0.1 → 0.2" in status
    assert "train_b" not in status
    out = solvent_ok(chain, "repro")
    assert "train_a: running (cmd changed; param train.lr 0.1 → 0.2)" in out
    assert "train_b: up to date" in out and "prepare: up to date" in out
    assert "evaluate: running (dep a.json changed)" in out


def test_dry_run_prints_what_would_run_and_changes_nothing(chain: Path) -> None:
    out = solvent_ok(chain, "repro", "--dry")
    assert "prepare: would run (never run)" in out
    assert "evaluate: would run" in out
    assert not (chain / "solvent.lock").exists() and not (chain / "prepared.json").exists()


def test_a_stage_that_does_not_write_its_out_fails(repo: Path) -> None:
    write(repo, "solvent.yaml", "stages:\n  lazy:\n    cmd: echo hi\n    outs: [never.txt]\n")
    proc = solvent(repo, "repro")
    assert proc.returncode == 1
    assert "did not write its out never.txt" in proc.stdout
    assert "resume with: solvent repro" in proc.stderr
    assert "lazy" not in read_lock(repo)


def test_failure_stops_new_stages_keep_going_runs_other_branches_and_rerun_resumes(
    chain: Path,
) -> None:
    yaml = (chain / "solvent.yaml").read_text()
    (chain / "solvent.yaml").write_text(
        yaml.replace("--lr ${train.lr}", "--lr ${train.lr} && exit 3")
    )
    proc = solvent(chain, "repro", "-j", "1")
    assert proc.returncode == 1
    assert "exit code 3" in proc.stdout
    lock = read_lock(chain)
    assert "train_a" not in lock and "evaluate" not in lock
    proc = solvent(chain, "repro", "-j", "1", "--keep-going")
    assert proc.returncode == 1
    assert "train_b" in read_lock(chain)
    assert "evaluate: skipped, upstream train_a failed" in proc.stdout
    (chain / "solvent.yaml").write_text(yaml)
    out = solvent_ok(chain, "repro")
    assert "prepare: up to date" in out and "train_b: up to date" in out
    assert "train_a: running" in out and "evaluate: running" in out


def test_outs_are_removed_before_a_run_unless_persist(repo: Path) -> None:
    write(repo, "solvent.yaml", """\
        stages:
          fresh:
            cmd: test ! -e fresh.txt && echo new > fresh.txt
            outs: [fresh.txt]
          kept:
            cmd: test -e kept.txt && echo more >> kept.txt
            outs:
              - kept.txt:
                  persist: true
        """)  # fmt: skip
    (repo / "fresh.txt").write_text("old\n")
    (repo / "kept.txt").write_text("old\n")
    solvent_ok(repo, "repro")
    assert (repo / "fresh.txt").read_text() == "new\n"
    assert (repo / "kept.txt").read_text() == "old\nmore\n"


def test_wdir_runs_the_command_there_and_paths_are_relative_to_it(repo: Path) -> None:
    write(repo, "sub/in.txt", "x\n")
    write(repo, "solvent.yaml", """\
        stages:
          copy:
            wdir: sub
            cmd: cp in.txt out.txt
            deps: [in.txt]
            outs: [out.txt]
        """)  # fmt: skip
    solvent_ok(repo, "repro")
    assert (repo / "sub/out.txt").read_text() == "x\n"
    assert [str(d.path) for d in read_lock(repo)["copy"].deps] == ["sub/in.txt"]


def test_run_cache_restores_outs_of_an_identical_earlier_run(chain: Path) -> None:
    solvent_ok(chain, "repro")
    first = (chain / "a.json").read_text()
    (chain / "params.yaml").write_text("train:\n  lr: 0.2\n")
    solvent_ok(chain, "repro")
    (chain / "params.yaml").write_text("train:\n  lr: 0.1\n")
    out = solvent_ok(chain, "repro")
    assert "train_a: restored from run-cache" in out
    assert (chain / "a.json").read_text() == first
    (chain / "params.yaml").write_text("train:\n  lr: 0.2\n")
    out = solvent_ok(chain, "repro", "--no-run-cache")
    assert "train_a: running" in out


def test_a_dep_that_changes_while_the_command_runs_fails_the_stage(repo: Path) -> None:
    write(repo, "in.txt", "before\n")
    write(repo, "solvent.yaml", """\
        stages:
          sneaky:
            cmd: echo after > in.txt && cp in.txt out.txt
            deps: [in.txt]
            outs: [out.txt]
        """)  # fmt: skip
    proc = solvent(repo, "repro")
    assert proc.returncode == 1
    assert "dep in.txt changed while the command ran" in proc.stdout
    assert "sneaky" not in read_lock(repo)


def test_a_missing_dep_that_no_stage_writes_is_a_clear_failure(repo: Path) -> None:
    write(repo, "solvent.yaml", "stages:\n  s:\n    cmd: cat nope.txt\n    deps: [nope.txt]\n")
    proc = solvent(repo, "repro")
    assert proc.returncode == 1
    assert "dep nope.txt missing: no stage writes it" in proc.stdout


def test_output_is_kept_in_a_log_file(repo: Path) -> None:
    write(repo, "solvent.yaml", "stages:\n  talk:\n    cmd: echo hello from the stage\n")
    assert "hello from the stage" in solvent_ok(repo, "repro")
    assert "hello from the stage" in (repo / ".solvent/logs/talk.log").read_text()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupting_repro_leaves_a_valid_lock_and_a_rerun_completes(repo: Path, sig: int) -> None:
    stages = "\n".join(
        f"  s{i}:\n    cmd: sleep 0.3 && echo {i} > o{i}.txt\n"
        + (f"    deps: [o{i - 1}.txt]\n" if i else "")
        + f"    outs: [o{i}.txt]"
        for i in range(6)
    )
    write(repo, "solvent.yaml", "stages:\n" + stages + "\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "solvent", "repro"],
        cwd=repo,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, as a terminal would give it
    )
    deadline = time.monotonic() + 30
    while not (repo / "o1.txt").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, sig)
    proc.wait(30)
    done = read_lock(repo)  # parses: the lock is never half written
    assert 0 < len(done) < 6
    out = solvent_ok(repo, "repro")
    assert "s0: up to date" in out
    assert sorted(read_lock(repo)) == [f"s{i}" for i in range(6)]
    assert all((repo / f"o{i}.txt").read_text() == f"{i}\n" for i in range(6))


def test_outs_are_cached_and_git_ignored(chain: Path) -> None:
    solvent_ok(chain, "repro")
    entry = read_lock(chain)["prepare"].outs[0]
    digest = entry.id.digest
    assert (chain / ".solvent/cache/blake3" / digest[:2] / digest[2:]).exists()
    ignored = (chain / ".gitignore").read_text().splitlines()
    assert "/prepared.json" in ignored and "/metrics.json" not in ignored


def test_each_line_of_a_string_cmd_runs_in_its_own_shell_as_in_dvc(repo: Path) -> None:
    write(repo, "solvent.yaml", """\
        stages:
          lines:
            cmd: |
              export FROM_LINE_ONE=1
              test -z "$FROM_LINE_ONE" && echo separate > out.txt
            outs: [out.txt]
        """)  # fmt: skip
    solvent_ok(repo, "repro")
    assert (repo / "out.txt").read_text() == "separate\n"


def test_a_stage_failing_before_its_command_stops_other_stages_without_keep_going(
    repo: Path,
) -> None:
    write(repo, "solvent.yaml", """\
        stages:
          a:
            cmd: cat nope.txt
            deps: [nope.txt]
          b:
            cmd: echo b > b.txt
            outs: [b.txt]
        """)  # fmt: skip
    proc = solvent(repo, "repro", "-j", "1")
    assert proc.returncode == 1
    assert not (repo / "b.txt").exists()


def test_persist_outs_are_never_restored_from_the_run_cache(repo: Path) -> None:
    write(repo, "solvent.yaml", """\
        stages:
          history:
            cmd: cat in.txt >> hist.txt
            deps: [in.txt]
            outs:
              - hist.txt:
                  persist: true
        """)  # fmt: skip
    for value in ("1", "2", "1"):
        (repo / "in.txt").write_text(value + "\n")
        out = solvent_ok(repo, "repro")
        assert "restored from run-cache" not in out
    assert (repo / "hist.txt").read_text() == "1\n2\n1\n"


def test_an_executable_out_keeps_its_mode_when_restored_from_the_run_cache(repo: Path) -> None:
    write(repo, "in.txt", "one\n")
    write(repo, "solvent.yaml", """\
        stages:
          tool:
            cmd: printf '#!/bin/sh\\necho hi\\n' > tool.sh && chmod +x tool.sh && cat in.txt
            deps: [in.txt]
            outs: [tool.sh]
        """)  # fmt: skip
    solvent_ok(repo, "repro")
    (repo / "in.txt").write_text("two\n")
    solvent_ok(repo, "repro")
    (repo / "in.txt").write_text("one\n")
    assert "restored from run-cache" in solvent_ok(repo, "repro")
    assert os.access(repo / "tool.sh", os.X_OK)
    assert "up to date" in solvent_ok(repo, "repro")


def test_checkout_restores_pipeline_outs_as_the_lock_records_them(chain: Path) -> None:
    solvent_ok(chain, "repro")
    first = (chain / "a.json").read_text()
    subprocess.run(["git", "add", "-A"], cwd=chain, check=True)
    subprocess.run(["git", "commit", "-qm", "v1"], cwd=chain, check=True)
    (chain / "params.yaml").write_text("train:\n  lr: 0.2\n")
    solvent_ok(chain, "repro")
    assert (chain / "a.json").read_text() != first

    (chain / "prepared.json").unlink()
    out = solvent_ok(chain, "checkout", "prepare")  # a stage name
    assert "prepared.json: 1 written" in out
    assert not (chain / "metrics.json").is_symlink()

    # As with dvc.lock: an old lock and a checkout bring back that run's outs.
    subprocess.run(["git", "checkout", "HEAD", "--", "solvent.lock"], cwd=chain, check=True)
    solvent_ok(chain, "checkout")
    assert (chain / "a.json").read_text() == first
    # The outs are v1's while params.yaml is still v2's: status says exactly that.
    assert "param train.lr 0.1 → 0.2" in solvent_ok(chain, "status")
