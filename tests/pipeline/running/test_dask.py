"""``solvent repro --executor dask``: stages on a real Dask cluster, data through the remote.

One ``distributed.LocalCluster`` of two worker processes for the whole module (starting one
takes seconds); its workers' folders are outside every repo. The CLI runs as a subprocess and
connects to it with ``--scheduler-address``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import distributed  # the dev extra installs it: a broken install must fail, not skip
import pytest
from blake3 import blake3

from solvent.pipeline.planning.lock import read_lock
from tests.helpers import assert_user_error, commit_all, disk_state, solvent, solvent_ok
from tests.pipeline.running.test_execute import write

DEMO = Path(__file__).resolve().parents[3] / "demo" / "pipeline"
PY = sys.executable


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[str]:
    """The scheduler's address. Workers are spawned after the S3 endpoint and its credentials
    are in the environment, with this venv's python first on PATH (the demo says `python`).
    The scheduler gives up on a task at the first dead worker: Solvent's retry takes over."""
    import dask

    no_retry = {"distributed.scheduler.allowed-failures": 0}
    with pytest.MonkeyPatch.context() as mp, dask.config.set(no_retry):
        mp.setenv("PATH", f"{Path(PY).parent}{os.pathsep}{os.environ.get('PATH', '')}")
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None, local_directory=str(tmp_path_factory.mktemp("workers")),
            resources={"cpus": 1, "memory": 2e9}, silence_logs=40,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # health routes: any port
        ) as c:  # fmt: skip
            yield str(c.scheduler_address)


def dask(repo: Path, address: str, *args: str) -> str:
    return solvent_ok(repo, "repro", "--executor", "dask", "--scheduler-address", address, *args)


@pytest.fixture
def chain(repo: Path, tmp_path: Path) -> Path:
    """Two stages, a folder out and params, with a folder remote."""
    write(repo, "params.yaml", "n: 3\n")
    write(repo, "raw.txt", "raw\n")
    write(
        repo,
        "solvent.yaml",
        f"""\
        stages:
          split:
            cmd: mkdir -p parts && for i in $(seq ${{n}}); do cat raw.txt > parts/$i; done && echo split done
            deps: [raw.txt]
            params: [n]
            outs: [parts]
          count:
            cmd: ls parts | wc -l > count.txt && cat params.yaml && {PY} -c "print('counted')"
            deps: [parts]
            params: [n]
            outs: [count.txt]
        """,  # noqa: E501
    )
    solvent_ok(repo, "remote", "add", "--default", "store", str(tmp_path / "remote"))
    commit_all(repo, "pipeline")
    return repo


def test_stages_run_on_workers_and_the_lock_matches_a_local_run(
    chain: Path, cluster: str, tmp_path: Path
) -> None:
    local = tmp_path / "local"
    shutil.copytree(chain, local)
    solvent_ok(local, "repro")
    out = dask(chain, cluster)
    assert (chain / "solvent.lock").read_text() == (local / "solvent.lock").read_text()
    assert (chain / "count.txt").read_text().strip() == "3"
    assert sorted(os.listdir(chain / "parts")) == ["1", "2", "3"]
    # Logs come back with the stage's name in front, and into the log file.
    assert "split: split done" in out
    assert "count: counted" in out
    assert "count: n: 3" in out
    assert "counted" in (chain / ".solvent" / "logs" / "count.log").read_text()
    assert "Pipeline is up to date." in dask(chain, cluster)
    assert "Pipeline is up to date." in solvent_ok(chain, "repro")


def test_the_demo_pipeline_gives_the_same_lock_on_dask_as_locally(
    repo: Path, cluster: str, tmp_path: Path
) -> None:
    from demo.run_demo import load_wine_rows, write_csv

    for item in DEMO.iterdir():
        shutil.copy(item, repo / item.name)
    write_csv(repo / "data" / "raw" / "wine.csv", *load_wine_rows())
    solvent_ok(repo, "remote", "add", "--default", "store", str(tmp_path / "remote"))
    commit_all(repo, "demo")
    local = tmp_path / "local"
    shutil.copytree(repo, local)
    path = f"{Path(PY).parent}{os.pathsep}{os.environ['PATH']}"
    solvent_ok(local, "repro", env={"PATH": path})
    dask(repo, cluster)
    assert (repo / "solvent.lock").read_text() == (local / "solvent.lock").read_text()
    assert (repo / "metrics.json").read_bytes() == (local / "metrics.json").read_bytes()


def test_s3_remote_gives_the_same_lock(
    repo: Path, cluster: str, s3_bucket: str, tmp_path: Path
) -> None:
    write(repo, "in.txt", "hello\n")
    write(repo, "solvent.yaml", "stages:\n  up:\n    cmd: tr a-z A-Z < in.txt > up.txt\n"
                                "    deps: [in.txt]\n    outs: [up.txt]\n")  # fmt: skip
    commit_all(repo, "pipeline")
    local = tmp_path / "local"
    shutil.copytree(repo, local)
    solvent_ok(local, "repro")
    solvent_ok(repo, "remote", "add", "--default", "s3", s3_bucket)
    dask(repo, cluster)
    assert (repo / "solvent.lock").read_text() == (local / "solvent.lock").read_text()
    assert (repo / "up.txt").read_text() == "HELLO\n"


