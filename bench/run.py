#!/usr/bin/env python3
"""Benchmark Solvent against DVC.

Run from the repository root (``make bench``)::

    .venv/bin/python bench/run.py [--runs N] [--quick] [--only NAME...] [--workdir DIR]

Stdlib only. DVC is installed into its own venv (``bench/.venv-dvc``) on first use. Every
measured command runs in a throw-away git repository under the work dir; only the tool command
itself is timed (``time.perf_counter`` around ``subprocess.run``). Tools are run in alternation
(solvent, dvc, solvent, dvc, ...) and the median wall time of each is reported.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DVC_VENV = BENCH_DIR / ".venv-dvc"
RESULTS_JSON = BENCH_DIR / "results.json"

MIB = 1024 * 1024
CHUNK = 16 * MIB
SMALL_FILE_SIZE = 4096
N_SUBDIRS = 20
N_MODIFIED = 10
BACKDATE_S = 10.0
VERSION_REPEATS = 10
STDERR_SHOWN = 4000

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
GIT += ["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]


def log(msg: str = "") -> None:
    print(msg, flush=True)


# --------------------------------------------------------------------------------------------
# Running commands
# --------------------------------------------------------------------------------------------


class BenchError(Exception):
    """A setup step, a measured command or a sanity check failed."""


def run(cmd: Sequence[str | Path], cwd: Path, env: dict[str, str]) -> str:
    """Run an untimed helper command; return its stdout, raise BenchError on failure."""
    argv = [str(c) for c in cmd]
    try:
        proc = subprocess.run(
            argv,
            check=False,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
    except OSError as exc:
        raise BenchError(f"cannot run {' '.join(argv)}: {exc}") from exc
    if proc.returncode != 0:
        raise BenchError(
            f"`{' '.join(argv)}` exited {proc.returncode} (in {cwd})\n"
            f"{(proc.stderr + proc.stdout).strip()[-STDERR_SHOWN:]}"
        )
    return proc.stdout


def timed(cmd: Sequence[str], cwd: Path, env: dict[str, str], stderr_file: Path) -> float:
    """Time one command; stdout goes to ``out`` beside ``stderr_file`` (the checks read it),
    stderr to ``stderr_file`` (read back on failure)."""
    with stderr_file.open("wb") as err, (stderr_file.parent / "out").open("wb") as out:
        try:
            start = time.perf_counter()
            proc = subprocess.run(
                cmd,
                check=False,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
            elapsed = time.perf_counter() - start
        except OSError as exc:
            raise BenchError(f"cannot run {' '.join(cmd)}: {exc}") from exc
    if proc.returncode != 0:
        text = stderr_file.read_text(errors="replace").strip()[-STDERR_SHOWN:]
        raise BenchError(f"`{' '.join(cmd)}` exited {proc.returncode} (in {cwd})\n{text}")
    return elapsed


def rmtree(path: Path) -> None:
    """Remove a tree, also when a tool left read-only files or directories behind."""

    def onerror(func: Callable[..., Any], p: str, _exc: Any) -> None:
        with contextlib.suppress(FileNotFoundError):  # already gone: nothing to do
            os.chmod(p, 0o700)
            parent = os.path.dirname(p)
            if parent:
                os.chmod(parent, 0o700)
            func(p)

    if path.exists():
        shutil.rmtree(path, onerror=onerror)


# --------------------------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------------------------


@dataclass
class Tool:
    """How to drive one tool. Subclasses know the tool's repository setup."""

    name: str
    exe: Path
    env: dict[str, str]
    pointer_suffix: str
    available: bool = True
    unavailable_reason: str = ""

    def argv(self, *args: str) -> list[str]:
        return [str(self.exe), *args]

    def init_repo(self, repo: Path, scratch: Path) -> None:
        raise NotImplementedError

    def add(self, target: str) -> list[str]:
        return self.argv("add", target)

    def status(self) -> list[str]:
        return self.argv("status")

    def checkout(self, target: str) -> list[str]:
        raise NotImplementedError

    def version(self) -> list[str]:
        return self.argv("--version")

    def repro(self, jobs: int | None = None) -> list[str]:
        return self.argv("repro", *(["-j", str(jobs)] if jobs else []))

    def remote_add(self, path: Path) -> list[str]:
        return self.argv("remote", "add", "--default", "origin", str(path))

    def remote_set_url(self, path: Path) -> list[str]:
        return self.argv("remote", "add", "--force", "--default", "origin", str(path))

    cache_dir = ".solvent/cache"
    endpoint_option = "endpoint_url"

    def help(self) -> list[str]:
        return self.argv("--help")

    def pointer(self, repo: Path, target: str) -> Path:
        return repo / f"{target}{self.pointer_suffix}"

    def version_string(self) -> str | None:
        if not self.available:
            return None
        try:
            return run(self.version(), cwd=ROOT, env=self.env).strip() or None
        except BenchError:
            return None


class Solvent(Tool):
    def init_repo(self, repo: Path, scratch: Path) -> None:
        run(self.argv("init"), cwd=repo, env=self.env)

    def checkout(self, target: str) -> list[str]:
        return self.argv("checkout", target)  # data path; solvent also accepts the pointer


