"""Solvent demo: version a real data set with git and the ``solvent`` CLI, step by step.

Run it with ``make demo`` (or ``.venv/bin/python demo/run_demo.py``). Each run deletes and
rebuilds ``demo-project/`` at the repo root, writes scikit-learn's wine data set into it as CSV
files, and drives the real ``solvent`` command through two versions of that data: track, change,
diff, go back to the old version, return. Every command is printed before its real output. The
script exits non-zero, saying which step failed, if anything goes wrong.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

REPO_ROOT = Path(__file__).resolve().parent.parent
# SOLVENT_DEMO_DIR moves it (the tests run the demo in a temporary folder).
PROJECT = Path(os.environ.get("SOLVENT_DEMO_DIR") or REPO_ROOT / "demo-project").resolve()
DATA = PROJECT / "data"
SOLVENT = Path(sys.executable).parent / "solvent"

# v2 drops the samples below this alcohol content, a stand-in for a data-cleaning rule.
MIN_ALCOHOL = 11.5

README = """\
Wine recognition data (UCI), exported from scikit-learn's load_wine().
178 samples of wine from three cultivars, 13 chemical measurements each.

raw/wine.csv       all samples, one row each; the last column is the cultivar
raw/by_class/      the same rows split into one file per cultivar
"""

console = Console(highlight=False, soft_wrap=True)

Header = list[str]
Rows = list[list[str]]
Snapshot = dict[str, str]


class DemoError(Exception):
    """A step of the demo failed; the message says what went wrong."""


@dataclass
class State:
    """What the steps share: the data set and the hashes of each saved version of data/."""

    header: Header
    rows: Rows
    versions: dict[str, Snapshot] = field(default_factory=dict)


# --- running commands -------------------------------------------------------------------------


def command_env() -> dict[str, str]:
    """The environment for git and solvent: a fixed git identity, so commits work on a machine
    without git config, and no inherited GIT_DIR or similar that would point git elsewhere."""
    skip = {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"}
    env = {k: v for k, v in os.environ.items() if k not in skip}
    for role in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{role}_NAME"] = "Solvent Demo"
        env[f"GIT_{role}_EMAIL"] = "demo@solvent.invalid"
    # Extra git settings through the environment (git >= 2.31), so the printed commands stay
    # plain: no hint about the default branch name, no signing prompt from a global config.
    settings = {"init.defaultBranch": "main", "commit.gpgsign": "false"}
    count = int(env.get("GIT_CONFIG_COUNT", "0"))
    for i, (key, value) in enumerate(settings.items(), start=count):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    env["GIT_CONFIG_COUNT"] = str(count + len(settings))
    env["GIT_PAGER"] = "cat"  # git log would otherwise wait in a pager on a terminal
    # Stage commands say `python`: make it this venv's, which has scikit-learn.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


ENV = command_env()


def shell_words(args: tuple[str, ...]) -> str:
    """The command as one would type it (shlex.join quotes more than needed, e.g. HEAD~1)."""
    return " ".join(a if re.fullmatch(r"[\w./~:@=+-]+", a) else shlex.quote(a) for a in args)


def run(*args: str, expect: int = 0) -> None:
    """Print ``$ command`` and run it in the project, its output streaming straight through;
    ``expect`` is the exit code it must end with (3: a health check found something)."""
    console.print(f"[bold cyan]$ {escape(shell_words(args))}[/]")
    program = str(SOLVENT) if args[0] == "solvent" else args[0]
    try:
        code = subprocess.run([program, *args[1:]], cwd=PROJECT, env=ENV, check=False).returncode
    except FileNotFoundError as e:
        raise DemoError(f"cannot run `{args[0]}`: {e}") from e
    if code != expect:
        raise DemoError(f"`{shell_words(args)}` exited with code {code}, not {expect}")
    if expect:
        say(f"exit code {code}: the alert a cron job or CI would act on")


def show_file(relpath: str) -> None:
    """Print ``$ cat FILE`` and the file's content."""
    console.print(f"[bold cyan]$ cat {escape(relpath)}[/]")
    console.print((PROJECT / relpath).read_text(encoding="utf-8"), markup=False, end="")


