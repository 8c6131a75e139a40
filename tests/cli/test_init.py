from __future__ import annotations

from pathlib import Path

from tests.helpers import assert_user_error, disk_state, git, solvent, solvent_ok


def test_init_creates_the_layout(git_repo: Path) -> None:
    out = solvent_ok(git_repo, "init")
    assert "Initialized Solvent repo" in out
    dot = git_repo / ".solvent"
    for path in ("cache/blake3", "cache/tmp"):
        assert (dot / path).is_dir()
    assert "[cache]" in (dot / "config.toml").read_text()
    # The cache and local state stay out of git; the config is shared.
    local = [".solvent/cache/x", ".solvent/state.db", ".solvent/lock", ".solvent/runs.db",
             ".solvent/runcache/ab/c.yaml", ".solvent/logs/a.log", ".solvent/exps/x"]  # fmt: skip
    ignored = git(git_repo, "check-ignore", *local)
    assert len(ignored.splitlines()) == len(local)
    git(git_repo, "add", ".solvent")
    staged = git(git_repo, "diff", "--cached", "--name-only").split()
    assert sorted(staged) == [".solvent/.gitignore", ".solvent/config.toml"]


def test_init_is_idempotent(git_repo: Path) -> None:
    solvent_ok(git_repo, "init")
    before = disk_state(git_repo)
    out = solvent_ok(git_repo, "init")
    assert "already initialized" in out
    assert disk_state(git_repo) == before


def test_init_again_repairs_what_is_missing(git_repo: Path) -> None:
    solvent_ok(git_repo, "init")
    (git_repo / ".solvent" / "config.toml").unlink()
    solvent_ok(git_repo, "init")
    assert (git_repo / ".solvent" / "config.toml").is_file()


def test_init_keeps_an_edited_config(git_repo: Path) -> None:
    solvent_ok(git_repo, "init")
    config = git_repo / ".solvent" / "config.toml"
    config.write_text('[cache]\nlink = ["hardlink"]\n')
    solvent_ok(git_repo, "init")
    assert config.read_text() == '[cache]\nlink = ["hardlink"]\n'


def test_init_outside_git_fails_with_a_hint(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    proc = solvent(folder, "init")
    assert_user_error(proc, "is not a git repo")
    assert "--no-git" in proc.stderr
    assert list(folder.iterdir()) == []


def test_init_no_git_works_in_a_plain_folder(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    out = solvent_ok(folder, "init", "--no-git")
    assert "Initialized" in out and "git add" not in out
    (folder / "data.csv").write_text("a,b\n")
    solvent_ok(folder, "add", "data.csv")
    assert (folder / "data.csv.solvent").is_file()
    assert not (folder / ".gitignore").exists()
    assert "up to date" in solvent_ok(folder, "status")


def test_init_below_the_git_top_level_names_it(git_repo: Path) -> None:
    sub = git_repo / "sub"
    sub.mkdir()
    proc = solvent(sub, "init")
    assert_user_error(proc, "Solvent lives at the git top level")
    assert str(git_repo) in proc.stderr
    assert list(sub.iterdir()) == []


def test_commands_work_from_a_subfolder(repo: Path) -> None:
    sub = repo / "sub"
    (sub / "data").mkdir(parents=True)
    (sub / "data" / "x").write_text("x")
    solvent_ok(sub, "add", "data")
    assert (sub / "data.solvent").is_file()
    assert "up to date" in solvent_ok(sub, "status")