class Dvc(Tool):
    def init_repo(self, repo: Path, scratch: Path) -> None:
        run(self.argv("init", "--quiet"), cwd=repo, env=self.env)
        settings = {
            "core.analytics": "false",
            "core.autostage": "false",
            "core.check_update": "false",
            # Keep DVC's state/index db inside the run dir (default: /var/tmp/dvc/...), so it
            # is deleted with the run. Same disk as the repo, so no speed difference.
            "core.site_cache_dir": str(scratch / "dvc-site-cache"),
        }
        for key, value in settings.items():
            run(self.argv("config", "--local", key, value), cwd=repo, env=self.env)

    def add(self, target: str) -> list[str]:
        return self.argv("add", "--quiet", target)

    def checkout(self, target: str) -> list[str]:
        return self.argv("checkout", "--quiet", f"{target}{self.pointer_suffix}")

    def repro(self, jobs: int | None = None) -> list[str]:
        return self.argv("repro", "--quiet")  # DVC runs stages one after another: no -j

    def remote_add(self, path: Path) -> list[str]:
        return self.argv("remote", "add", "--default", "origin", str(path))

    def remote_set_url(self, path: Path) -> list[str]:
        return self.argv("remote", "modify", "origin", "url", str(path))

    cache_dir = ".dvc/cache"
    endpoint_option = "endpointurl"


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(GIT_ENV)
    # Both tools run as installed, with compiled bytecode. DVC's came with pip install; with
    # this set, an editable Solvent would compile every module from source on each run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def make_solvent(exe: Path) -> Solvent:
    tool = Solvent("solvent", exe, base_env(), ".solvent")
    if not exe.exists():
        tool.available = False
        tool.unavailable_reason = f"{exe} does not exist"
    return tool