def say(text: str) -> None:
    console.print(f"[dim]# {escape(text)}[/]")


# --- the data ----------------------------------------------------------------------------------


def load_wine_rows() -> tuple[Header, Rows]:
    """The wine data set that ships with scikit-learn (no network), as CSV header and rows."""
    try:
        from sklearn.datasets import load_wine
    except ImportError as e:
        hint = "install the dev extra: .venv/bin/pip install -e '.[dev]'"
        raise DemoError(f"scikit-learn is not installed ({e}); {hint}") from e
    wine = load_wine()
    header = [*wine.feature_names, "class"]
    rows = [
        [format(value, "g") for value in sample] + [str(wine.target_names[target])]
        for sample, target in zip(wine.data, wine.target, strict=True)
    ]
    return header, rows


def write_csv(path: Path, header: Header, rows: Rows) -> None:
    """Write a CSV file, replacing (not overwriting in place) any file already there: with the
    hardlink or symlink link types a tracked file is a link into the cache."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([header, *rows])


def write_table(header: Header, rows: Rows) -> None:
    """raw/wine.csv with every row, and raw/by_class/ with one file per class."""
    write_csv(DATA / "raw" / "wine.csv", header, rows)
    for name in sorted({row[-1] for row in rows}):
        subset = [row for row in rows if row[-1] == name]
        write_csv(DATA / "raw" / "by_class" / f"{name}.csv", header, subset)


def class_means(header: Header, rows: Rows) -> tuple[Header, Rows]:
    """Per-class mean of every measurement."""
    means: Rows = []
    for name in sorted({row[-1] for row in rows}):
        subset = [[float(v) for v in row[:-1]] for row in rows if row[-1] == name]
        columns = zip(*subset, strict=True)
        means.append([name, *(format(sum(col) / len(col), ".4g") for col in columns)])
    return ["class", *header[:-1]], means


def snapshot() -> Snapshot:
    """SHA-256 of every file under data/, by path relative to the project."""
    return {
        path.relative_to(PROJECT).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(DATA.rglob("*"))
        if path.is_file()
    }


def list_files(files: Snapshot) -> None:
    for relpath in files:
        path = PROJECT / relpath
        lines = len(path.read_bytes().splitlines())
        say(f"{relpath:32} {path.stat().st_size:6} bytes, {lines:3} lines")


def check_matches(version: str, state: State) -> None:
    """Fail unless data/ is byte for byte the saved ``version``."""
    expected, actual = state.versions[version], snapshot()
    if actual == expected:
        console.print(
            f"[bold green]✓ data/ is byte-identical to {version}:[/] "
            f"{len(actual)} files, every SHA-256 matches"
        )
        return
    problems = [
        *(f"missing {p}" for p in sorted(expected.keys() - actual.keys())),
        *(f"unexpected {p}" for p in sorted(actual.keys() - expected.keys())),
        *(
            f"different {p}"
            for p in sorted(expected.keys() & actual.keys())
            if expected[p] != actual[p]
        ),
    ]
    raise DemoError(f"data/ does not match {version}: " + "; ".join(problems))


# --- the steps ----------------------------------------------------------------------------------


def _make_writable_and_retry(func: Callable[[str], Any], path: str, *_: Any) -> None:
    os.chmod(path, stat.S_IWRITE | stat.S_IREAD | stat.S_IEXEC)
    func(path)


def remove_tree(path: Path) -> None:
    """rmtree that also removes read-only files (cache objects may be read-only)."""
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=_make_writable_and_retry)
    else:
        shutil.rmtree(path, onerror=_make_writable_and_retry)


def create_project(state: State) -> None:
    if PROJECT.exists():
        say(f"removing the previous {PROJECT.name}/")
        remove_tree(PROJECT)
    PROJECT.mkdir()
    run("git", "init")
    run("solvent", "init")
    run("git", "add", ".solvent")
    run("git", "commit", "-m", "Initialize Solvent")


def write_v1(state: State) -> None:
    write_table(state.header, state.rows)
    write_csv(DATA / "raw" / "preview.csv", state.header, state.rows[:10])
    (DATA / "README.txt").write_text(README, encoding="utf-8")
    state.versions["v1"] = snapshot()
    list_files(state.versions["v1"])


def track_v1(state: State) -> None:
    run("solvent", "add", "data")
    show_file("data.solvent")
    run("git", "add", ".gitignore", "data.solvent")
    run("git", "commit", "-m", "v1 data")


def change_data(state: State) -> None:
    kept = [row for row in state.rows if float(row[0]) >= MIN_ALCOHOL]
    say(f"drop the {len(state.rows) - len(kept)} samples with alcohol < {MIN_ALCOHOL}")
    write_table(state.header, kept)
    say("add data/stats/class_means.csv")
    write_csv(DATA / "stats" / "class_means.csv", *class_means(state.header, kept))
    say("delete data/raw/preview.csv")
    (DATA / "raw" / "preview.csv").unlink()
    run("solvent", "status")
    run("solvent", "diff")


def save_v2(state: State) -> None:
    run("solvent", "add", "data")
    run("git", "add", ".gitignore", "data.solvent")
    run("git", "commit", "-m", "v2 data")
    state.versions["v2"] = snapshot()
    run("git", "log", "--oneline")


def compare_commits(state: State) -> None:
    run("solvent", "diff", "HEAD~1", "HEAD")


def back_to_v1(state: State) -> None:
    run("git", "checkout", "HEAD~1", "--", "data.solvent")
    run("solvent", "checkout")
    check_matches("v1", state)


def return_to_v2(state: State) -> None:
    run("git", "checkout", "HEAD", "--", "data.solvent")
    run("solvent", "checkout")
    check_matches("v2", state)
    run("solvent", "status")


def verify_cache(state: State) -> None:
    run("solvent", "cache", "verify")


PIPELINE = Path(__file__).resolve().parent / "pipeline"


def build_pipeline(state: State) -> None:
    say("copy the scripts, params.yaml and solvent.yaml from demo/pipeline/")
    for source in sorted(PIPELINE.iterdir()):
        if source.is_file():
            shutil.copy2(source, PROJECT / source.name)
    show_file("solvent.yaml")
    run("solvent", "dag")
    run("solvent", "status")


def run_pipeline(state: State) -> None:
    say("train_logreg and train_forest do not depend on each other: they run at the same time")
    run("solvent", "repro")
    run("solvent", "metrics", "show")
    run("git", "add", "-A")
    run("git", "commit", "-q", "-m", "Pipeline: prepare, features, two models, evaluate")
    say("nothing changed, so nothing runs")
    run("solvent", "repro")


def tune_param(state: State) -> None:
    params = PROJECT / "params.yaml"
    params.write_text(params.read_text().replace("n_estimators: 20", "n_estimators: 200"))
    say("params.yaml: models.forest.n_estimators 20 -> 200")
    run("solvent", "params", "diff")
    run("solvent", "status")
    say("only the forest and the evaluation rerun; each says why")
    run("solvent", "repro")
    run("solvent", "metrics", "diff")
    run("git", "add", "-A")
    run("git", "commit", "-q", "-m", "Tune the forest: 200 trees")


def sweep(state: State) -> None:
    say("four forests side by side, two at a time, each in its own workspace: the")
    say("workspace, params.yaml and the committed results are not touched")
    run("solvent", "exp", "run", "-S", "models.forest.n_estimators=3,30",
        "-S", "models.forest.max_depth=1,4", "--name", "forest", "-j", "2")  # fmt: skip
    run("solvent", "exp", "show", "--only-changed", "--sort-by", "forest.accuracy", "--desc")


def apply_best(state: State) -> None:
    shown = subprocess.run(
        [str(SOLVENT), "exp", "show", "--json", "--sort-by", "forest.accuracy", "--desc"],
        cwd=PROJECT, env=ENV, capture_output=True, text=True, check=True,
    )  # fmt: skip
    best = json.loads(shown.stdout)[0]["name"]
    say(f"the best forest is {best}: bring its params and model into the workspace")
    run("solvent", "exp", "apply", best)
    run("solvent", "params", "diff")
    run("solvent", "status")
    run("git", "add", "-A")
    run("git", "commit", "-q", "-m", f"Apply experiment {best}")


def ask_lineage(state: State) -> None:
    say("which data, code and params trained this model?")
    run("solvent", "lineage", "models/forest.pkl")
    say("and the other way: what did this version of the raw data go into?")
    run("solvent", "lineage", "--used-by", "data/raw/wine.csv")
    say("an older version: the 20-tree forest, as committed before the tuning")
    run("solvent", "lineage", "models/forest.pkl@HEAD~2")
    say("v1 of the data (HEAD~4) predates the pipeline: no run used it")
    run("solvent", "lineage", "--used-by", "data/raw/wine.csv@HEAD~4")
    run("solvent", "runs", "--stage", "train_forest")


def monitor_batches(state: State) -> None:
    say(
        "the threshold stage (in solvent repro above) learned a cut per cultivar on held-out scores"
    )
    say("the held-out predictions look like the training labels: no alert")
    reference = ("--reference", "data/raw/wine.csv", "--label", "class")
    run("solvent", "monitor", *reference, "--current", "scores.csv")
    say("a new batch arrives from one vineyard only: every wine is a class_0 cultivar")
    batch = [row[:-1] for row in state.rows if row[-1] == "class_0"]
    write_csv(PROJECT / "batches" / "new.csv", state.header[:-1], batch)
    run("python", "score.py", "--train", "prepared/train.csv", "--model", "models/logreg.pkl",
        "--input", "batches/new.csv", "--out", "batches/new_scored.csv")  # fmt: skip
    run("solvent", "monitor", *reference, "--current", "batches/new_scored.csv",
        "--html", "monitor.html", expect=3)  # fmt: skip
    say("without labels, the stored thresholds check each class's positive rate")
    run("solvent", "threshold", "check", "threshold.json", "batches/new_scored.csv", expect=3)


def ask_doctor(state: State) -> None:
    say("what debt does this project carry? (Sculley et al. 2015, 'Hidden Technical Debt in")
    say("Machine Learning Systems': each finding with its evidence and the fix)")
    run("solvent", "doctor", "--fail-on", "warning", expect=3)


# The audits refit each model on the unscaled table: quiet scikit-learn's convergence notes.
AUDIT = (
    "PYTHONWARNINGS=ignore solvent audit features --data prepared/train.csv --target class "
    "--folds 3 --repeats 1"
)
HEALTH_STAGES = f"""\
  audit_logreg:
    cmd: {AUDIT} --model models/logreg.pkl --fail-on never -o audits/logreg.json
    deps: [prepared, models/logreg.pkl]
    outs: [audits/logreg.json]
  audit_forest:
    cmd: {AUDIT} --model models/forest.pkl --fail-on never -o audits/forest.json
    deps: [prepared, models/forest.pkl]
    outs: [audits/forest.json]
