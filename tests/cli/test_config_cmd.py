"""``solvent config``: get, set, unset and list ``.solvent/config.toml`` (``--local``:
``config.local.toml``) by ``section.key`` names, as ``dvc config`` does; keys Solvent reads
are checked before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.dvc_cli import dvc_ok, dvc_repo, needs_dvc
from tests.helpers import assert_user_error, disk_state, solvent, solvent_ok


def test_set_get_unset_keeps_the_files_comments(repo: Path) -> None:
    config = repo / ".solvent/config.toml"
    before = config.read_text()
    assert solvent_ok(repo, "config", "cache.link") == "reflink,copy\n"
    assert solvent_ok(repo, "config", "cache.link", "hardlink,copy") == ""
    text = config.read_text()
    assert text.startswith(before.split("link = ")[0])  # the comments above stay
    assert 'link = ["hardlink", "copy"]' in text
    assert solvent_ok(repo, "config", "cache.link") == "hardlink,copy\n"
    solvent_ok(repo, "config", "repro.trace", "audit")
    assert '[repro]\ntrace = "audit"\n' in config.read_text()
    solvent_ok(repo, "config", "--unset", "repro.trace")
    proc = solvent(repo, "config", "repro.trace")
    assert proc.returncode == 1 and "repro.trace is not set" in proc.stderr
    from solvent.config import load_config

    assert load_config(repo / ".solvent").link == ("hardlink", "copy")  # Solvent reads it


def test_local_overrides_shared_and_list_shows_the_merge(repo: Path) -> None:
    solvent_ok(repo, "config", "remote.store.url", str(repo.parent / "store"))
    solvent_ok(repo, "config", "core.remote", "store")
    solvent_ok(repo, "config", "--local", "remote.store.url", "/elsewhere")
    solvent_ok(repo, "config", "remote.store.secret_access_key", "s3cr3t")  # always local
    assert "s3cr3t" not in (repo / ".solvent/config.toml").read_text()
    assert "s3cr3t" in (repo / ".solvent/config.local.toml").read_text()
    listed = solvent_ok(repo, "config", "--list").splitlines()
    assert "core.remote=store" in listed and "remote.store.url=/elsewhere" in listed
    assert "remote.store.secret_access_key=***" in listed  # never printed
    assert "s3cr3t" not in solvent_ok(repo, "config", "remote.store.secret_access_key")
    local = json.loads(solvent_ok(repo, "config", "--list", "--local", "--json"))
    assert local == {"remote.store.url": "/elsewhere", "remote.store.secret_access_key": "***"}
    assert solvent_ok(repo, "config", "remote.store.url") == "/elsewhere\n"
    assert "store" in solvent_ok(repo, "remote", "list")  # what 'remote' reads


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["core.bogus", "1"], "unknown config key 'core.bogus'"),
        (["cache.link", "teleport"], "unknown value 'teleport'"),
        (["repro.executor", "cloud"], "unknown value 'cloud'"),
        (["doctor.audit_age_days", "0"], "not a positive number"),
        (["core.remote", "nowhere"], "no remote named 'nowhere'"),
        (["remote.x.endpoint_url", "http://h"], "no remote named 'x'"),
        (["remote.x.url", "ftp://h"], "unsupported remote URL scheme"),
        (["remote.x.colour", "red"], "unknown remote option 'colour'"),
        (["--unset", "repro.trace"], "repro.trace is not set"),
        (["--unset", "cache.link", "copy"], "--unset takes no value"),
        ([], "name a key"),
    ],
)
def test_mistakes_are_refused_with_nothing_written(
    repo: Path, args: list[str], complaint: str
) -> None:
    before = disk_state(repo)
    proc = solvent(repo, "config", *args)
    assert_user_error(proc, complaint)
    assert proc.returncode == 2
    assert disk_state(repo) == before


@needs_dvc
def test_list_reads_like_dvcs(tmp_path: Path, repo: Path) -> None:
    theirs = dvc_repo(tmp_path / "theirs")
    for root, run in ((theirs, dvc_ok), (repo, solvent_ok)):
        run(root, "config", "remote.origin.url", "/tmp/store")
        run(root, "config", "core.remote", "origin")
        assert run(root, "config", "core.remote") == "origin\n"
    ours = set(solvent_ok(repo, "config", "--list").splitlines()) - {"cache.link=reflink,copy"}
    assert ours == set(dvc_ok(theirs, "config", "--list").splitlines())
