"""``solvent remote``: settings in config.toml, secrets only in config.local.toml."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from tests.helpers import assert_user_error, disk_state, git, solvent, solvent_ok


def test_add_list_default_modify_remove(repo: Path) -> None:
    solvent_ok(repo, "remote", "add", "--default", "origin", "s3://my-bucket/data")
    solvent_ok(repo, "remote", "add", "backup", "/mnt/backup")
    solvent_ok(repo, "remote", "modify", "origin", "endpoint_url", "http://127.0.0.1:9000")
    remotes = json.loads(solvent_ok(repo, "remote", "list", "--json"))
    assert [(r["name"], r["url"], r["default"]) for r in remotes] == [
        ("backup", "/mnt/backup", False),
        ("origin", "s3://my-bucket/data", True),
    ]
    assert remotes[1]["options"] == {"endpoint_url": "http://127.0.0.1:9000"}
    solvent_ok(repo, "remote", "default", "backup")
    assert json.loads(solvent_ok(repo, "remote", "list", "--json"))[0]["default"] is True
    solvent_ok(repo, "remote", "remove", "backup")
    config = tomllib.loads((repo / ".solvent/config.toml").read_text())
    assert list(config["remote"]) == ["origin"] and "remote" not in config.get("core", {})


def test_secrets_go_to_the_ignored_local_file_and_are_never_printed(repo: Path) -> None:
    solvent_ok(repo, "remote", "add", "origin", "s3://my-bucket")
    out = solvent_ok(repo, "remote", "modify", "origin", "secret_access_key", "hunter2")
    assert "config.local.toml" in out and "hunter2" not in out
    assert "hunter2" not in (repo / ".solvent/config.toml").read_text()
    assert "hunter2" in (repo / ".solvent/config.local.toml").read_text()
    listed = solvent_ok(repo, "remote", "list") + solvent_ok(repo, "remote", "list", "--json")
    assert "hunter2" not in listed and "***" in listed
    assert git(repo, "check-ignore", ".solvent/config.local.toml").strip()


def test_editing_keeps_the_config_comments(repo: Path) -> None:
    before = (repo / ".solvent/config.toml").read_text()
    solvent_ok(repo, "remote", "add", "origin", "/srv/data")
    assert (repo / ".solvent/config.toml").read_text().startswith(before)


def test_bad_input_changes_nothing(repo: Path) -> None:
    solvent_ok(repo, "remote", "add", "origin", "/srv/data")
    before = disk_state(repo)
    for args, needle in [
        (("add", "x", "ftp://host/path"), "unsupported remote URL scheme"),
        (("add", "x", "s3://Bad_Bucket"), "invalid S3 URL"),
        (("add", "b ad", "/x"), "invalid remote name"),
        (("add", "origin", "/elsewhere"), "already exists"),
        (("modify", "origin", "colour", "blue"), "unknown remote option"),
        (("modify", "nope", "region", "eu"), "no remote named 'nope'"),
        (("modify", "origin", "url", "ftp://host/x"), "unsupported remote URL scheme"),
        (("modify", "origin", "--unset", "url"), "cannot be without a url"),
        (("remove", "nope"), "no remote named 'nope'"),
    ]:
        assert_user_error(solvent(repo, "remote", *args), needle)
    assert disk_state(repo) == before


def test_modify_url_moves_the_remote(repo: Path) -> None:
    solvent_ok(repo, "remote", "add", "--default", "origin", "/srv/data")
    solvent_ok(repo, "remote", "modify", "origin", "url", "/srv/other")
    remotes = json.loads(solvent_ok(repo, "remote", "list", "--json"))
    assert [(r["name"], r["url"], r["default"]) for r in remotes] == [
        ("origin", "/srv/other", True)
    ]
    assert "/srv/data" not in (repo / ".solvent/config.toml").read_text()


def test_a_remote_inside_the_repo_is_refused(repo: Path) -> None:
    """A push to '.' (or any folder of the workspace) would write objects among the user's
    files; a URL set by hand in config.toml is refused when the remote is opened."""
    (repo / "data").mkdir()
    (repo / "data" / "x.csv").write_text("x")
    solvent_ok(repo, "add", "data")
    solvent_ok(repo, "remote", "add", "outside", str(repo.parent / "remote"))
    before = disk_state(repo)
    for url in (".", "data", "./sub/../data", str(repo / "store")):
        assert_user_error(solvent(repo, "remote", "add", "r", url), "inside the repo")
        assert_user_error(
            solvent(repo, "remote", "modify", "outside", "url", url), "inside the repo"
        )
    assert disk_state(repo) == before
    config = repo / ".solvent/config.toml"
    config.write_text(config.read_text() + '\n[remote.here]\nurl = "."\n')
    before = disk_state(repo)
    assert_user_error(solvent(repo, "push", "--remote", "here"), "'.'", "inside the repo")
    assert disk_state(repo) == before
    assert not (repo / "blake3").exists()