def test_a_worker_killed_during_a_stage_the_run_still_completes_with_nothing_partial(
    chain: Path, cluster: str, tmp_path: Path
) -> None:
    mark = tmp_path / "killed-once"
    write(chain, "solvent.yaml", f"""\
        stages:
          fragile:
            cmd: echo partial > out.txt && if [ ! -e {mark} ]; then touch {mark}; kill -9 $PPID; sleep 5; exit 1; fi; echo whole > out.txt
            outs: [out.txt]
        """)  # fmt: skip  # noqa: E501
    out = dask(chain, cluster)
    assert mark.exists(), "the stage never killed its worker"
    assert "fragile: [solvent] its worker died; retry 1 of 2 on another worker" in out
    assert (chain / "out.txt").read_text() == "whole\n"
    assert "fragile" in (chain / "solvent.lock").read_text()
    remote = tmp_path / "remote"
    names = [Path(d, f) for d, _s, files in os.walk(remote) for f in files]
    assert not [n for n in names if n.name.endswith(".tmp")]
    for name in names:  # every object is whole, and none holds the partial out
        assert blake3(name.read_bytes()).hexdigest() == name.parent.name + name.name
        assert name.read_bytes() != b"partial\n"


def test_no_download_leaves_outs_on_the_remote_and_pull_brings_them(
    chain: Path, cluster: str
) -> None:
    dask(chain, cluster, "--no-download")
    assert not (chain / "parts").exists()
    assert not (chain / "count.txt").exists()
    assert "count:" in (chain / "solvent.lock").read_text()
    solvent_ok(chain, "pull")
    assert (chain / "count.txt").read_text().strip() == "3"
    assert "Pipeline is up to date." in dask(chain, cluster)


def test_a_failing_stage_fails_with_its_log_and_later_stages_do_not_run(
    chain: Path, cluster: str
) -> None:
    write(chain, "solvent.yaml", """\
        stages:
          bad:
            cmd: echo about to fail && exit 3
            outs: [x.txt]
          after:
            cmd: cp x.txt y.txt
            deps: [x.txt]
            outs: [y.txt]
        """)  # fmt: skip
    proc = solvent(chain, "repro", "--executor", "dask", "--scheduler-address", cluster)
    assert proc.returncode == 1
    assert "command failed with exit code 3" in proc.stderr + proc.stdout
    assert "about to fail" in (chain / ".solvent" / "logs" / "bad.log").read_text()
    assert not (chain / "solvent.lock").exists()


def test_resources_map_to_worker_resources(chain: Path, cluster: str) -> None:
    write(chain, "solvent.yaml", """\
        stages:
          heavy:
            cmd: echo "threads $OMP_NUM_THREADS" > heavy.txt
            outs: [heavy.txt]
            resources: {cpus: 1, memory: 1GB}
          light:
            cmd: echo "threads $OMP_NUM_THREADS" > light.txt
            outs: [light.txt]
        """)  # fmt: skip
    dask(chain, cluster)
    assert (chain / "heavy.txt").read_text() == "threads 1\n"  # as many as it asked for
    if "OMP_NUM_THREADS" not in os.environ:  # not the one thread Dask gives its own tasks
        assert (chain / "light.txt").read_text() == "threads \n"


def test_a_stage_on_a_worker_is_told_what_dvc_tells_it(chain: Path, cluster: str) -> None:
    """DVC_STAGE, and DVC_ROOT: the root of the copy the stage runs in (its inputs are there)."""
    write(chain, "solvent.yaml", """\
        stages:
          where:
            cmd: echo "$DVC_STAGE" > where.txt && ls "$DVC_ROOT" >> where.txt
            deps: [raw.txt]
            outs: [where.txt]
        """)  # fmt: skip
    dask(chain, cluster)
    stage, *listing = (chain / "where.txt").read_text().splitlines()
    assert stage == "where"
    assert "raw.txt" in listing


def test_a_stage_no_worker_can_hold_is_an_error_before_anything_runs(
    chain: Path, cluster: str
) -> None:
    write(chain, "solvent.yaml", """\
        stages:
          small:
            cmd: echo ran > small.txt
            outs: [small.txt]
          huge:
            cmd: echo ran > huge.txt
            outs: [huge.txt]
            resources: {cpus: 2, gpus: 1}
        """)  # fmt: skip
    before = disk_state(chain)
    proc = solvent(chain, "repro", "--executor", "dask", "--scheduler-address", cluster)
    assert_user_error(proc, "stage 'huge' asks for 2 cpus, 1 gpus", "no worker")
    assert "--resources" in proc.stderr
    assert disk_state(chain) == before