def ensure_dvc() -> Dvc:
    exe = DVC_VENV / "bin" / "dvc"
    if not exe.exists():
        log(f"Installing DVC into {DVC_VENV} (one-time, takes a few minutes) ...")
        py = DVC_VENV / "bin" / "python"
        if not py.exists():
            subprocess.run([sys.executable, "-m", "venv", str(DVC_VENV)], check=True)
        subprocess.run(
            [str(py), "-m", "pip", "install", "--disable-pip-version-check", "dvc[s3]"],
            check=True,
        )
    elif not list((DVC_VENV / "lib").glob("python*/site-packages/dvc_s3")):
        log("Installing DVC's S3 support (dvc-s3) ...")
        subprocess.run(
            [str(DVC_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "dvc-s3"], check=True
        )
    env = base_env()
    env["DVC_NO_ANALYTICS"] = "1"
    return Dvc("dvc", exe, env, ".dvc")


# --------------------------------------------------------------------------------------------
# Test data
# --------------------------------------------------------------------------------------------


@dataclass
class Data:
    root: Path
    big_mib: int
    n_files: int
    files: list[str] = field(default_factory=list)  # paths relative to root, sorted

    @property
    def big(self) -> Path:
        return self.root / "big.bin"

    @property
    def folder(self) -> Path:
        return self.root / "files"


def build_data(workdir: Path, big_mib: int, n_files: int) -> Data:
    data = Data(workdir / f"data-{big_mib}m-{n_files}", big_mib, n_files)
    marker = data.root / ".complete"
    per_dir = n_files // N_SUBDIRS
    names = [f"files/d{d:02d}/f{i:04d}.bin" for d in range(N_SUBDIRS) for i in range(per_dir)]
    data.files = sorted(names)
    if marker.exists():
        log(f"Reusing test data in {data.root}")
        return data
    log(f"Building test data in {data.root}: {big_mib} MiB file + {n_files} x 4 KiB files ...")
    rmtree(data.root)
    data.root.mkdir(parents=True)
    start = time.perf_counter()
    with data.big.open("wb") as fh:
        remaining = big_mib * MIB
        while remaining > 0:
            chunk = min(CHUNK, remaining)
            fh.write(os.urandom(chunk))
            remaining -= chunk
    for d in range(N_SUBDIRS):
        (data.folder / f"d{d:02d}").mkdir(parents=True)
    for name in names:
        (data.root / name).write_bytes(os.urandom(SMALL_FILE_SIZE))
    # Backdate everything so that no tool sees "racy" mtimes equal to its own clock.
    past = time.time() - BACKDATE_S
    for dirpath, dirnames, filenames in os.walk(data.root):
        for n in (*filenames, *dirnames):
            os.utime(os.path.join(dirpath, n), (past, past))
    os.utime(data.root, (past, past))
    marker.write_text(json.dumps({"big_mib": big_mib, "n_files": n_files}) + "\n")
    log(f"  built in {time.perf_counter() - start:.1f} s")
    return data


def copy_in(src: Path, repo: Path) -> None:
    """``cp -r`` (keeping the backdated mtimes: a plain copy would stamp them 'now')."""
    run(["cp", "-r", "--preserve=timestamps", src, repo / src.name], cwd=repo, env=base_env())


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------


@dataclass
class Ctx:
    """One tool's repository within a case."""

    tool: Tool
    data: Data
    scratch: Path  # per-repo scratch dir, deleted afterwards
    repo: Path
    run_index: int = 0
    saved: dict[str, str] = field(default_factory=dict)


Step = Callable[[Ctx], None]


@dataclass(frozen=True)
class Target:
    kind: str  # "ratio": dvc/solvent >= value; "abs": solvent median < value seconds
    value: float

    def describe(self) -> str:
        if self.kind == "ratio":
            return f">={self.value:g}x"
        return f"<{self.value:g} s"

    def verdict(self, solvent: float | None, dvc: float | None) -> str:
        if solvent is None or (self.kind == "ratio" and dvc is None):
            return "n/a"
        if self.kind == "ratio":
            assert dvc is not None
            return "PASS" if dvc / solvent >= self.value else "MISS"
        return "PASS" if solvent < self.value else "MISS"


@dataclass(frozen=True)
class Case:
    name: str
    summary: str
    command: Callable[[Tool], list[str]]
    prepare: Step | None = None  # untimed, once per repository
    before: Step | None = None  # untimed, before each timed run
    after: Step | None = None  # untimed, after each timed run (checks / re-sync)
    shared: bool = False  # one repository for all runs of a tool (else a fresh one per run)
    needs_repo: bool = True  # False: run in an empty directory
    tools: tuple[str, ...] = ("solvent", "dvc")
    repeats: int | None = None  # fixed number of runs (ignores --runs)
    delete_after_run: bool = False  # delete the run dir at once (else when all cases are done)
    target: Target | None = None


def git_commit(ctx: Ctx, message: str) -> None:
    """Commit everything except the data itself (pointer files, .gitignore, tool config)."""
    listing = run(
        [*GIT, "ls-files", "-z", "--others", "--modified", "--deleted", "--exclude-standard"],
        cwd=ctx.repo,
        env=ctx.tool.env,
    )
    data_roots = ("files", "big.bin")
    paths = sorted({p for p in listing.split("\0") if p and p.split("/")[0] not in data_roots})
    if paths:
        run([*GIT, "add", "--all", "--", *paths], cwd=ctx.repo, env=ctx.tool.env)
    run([*GIT, "commit", "-q", "--allow-empty", "-m", message], cwd=ctx.repo, env=ctx.tool.env)


def copy_big(ctx: Ctx) -> None:
    copy_in(ctx.data.big, ctx.repo)


def copy_folder(ctx: Ctx) -> None:
    copy_in(ctx.data.folder, ctx.repo)


def add_folder_and_commit(ctx: Ctx) -> None:
    copy_folder(ctx)
    run(ctx.tool.add("files"), cwd=ctx.repo, env=ctx.tool.env)
    check_pointer("files")(ctx)
    git_commit(ctx, "add files")


def modified_files(ctx: Ctx) -> list[Path]:
    """N_MODIFIED files spread over the folder; different ones on each run of a repository."""
    n = len(ctx.data.files)
    stride = n // N_MODIFIED
    picks = {(k * stride + ctx.run_index) % n for k in range(N_MODIFIED)}
    return [ctx.repo / ctx.data.files[i] for i in sorted(picks)]


def modify_files(ctx: Ctx) -> None:
    """Rewrite 10 files with new random bytes of the same size.

    Written to a temp file and renamed over the original (as editors do), so a tool that links
    workspace files to its cache cannot have its cache corrupted. The new mtime is 5 s in the
    past: distinct from the recorded one, and not 'racy' against the tool's clock.
    """
    when = time.time() - BACKDATE_S / 2
    for path in modified_files(ctx):
        tmp = path.with_name(path.name + ".bench-tmp")
        tmp.write_bytes(os.urandom(SMALL_FILE_SIZE))
        os.utime(tmp, (when, when))
        os.replace(tmp, path)


def check_pointer(target: str) -> Step:
    def check(ctx: Ctx) -> None:
        pointer = ctx.tool.pointer(ctx.repo, target)
        if not pointer.is_file():
            raise BenchError(f"sanity check: {pointer.name} was not written")

    return check


def save_pointer(ctx: Ctx) -> None:
    ctx.saved["pointer"] = ctx.tool.pointer(ctx.repo, "files").read_text()


def check_pointer_changed(ctx: Ctx) -> None:
    check_pointer("files")(ctx)
    if ctx.tool.pointer(ctx.repo, "files").read_text() == ctx.saved.get("pointer"):
        raise BenchError("sanity check: files pointer unchanged after re-adding modified files")


def modify_and_save(ctx: Ctx) -> None:
    modify_files(ctx)
    save_pointer(ctx)


def readd_folder(ctx: Ctx) -> None:
    run(ctx.tool.add("files"), cwd=ctx.repo, env=ctx.tool.env)


def remove_folder(ctx: Ctx) -> None:
    """Take `files` out of the workspace. A rename, not `rm -rf`: see `cleanup` for why."""
    os.rename(ctx.repo / "files", ctx.scratch / "files-removed")


def check_folder_restored(ctx: Ctx) -> None:
    """Every file of the data set is back, byte for byte."""
    count = sum(len(names) for _, _, names in os.walk(ctx.repo / "files"))
    if count != ctx.data.n_files:
        raise BenchError(f"sanity check: {count} files after checkout, expected {ctx.data.n_files}")
    source = ctx.data.folder
    for folder, _dirs, names in os.walk(source):
        for name in names:
            path = Path(folder, name)
            rel = path.relative_to(source)
            if (ctx.repo / "files" / rel).read_bytes() != path.read_bytes():
                raise BenchError(f"sanity check: files/{rel} differs after checkout")


def last_output(ctx: Ctx) -> str:
    return (ctx.scratch / "out").read_text(errors="replace")


def check_status(clean: bool) -> Step:
    """The timed status said what is true: up to date, or that ``files`` was modified."""

    def check(ctx: Ctx) -> None:
        out = last_output(ctx)
        said_clean = "up to date" in out
        if clean and not said_clean:
            raise BenchError(f"sanity check: status did not say up to date:\n{out[-500:]}")
        if not clean and (said_clean or "modified" not in out):
            raise BenchError(f"sanity check: status missed the rewritten files:\n{out[-500:]}")

    return check


def check_status_changed_then_readd(ctx: Ctx) -> None:
    check_status(clean=False)(ctx)
    readd_folder(ctx)


def check_remote_holds_folder(ctx: Ctx) -> None:
    """A push left at least one object per file of the folder on the remote."""
    remote = ctx.scratch / f"remote-{ctx.run_index}"  # where fresh_remote pointed origin
    count = sum(len(names) for _, _, names in os.walk(remote))
    if count < ctx.data.n_files:
        raise BenchError(f"sanity check: {count} objects on the remote after push")


def build_cases() -> list[Case]:
    return data_cases() + pipeline_cases() + transfer_cases()


def data_cases() -> list[Case]:
    return [
        Case(
            "version",
            "`--version`",
            command=lambda t: t.version(),
            shared=True,
            needs_repo=False,
            repeats=VERSION_REPEATS,
            target=Target("abs", 0.1),
        ),
        Case(
            "help",
            "`--help` (solvent only)",
            command=lambda t: t.help(),
            shared=True,
            needs_repo=False,
            tools=("solvent",),
            repeats=VERSION_REPEATS,
            target=Target("abs", 0.1),
        ),
        Case(
            "add-1g",
            "add the big file (fresh repo per run)",
            command=lambda t: t.add("big.bin"),
            before=copy_big,
            after=check_pointer("big.bin"),
            delete_after_run=True,  # 2+ GiB per run, but few files
            target=Target("ratio", 5),
        ),
        Case(
            "add-20k",
            "add the folder of small files (fresh repo per run)",
            command=lambda t: t.add("files"),
            before=copy_folder,
            after=check_pointer("files"),
            target=Target("ratio", 4),
        ),
        Case(
            "status-noop",
            "status after adding the folder, nothing changed",
            command=lambda t: t.status(),
            prepare=add_folder_and_commit,
            after=check_status(clean=True),
            shared=True,
            target=Target("ratio", 8),
        ),
        Case(
            "status-10",
            "status after modifying 10 files (re-added untimed after each run)",
            command=lambda t: t.status(),
            prepare=add_folder_and_commit,
            before=modify_files,
            after=check_status_changed_then_readd,
            shared=True,
        ),
        Case(
            "readd-10",
            "add the folder again after modifying 10 files",
            command=lambda t: t.add("files"),
            prepare=add_folder_and_commit,
            before=modify_and_save,
            after=check_pointer_changed,
            shared=True,
            target=Target("ratio", 8),
        ),
        Case(
            "checkout-20k",
            "checkout the folder after removing it (fresh repo per run)",
            command=lambda t: t.checkout("files"),
            prepare=add_folder_and_commit,
            before=remove_folder,
            after=check_folder_restored,
        ),
    ]


# --------------------------------------------------------------------------------------------
# Pipelines: the same dvc.yaml run by both tools (Solvent runs a plain dvc.yaml as is)
# --------------------------------------------------------------------------------------------

N_FANOUT = 8
N_CHAIN = 100


def write_dvc_yaml(ctx: Ctx, stages: dict[str, dict[str, Any]]) -> None:
    (ctx.repo / "dvc.yaml").write_text(json.dumps({"stages": stages}, indent=1))
    git_commit(ctx, "pipeline")


def fanout_stages(work: str) -> dict[str, dict[str, Any]]:
    stages: dict[str, dict[str, Any]] = {}
    for i in range(N_FANOUT):
        stages[f"work{i}"] = {"cmd": work.format(out=f"o{i}.txt"), "outs": [f"o{i}.txt"]}
    outs = [f"o{i}.txt" for i in range(N_FANOUT)]
    stages["join"] = {"cmd": f"cat {' '.join(outs)} > joined.txt", "deps": outs,
                      "outs": ["joined.txt"]}  # fmt: skip
    return stages


# One line: DVC runs each line of a string cmd as its own command.
BURN_CMD = (
    f'{sys.executable} -c "import time; t = time.process_time(); '
    "[0 for _ in iter(lambda: time.process_time() - t < 1, False)]; "
    "open('{out}', 'w').write('x')\""
)
SLEEP_CMD = "sleep 1 && echo x > {out}"


def fanout_cpu(ctx: Ctx) -> None:
    write_dvc_yaml(ctx, fanout_stages(BURN_CMD))


def fanout_sleep(ctx: Ctx) -> None:
    write_dvc_yaml(ctx, fanout_stages(SLEEP_CMD))


def chain(ctx: Ctx) -> None:
    stages: dict[str, dict[str, Any]] = {}
    for i in range(N_CHAIN):
        stage: dict[str, Any] = {"cmd": f"echo {i} > c{i}.txt", "outs": [f"c{i}.txt"]}
        if i:
            stage["cmd"] += f" && cat c{i - 1}.txt >> c{i}.txt"
            stage["deps"] = [f"c{i - 1}.txt"]
        stages[f"s{i}"] = stage
    write_dvc_yaml(ctx, stages)


def chain_done(ctx: Ctx) -> None:
    chain(ctx)
    run(ctx.tool.repro(), cwd=ctx.repo, env=ctx.tool.env)


def big_dep_done(ctx: Ctx) -> None:
    copy_folder(ctx)
    stage = {"cmd": "ls -R files | wc -l > count.txt", "deps": ["files"], "outs": ["count.txt"]}
    write_dvc_yaml(ctx, {"count": stage})
    run(ctx.tool.repro(), cwd=ctx.repo, env=ctx.tool.env)


def check_lock(ctx: Ctx) -> None:
    """The lock records every stage of the pipeline, and every stage's outs exist."""
    lock = "solvent.lock" if ctx.tool.name == "solvent" else "dvc.lock"
    if not (ctx.repo / lock).is_file():
        raise BenchError(f"sanity check: {lock} was not written")
    stages = json.loads((ctx.repo / "dvc.yaml").read_text())["stages"]
    locked = yaml.safe_load((ctx.repo / lock).read_text()).get("stages", {})
    if set(locked) != set(stages):
        missing = sorted(set(stages) - set(locked))
        raise BenchError(f"sanity check: {lock} lacks stages {missing[:5]}")
    for name, stage in stages.items():
        for out in stage["outs"]:
            if not (ctx.repo / out).is_file():
                raise BenchError(f"sanity check: stage {name}'s out {out} is missing")


def with_remote(ctx: Ctx) -> None:
    """A new, empty folder remote for each run."""
    remote = ctx.scratch / f"remote-{ctx.run_index}"
    run(ctx.tool.remote_add(remote), cwd=ctx.repo, env=ctx.tool.env)


def pushed(ctx: Ctx) -> None:
    add_folder_and_commit(ctx)
    with_remote(ctx)
    run(ctx.tool.argv("push"), cwd=ctx.repo, env=ctx.tool.env)


def lose_workspace_and_cache(ctx: Ctx) -> None:
    """What a fresh clone has: the pointer files, no data, no cache. Renamed, not deleted."""
    for rel in ("files", ctx.tool.cache_dir):
        os.rename(ctx.repo / rel, ctx.scratch / f"{rel.replace('/', '_')}-{time.time_ns()}")


def transfer_cases() -> list[Case]:
    return [
        Case("push-20k", "push the 20k-file folder to an empty folder remote",
             command=lambda t: t.argv("push"), prepare=add_folder_and_commit,
             before=fresh_remote, after=check_remote_holds_folder, shared=True,
             target=Target("ratio", 4)),
        Case("pull-20k", "pull the 20k-file folder with no data and no cache (as a fresh clone)",
             command=lambda t: t.argv("pull"), prepare=pushed, before=lose_workspace_and_cache,
             after=check_folder_restored, shared=True, target=Target("ratio", 4)),
        Case("push-20k-s3", "push the 20k-file folder to an empty bucket (moto S3 on 127.0.0.1)",
             command=lambda t: t.argv("push"), prepare=add_folder_and_commit,
             before=fresh_s3_remote, shared=True, repeats=S3_RUNS),
        Case("pull-20k-s3", "pull the 20k-file folder from that bucket, no data and no cache",
             command=lambda t: t.argv("pull"), prepare=pushed_s3, before=lose_workspace_and_cache,
             after=check_folder_restored, shared=True, repeats=S3_RUNS),
    ]  # fmt: skip


S3_RUNS = 1  # moto serves about 400 requests a second: one 20k-object transfer takes a minute


# -- the same transfers to S3, served on 127.0.0.1 by moto (as in the tests) ---------------

_s3: dict[str, Any] = {}


def s3_endpoint() -> str:
    """Start moto's S3 server once for the whole benchmark (stopped at exit)."""
    if "url" not in _s3:
        sys.path.insert(0, str(ROOT))
        from tests.s3server import CREDENTIALS, moto_server

        server = moto_server()
        _s3["url"], _s3["server"], _s3["credentials"] = server.__enter__(), server, CREDENTIALS
        atexit.register(server.__exit__, None, None, None)
    return str(_s3["url"])


def fresh_s3_remote(ctx: Ctx) -> None:
    """A new, empty bucket as origin before each run."""
    import boto3

    endpoint = s3_endpoint()
    ctx.tool.env.update(_s3["credentials"])
    bucket = f"bench-{ctx.tool.name}-{time.time_ns()}"
    boto3.client("s3", endpoint_url=endpoint, **_boto_keys()).create_bucket(Bucket=bucket)
    tool = ctx.tool
    if ctx.saved.get("remote"):
        run(tool.argv("remote", "modify", "origin", "url", f"s3://{bucket}"), ctx.repo, tool.env)
    else:
        run(tool.argv("remote", "add", "--default", "origin", f"s3://{bucket}"), ctx.repo, tool.env)
        run(tool.argv("remote", "modify", "origin", tool.endpoint_option, endpoint), ctx.repo,
            tool.env)  # fmt: skip
        ctx.saved["remote"] = bucket


def _boto_keys() -> dict[str, str]:
    keys = _s3["credentials"]
    return {
        "aws_access_key_id": keys["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": keys["AWS_SECRET_ACCESS_KEY"],
        "region_name": keys["AWS_DEFAULT_REGION"],
    }


def pushed_s3(ctx: Ctx) -> None:
    add_folder_and_commit(ctx)
    fresh_s3_remote(ctx)
    run(ctx.tool.argv("push"), cwd=ctx.repo, env=ctx.tool.env)


def fresh_remote(ctx: Ctx) -> None:
    """Point origin at a new, empty folder before each run."""
    remote = ctx.scratch / f"remote-{ctx.run_index}"
    if ctx.saved.get("remote"):
        run(ctx.tool.remote_set_url(remote), cwd=ctx.repo, env=ctx.tool.env)
    else:
        run(ctx.tool.remote_add(remote), cwd=ctx.repo, env=ctx.tool.env)
        ctx.saved["remote"] = str(remote)


def pipeline_cases() -> list[Case]:
    jobs = os.cpu_count() or 2
    return [
        Case("fanout-cpu", f"{N_FANOUT} stages burning 1 s of CPU + a join, -j {jobs}",
             command=lambda t: t.repro(jobs), prepare=fanout_cpu, after=check_lock,
             target=Target("ratio", 1.8)),
        Case("fanout-sleep", f"{N_FANOUT} stages sleeping 1 s + a join, -j {N_FANOUT}",
             command=lambda t: t.repro(N_FANOUT), prepare=fanout_sleep, after=check_lock,
             target=Target("ratio", 5)),
        Case("chain-clean", f"a chain of {N_CHAIN} trivial stages from clean",
             command=lambda t: t.repro(), prepare=chain, after=check_lock,
             target=Target("ratio", 5)),
        Case("chain-noop", f"repro of the {N_CHAIN}-stage chain, nothing changed",
             command=lambda t: t.repro(), prepare=chain_done, shared=True,
             target=Target("ratio", 5)),
        Case("chain-status", f"status of the {N_CHAIN}-stage chain, nothing changed",
             command=lambda t: t.status(), prepare=chain_done, shared=True,
             after=check_status(clean=True),
             target=Target("ratio", 5)),
        Case("dep20k-noop", "repro of a stage whose dep is the 20k-file folder, nothing changed",
             command=lambda t: t.repro(), prepare=big_dep_done, shared=True,
             target=Target("ratio", 5)),
    ]  # fmt: skip


# --------------------------------------------------------------------------------------------
# Running a case
# --------------------------------------------------------------------------------------------


@dataclass
class ToolResult:
    times: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def median(self) -> float | None:
        if self.error is not None or not self.times:
            return None
        return statistics.median(self.times)


def new_ctx(case: Case, tool: Tool, data: Data, runs_dir: Path, index: int) -> Ctx:
    scratch = runs_dir / f"{case.name}-{tool.name}-{index}"
    rmtree(scratch)
    repo = scratch / "repo"
    repo.mkdir(parents=True)
    ctx = Ctx(tool, data, scratch, repo)
    if case.needs_repo:
        run([*GIT, "init", "-q"], cwd=repo, env=tool.env)
        tool.init_repo(repo, scratch)
        git_commit(ctx, "init")
    if case.prepare is not None:
        case.prepare(ctx)
    return ctx


def cleanup(case: Case, ctx: Ctx) -> None:
    """Delete a run's scratch dir now only if it holds few files; the rest goes at the end.

    Deleting many files makes creating files slower for minutes afterwards on some filesystems
    (journal-less ext4 skips recently freed inodes: `recently_deleted()`), which would bias the
    next timed commands. So the 20k-file repos stay until all cases have run.
    """
    if case.delete_after_run:
        rmtree(ctx.scratch)
        os.sync()


def run_case(case: Case, tools: dict[str, Tool], data: Data, runs_dir: Path, runs: int) -> dict:
    n_runs = case.repeats or runs
    results = {name: ToolResult() for name in case.tools}
    shared: dict[str, Ctx] = {}
    log(f"\n== {case.name}: {case.summary} ({n_runs} runs each)")
    for name in case.tools:
        if not tools[name].available:
            results[name].error = f"not available: {tools[name].unavailable_reason}"
            log(f"  {name}: skipped ({results[name].error})")
    try:
        for i in range(n_runs):
            for name in case.tools:
                tool, res = tools[name], results[name]
                if res.error is not None:
                    continue
                ctx: Ctx | None = shared.get(name)
                setup_start = time.perf_counter()
                try:
                    if ctx is None:
                        ctx = new_ctx(case, tool, data, runs_dir, i)
                        if case.shared:
                            shared[name] = ctx
                    ctx.run_index = i
                    if case.before is not None:
                        case.before(ctx)
                    os.sync()  # flush setup writes so they do not land inside the timing
                    setup = time.perf_counter() - setup_start
                    elapsed = timed(case.command(tool), ctx.repo, tool.env, ctx.scratch / "err")
                    if case.after is not None:
                        case.after(ctx)
                    res.times.append(elapsed)
                    extra = f"   (untimed setup {setup:.1f} s)" if setup >= 0.5 else ""
                    log(f"  run {i + 1}/{n_runs}  {name:<8} {elapsed:8.3f} s{extra}")
                except BenchError as exc:
                    res.error = str(exc).splitlines()[0] if str(exc) else "failed"
                    log(f"  run {i + 1}/{n_runs}  {name:<8} FAILED: {str(exc).rstrip()}")
                finally:
                    if ctx is not None and not case.shared:
                        cleanup(case, ctx)
    finally:
        for ctx in shared.values():
            cleanup(case, ctx)
    out: dict[str, Any] = {"name": case.name, "summary": case.summary, "runs": n_runs}
    for name in ("solvent", "dvc"):
        res = results.get(name)
        out[name] = (
            None
            if res is None
            else {
                "times": [round(t, 6) for t in res.times],
                "median": res.median,
                "error": res.error,
            }
        )
    sol, dvc = results.get("solvent"), results.get("dvc")
    sol_med = sol.median if sol else None
    dvc_med = dvc.median if dvc else None
    out["ratio"] = dvc_med / sol_med if sol_med and dvc_med else None
    out["target"] = case.target.describe() if case.target else None
    out["verdict"] = case.target.verdict(sol_med, dvc_med) if case.target else None
    return out


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def fmt_time(res: dict | None) -> str:
    if res is None:
        return "-"
    if res["error"] is not None:
        return "FAILED"
    return f"{res['median']:.3f}"


def print_table(results: list[dict]) -> None:
    header = ("case", "solvent (s)", "dvc (s)", "dvc/solvent", "target", "result")
    rows = [header]
    for r in results:
        ratio = f"{r['ratio']:.1f}x" if r["ratio"] else "-"
        verdict = r["verdict"] or "-"
        if any(r[t] and r[t]["error"] for t in ("solvent", "dvc")):
            verdict = "FAILED"
        row = (r["name"], fmt_time(r["solvent"]), fmt_time(r["dvc"]), ratio)
        rows.append((*row, r["target"] or "-", verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    log()
    for j, row in enumerate(rows):
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        log("  ".join(cells))
        if j == 0:
            log("  ".join("-" * w for w in widths))


def machine_info(tools: dict[str, Tool], workdir: Path) -> dict[str, Any]:
    info: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "nproc_available": len(os.sched_getaffinity(0)),
        "loadavg_at_start": os.getloadavg()[0],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "solvent_version": tools["solvent"].version_string(),
        "dvc_version": tools["dvc"].version_string(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        models = [ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines() if "model name" in ln]
        info["cpu"] = models[0] if models else None
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        info["mem_total"] = next(ln.split(":", 1)[1].strip() for ln in meminfo if "MemTotal" in ln)
    except (OSError, StopIteration):
        pass
    try:
        fs = run(["stat", "-f", "-c", "%T", workdir], cwd=ROOT, env=base_env()).strip()
        info["workdir_fs"] = fs
    except BenchError:
        pass
    return info


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


# ext4 without a journal does not reuse an inode freed in the last 60 s, or 360 s while its
# inode-table block is dirty (fs/ext4/ialloc.c, recently_deleted()): each new file scans past
# every such inode. After a benchmark deletes its 200k-file run folders, adding 20k files takes
# 4-5 times as long, for both tools, for minutes (`perf record`: recently_deleted() is 50% of
# the time). The next benchmark on such a file system waits this long after that deletion.
INODE_REUSE_DELAY = 370.0
DELETED_STAMP = ".runs-deleted-at"


def journalless_ext4(path: Path) -> bool:
    """True when ``path`` is on an ext4 file system mounted without a journal."""
    dev = os.stat(path).st_dev
    want = f"{os.major(dev)}:{os.minor(dev)}"
    try:
        names = os.listdir("/proc/fs/ext4")
        journals = os.listdir("/proc/fs/jbd2") if os.path.isdir("/proc/fs/jbd2") else []
    except OSError:
        return False
    for name in names:
        with contextlib.suppress(OSError):
            if Path(f"/sys/class/block/{name}/dev").read_text().strip() == want:
                return not any(j.startswith(f"{name}-") for j in journals)
    return False


def remove_runs(runs_dir: Path) -> None:
    """Delete the run folders, and note when (see `settle`)."""
    if runs_dir.exists():
        rmtree(runs_dir)
        os.sync()
        (runs_dir.parent / DELETED_STAMP).write_text(f"{time.time()}\n")


def settle(workdir: Path) -> None:
    """Flush writes, drop clean caches if allowed (root), and on ext4 without a journal wait
    until the run folders an earlier benchmark deleted no longer slow file creation."""
    os.sync()
    with contextlib.suppress(OSError):
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
    try:
        deleted_at = float((workdir / DELETED_STAMP).read_text())
    except (OSError, ValueError):
        return
    wait = deleted_at + INODE_REUSE_DELAY - time.time()
    if wait > 0 and journalless_ext4(workdir):
        log(
            f"Waiting {wait:.0f} s: this ext4 has no journal, so inodes the last benchmark freed "
            "slow down creating files until 6 minutes after their deletion"
        )
        time.sleep(wait)


COMPILE_PACKAGE = (
    "import compileall, importlib; "
    "compileall.compile_dir(importlib.import_module('{package}').__path__[0], quiet=1)"
)


def warm_up(tools: dict[str, Tool]) -> None:
    """Load each tool once (untimed), so the first timed run does not read cold files."""
    for tool in tools.values():
        if tool.available:
            # Compile the whole package up front, as pip does on install.
            python = Path(tool.argv()[0]).with_name("python")
            compile_all = [str(python), "-c", COMPILE_PACKAGE.format(package=tool.name)]
            for cmd in (compile_all, tool.version(), tool.help()):
                subprocess.run(
                    cmd,
                    check=False,
                    cwd=ROOT,
                    env=tool.env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )


def parse_args(case_names: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Benchmark Solvent against DVC.")
    p.add_argument("--runs", type=int, default=None, help="runs per tool and case (default 5)")
    p.add_argument("--quick", action="store_true", help="3 runs, 256 MiB file, 5,000 small files")
    p.add_argument("--only", nargs="+", metavar="NAME", choices=case_names, help="cases to run")
    p.add_argument("--workdir", type=Path, default=BENCH_DIR / ".work", help="scratch directory")
    p.add_argument(
        "--solvent", type=Path, default=None, help="solvent executable (default .venv/bin/solvent)"
    )
    p.add_argument("--json", type=Path, default=RESULTS_JSON, help="where to write results")
    args = p.parse_args()
    if args.runs is not None and args.runs < 1:
        p.error("--runs must be >= 1")
    return args


def find_solvent(arg: Path | None) -> Path:
    if arg is not None:
        return arg.resolve()
    for candidate in (ROOT / ".venv" / "bin" / "solvent", Path(sys.executable).parent / "solvent"):
        if candidate.exists():
            return candidate
    found = shutil.which("solvent")
    return Path(found) if found else ROOT / ".venv" / "bin" / "solvent"


def main() -> int:
    cases = build_cases()
    args = parse_args([c.name for c in cases])
    runs = args.runs or (3 if args.quick else 5)
    big_mib, n_files = (256, 5000) if args.quick else (1024, 20000)
    if args.only:
        cases = [c for c in cases if c.name in args.only]

    tools: dict[str, Tool] = {
        "solvent": make_solvent(find_solvent(args.solvent)),
        "dvc": ensure_dvc(),
    }
    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    info = machine_info(tools, workdir)
    log(f"DVC version:     {info['dvc_version']}")
    log(f"Solvent version: {info['solvent_version'] or 'UNAVAILABLE'} ({tools['solvent'].exe})")
    if not tools["solvent"].available:
        log(f"  solvent side will be reported as failed: {tools['solvent'].unavailable_reason}")
    log(f"Machine: {info['nproc']} CPUs, Python {info['python']}, workdir {workdir}")
    if info["loadavg_at_start"] > 0.5:
        log(
            f"WARNING: load average is {info['loadavg_at_start']:.1f}: other processes are "
            "running, timings will be noisy"
        )
    if args.quick:
        log(
            f"QUICK MODE: {runs} runs, {big_mib} MiB file, {n_files:,} small files "
            "(sizes are smaller than the targets assume)"
        )
    else:
        log(f"Full mode: {runs} runs, {big_mib} MiB file, {n_files:,} small files")

    data = build_data(workdir, big_mib, n_files)
    runs_dir = workdir / "runs"
    remove_runs(runs_dir)
    runs_dir.mkdir()
    settle(workdir)
    warm_up(tools)
    results: list[dict] = []
    try:
        for case in cases:
            results.append(run_case(case, tools, data, runs_dir, runs))
    finally:
        log("\nRemoving run directories ...")
        remove_runs(runs_dir)

    info["loadavg_at_end"] = os.getloadavg()[0]
    print_table(results)
    report = {
        "machine": info,
        "config": {
            "quick": args.quick,
            "runs": runs,
            "big_file_mib": big_mib,
            "small_files": n_files,
            "small_file_bytes": SMALL_FILE_SIZE,
            "workdir": str(workdir),
        },
        "cases": results,
    }
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    log(f"\nResults written to {args.json}")
    failed = [r["name"] for r in results if any(r[t] and r[t]["error"] for t in ("solvent", "dvc"))]
    if failed:
        log(f"Failed cases: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
