from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from solvent.config import DEFAULT_CONFIG, LINK_TYPES, Config, load_config
from solvent.errors import MalformedFileError


@pytest.fixture
def dot(tmp_path: Path) -> Path:
    d = tmp_path / ".solvent"
    d.mkdir()
    return d


def test_no_config_file_means_defaults(dot: Path) -> None:
    assert load_config(dot) == Config(link=("reflink", "copy"))


def test_default_config_file_parses_to_defaults(dot: Path) -> None:
    (dot / "config.toml").write_text(DEFAULT_CONFIG)
    assert load_config(dot) == Config()
    # read without parsing when untouched: what it says must be what Config() holds
    assert tuple(tomllib.loads(DEFAULT_CONFIG)["cache"]["link"]) == Config().link
    (dot / "config.toml").write_text(DEFAULT_CONFIG + "\n")  # touched: parsed
    assert load_config(dot) == Config()


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ('[cache]\nlink = ["hardlink"]\n', ("hardlink",)),
        ('[cache]\nlink = ["symlink", "copy"]\n', ("symlink", "copy")),
        ('[cache]\nlink = "hardlink, copy"\n', ("hardlink", "copy")),
        ("[other]\nx = 1\n", ("reflink", "copy")),
    ],
)
def test_link_setting(dot: Path, text: str, link: tuple[str, ...]) -> None:
    (dot / "config.toml").write_text(text)
    assert load_config(dot).link == link


def test_local_config_overrides_shared_key_by_key(dot: Path) -> None:
    (dot / "config.toml").write_text('[cache]\nlink = ["hardlink"]\n')
    (dot / "config.local.toml").write_text('[cache]\nlink = ["copy"]\n')
    assert load_config(dot).link == ("copy",)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ('[cache]\nlink = ["hardlink", "teleport"]\n', "unknown link type 'teleport'"),
        ('[cache]\nlink = "bogus"\n', "unknown link type 'bogus'"),
        ("[cache]\nlink = []\n", "cache.link is empty"),
        ("[cache]\nlink = 3\n", "must be a list"),
        ('cache = "flat"\n', "cache must be a table"),
        ("[cache\nlink = 1\n", "line 1"),
    ],
)
def test_malformed_config_names_the_file(dot: Path, text: str, complaint: str) -> None:
    (dot / "config.toml").write_text(text)
    with pytest.raises(MalformedFileError, match=complaint) as caught:
        load_config(dot)
    assert "config.toml" in caught.value.message


def test_unknown_link_type_hint_lists_the_choices(dot: Path) -> None:
    (dot / "config.toml").write_text('[cache]\nlink = ["bogus"]\n')
    with pytest.raises(MalformedFileError) as caught:
        load_config(dot)
    assert caught.value.hint is not None
    assert all(kind in caught.value.hint for kind in LINK_TYPES)


def test_errors_in_the_local_config_name_that_file(dot: Path) -> None:
    (dot / "config.toml").write_text(DEFAULT_CONFIG)
    (dot / "config.local.toml").write_text('cache = "hardlink"\n')
    with pytest.raises(MalformedFileError, match=r"config\.local\.toml"):
        load_config(dot)