@pytest.mark.parametrize(
    ("args", "env", "needles"),
    [
        (["--executor", "spark"], {}, ["unknown executor 'spark'"]),
        (["--executor", "dask", "--scheduler-address", "tcp://127.0.0.1:9"],
         {"SOLVENT_DASK_TIMEOUT": "1"}, ["cannot reach the Dask scheduler at tcp://127.0.0.1:9"]),
    ],
)  # fmt: skip
def test_bad_executor_input_is_one_error_line_and_changes_nothing(
    chain: Path, args: list[str], env: dict[str, str], needles: list[str]
) -> None:
    before = disk_state(chain)
    assert_user_error(solvent(chain, "repro", *args, env=env), *needles)
    assert disk_state(chain) == before


def test_dask_needs_a_remote(repo: Path) -> None:
    write(repo, "solvent.yaml", "stages:\n  a:\n    cmd: echo\n")
    before = disk_state(repo)
    proc = solvent(repo, "repro", "--executor", "dask")
    assert_user_error(proc, "the Dask executor moves data through a remote")
    assert disk_state(repo) == before


def test_without_the_extra_the_error_says_what_to_install(chain: Path, tmp_path: Path) -> None:
    fake = tmp_path / "fake" / "distributed"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('not installed')\n")
    proc = solvent(chain, "repro", "--executor", "dask", env={"PYTHONPATH": str(fake.parent)})
    assert_user_error(proc, "the Dask executor is not installed")
    assert "pip install 'solvent[dask]'" in proc.stderr


def test_the_executor_can_come_from_the_config(chain: Path, cluster: str) -> None:
    with (chain / ".solvent" / "config.local.toml").open("a") as f:
        f.write(f'[repro]\nexecutor = "dask"\nscheduler_address = "{cluster}"\n')
    solvent_ok(chain, "repro")
    assert "# on Dask worker" in (chain / ".solvent" / "logs" / "split.log").read_text()


def test_the_cli_does_not_import_dask_for_other_commands(repo: Path) -> None:
    code = "import sys; from solvent.cli import app; print('distributed' in sys.modules)"
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"


def test_without_an_address_a_local_cluster_runs_the_stages_outside_the_repo(
    chain: Path,
) -> None:
    out = solvent_ok(chain, "repro", "--executor", "dask", "--jobs", "2")
    assert "split: split done" in out
    assert (chain / "count.txt").read_text().strip() == "3"
    assert "# on Dask worker tcp://127.0.0.1:" in (chain / ".solvent/logs/split.log").read_text()
    assert not list(chain.glob("dask-*"))  # the workers' folders were elsewhere


def test_a_stage_that_keeps_killing_its_worker_fails_after_the_retries(
    chain: Path, cluster: str
) -> None:
    write(chain, "solvent.yaml", """\
        stages:
          doomed:
            cmd: echo partial > out.txt && kill -9 $PPID && sleep 5
            outs: [out.txt]
        """)  # fmt: skip
    proc = solvent(chain, "repro", "--executor", "dask", "--scheduler-address", cluster,
                   "--retries", "0")  # fmt: skip
    assert proc.returncode == 1
    assert "the Dask worker running it died 1 time(s)" in proc.stderr
    assert not (chain / "solvent.lock").exists()
    assert not (chain / "out.txt").exists()


def test_ctrl_c_stops_the_run_and_its_local_cluster_with_a_valid_lock(chain: Path) -> None:
    write(chain, "solvent.yaml", """\
        stages:
          fast:
            cmd: echo x > a.txt
            outs: [a.txt]
          slow:
            cmd: sleep 29.75 && echo y > b.txt
            outs: [b.txt]
        """)  # fmt: skip
    proc = subprocess.Popen(
        [PY, "-m", "solvent", "repro", "--executor", "dask", "--jobs", "2"], cwd=chain,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its own process group, as a terminal would give it
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not (chain / "solvent.lock").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    assert "Traceback" not in out  # the workers left Ctrl-C to Solvent
    assert sorted(read_lock(chain)) == ["fast"]
    still = [p for p in Path("/proc").glob("[0-9]*/cmdline") if b"29.75" in _read(p)]
    assert not still, "the stage's command outlived the run"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def test_experiments_run_their_stages_on_the_cluster(chain: Path, cluster: str) -> None:
    import json

    out = solvent_ok(chain, "exp", "run", "-S", "n=2,4", "-j", "2", "--executor", "dask",
                     "--scheduler-address", cluster, "--json")  # fmt: skip
    done = json.loads(out)
    assert [e["status"] for e in done] == ["done", "done"]
    four = next(e for e in done if e["overrides"] == {"n": 4})
    log = (chain / ".solvent" / "exps" / f"{four['exp_id']}.log").read_text()
    assert "split: split done" in log  # a line streamed back from a worker, stage-prefixed
    solvent_ok(chain, "exp", "apply", four["exp_id"])
    assert (chain / "count.txt").read_text().strip() == "4"
    runs = json.loads(solvent_ok(chain, "runs", "--json"))
    assert {r["stage"] for r in runs} >= {"split", "count"}  # recorded by each experiment


def test_experiments_on_dask_need_the_cluster_address(chain: Path) -> None:
    before = disk_state(chain)
    proc = solvent(chain, "exp", "run", "-S", "n=2", "--executor", "dask")
    assert_user_error(proc, "give its address")
    assert disk_state(chain) == before