"""
DRIFT_CHECK = """\
    outs: [prepared]
    checks: {drift: {data/raw/wine.csv: 0.3}}
"""
TYPED_LOAD = "def load(path: Path) -> tuple[np.ndarray, np.ndarray]:"
DOCTOR_CONFIG = """
[doctor]
# The train/test split is fixed on purpose: results stay comparable across runs.
ignore = ["never-tuned-param:prepare.test_size"]
"""


def pay_debts(state: State) -> None:
    from importlib.metadata import version

    say("tune the one model param nobody ever changed: two logistic models with other C")
    run("solvent", "exp", "run", "-S", "models.logreg.C=0.1,2", "--name", "logreg", "-j", "2")
    say("pin the environment the stages ran in")
    pins = [f"{name}=={version(name)}" for name in ("numpy", "scikit-learn", "scipy")]
    (PROJECT / "requirements.txt").write_text("\n".join(pins) + "\n")
    show_file("requirements.txt")
    say("guard the raw data with a drift check, and audit both models' features as stages")
    spec = PROJECT / "solvent.yaml"
    text = spec.read_text()
    text = text.replace("    outs: [prepared]\n", DRIFT_CHECK, 1)
    spec.write_text(text + HEALTH_STAGES)
    say("type the function the doctor found untyped: features.py's load")
    features = PROJECT / "features.py"
    features.write_text(features.read_text().replace("def load(path):", TYPED_LOAD, 1))
    run("git", "diff", "--stat", "features.py")
    say("accept one finding on purpose, with the reason, in .solvent/config.toml")
    with (PROJECT / ".solvent" / "config.toml").open("a") as f:
        f.write(DOCTOR_CONFIG)
    run("solvent", "repro")
    run("git", "add", "-A")
    run("git", "commit", "-q", "-m",
        "Pay the debts: pinned environment, drift check, audits, typed features")  # fmt: skip
    run("solvent", "doctor", "--fail-on", "warning", "--html", "doctor.html")


STEPS: list[tuple[str, Callable[[State], None]]] = [
    ("Create a project: git init, solvent init", create_project),
    ("Write v1 of the data: scikit-learn's wine data set as CSV", write_v1),
    ("Track data/ with Solvent and commit the pointer file", track_v1),
    ("Change the data, then ask Solvent what changed", change_data),
    ("Save v2", save_v2),
    ("Compare the two commits", compare_commits),
    ("Go back to v1: old pointer file, then solvent checkout", back_to_v1),
    ("Return to v2", return_to_v2),
    ("Check the cache", verify_cache),
    ("Declare a pipeline on the tracked data", build_pipeline),
    ("Run it: independent stages in parallel", run_pipeline),
    ("Change one param: only the affected stages rerun", tune_param),
    ("Sweep the forest's params in parallel experiments", sweep),
    ("Apply the best experiment", apply_best),
    ("Ask the run ledger: what trained this model, what used this data?", ask_lineage),
    ("Monitor predictions: a shifted batch raises an alert", monitor_batches),
    ("Ask the doctor: the project's hidden technical debt", ask_doctor),
    ("Pay the debts, then ask again", pay_debts),
]


def summary() -> None:
    where = PROJECT.relative_to(REPO_ROOT) if PROJECT.is_relative_to(REPO_ROOT) else PROJECT
    console.print("\n[bold green]Demo finished.[/]")
    console.print(
        f"The demo project is in {where}/: a git repo with two versions of data/ (the round "
        "trip to v1 and back restored both byte for byte) and a pipeline that trained two "
        "models on it, learned per-class thresholds, retrained one after a param change, "
        "swept its params in parallel experiments, applied the best, and raised an alert "
        "on a shifted batch. Try:"
    )
    if shutil.which("solvent") != str(SOLVENT):
        console.print("  source .venv/bin/activate   # puts solvent on PATH")
    console.print(f"  cd {where} && solvent status")
    console.print("  solvent dag --html dag.html   # the pipeline, coloured by state")
    console.print("  solvent metrics diff HEAD~1   # what applying the best experiment changed")
    console.print("  solvent lineage --mermaid models/forest.pkl   # its lineage as a diagram")
    console.print("  open monitor.html             # the shifted batch's prediction bias")
    console.print("  open doctor.html              # the debt report: none left")


def preflight() -> None:
    if shutil.which("git") is None:
        raise DemoError("git is not installed or not on PATH")
    if not SOLVENT.exists():
        raise DemoError(f"{SOLVENT} not found; install the package: make demo does it")


def main() -> int:
    title = "Preparation"
    try:
        preflight()
        state = State(*load_wine_rows())
        for number, (title, step) in enumerate(STEPS, start=1):
            console.print(f"\n[bold]== {number}. {escape(title)}[/]")
            step(state)
    except DemoError as e:
        console.print(f"\n[bold red]Demo failed[/] at step “{escape(title)}”: {escape(str(e))}")
        return 1
    except KeyboardInterrupt:
        console.print("\ninterrupted")
        return 130
    summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
