"""Property: any folder survives add → delete → checkout, byte for byte, with the same id."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from solvent.api import Repo
from solvent.tracking.status import DataState
from tests.helpers import read_files

FileSpec = tuple[bytes, bool]  # content, executable

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789_-.", min_size=1, max_size=12)
safe_names = names.filter(lambda n: n not in (".", "..") and not n.endswith(".solvent"))
files = st.tuples(st.binary(max_size=3000), st.booleans())
nodes = st.recursive(
    files, lambda children: st.dictionaries(safe_names, children, max_size=4), max_leaves=25
)
folders = st.dictionaries(safe_names, nodes, min_size=1, max_size=6)


def build(folder: Path, spec: dict[str, object]) -> dict[str, FileSpec]:
    """Create ``spec`` under ``folder``; returns every file it holds by relative path."""
    folder.mkdir(parents=True, exist_ok=True)
    made: dict[str, FileSpec] = {}
    for name, node in spec.items():
        path = folder / name
        if isinstance(node, dict):
            made.update({f"{name}/{k}": v for k, v in build(path, node).items()})
        else:
            assert isinstance(node, tuple)
            data, executable = node
            path.write_bytes(data)
            path.chmod(0o755 if executable else 0o644)
            made[name] = (data, executable)
    return made


def new_repo(root: Path) -> Repo:
    root.mkdir()
    return Repo.init(root, no_git=True)


@settings(max_examples=25, deadline=None)
@given(folders)
def test_any_folder_round_trips(spec: dict[str, object]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp).resolve()
        repo = new_repo(base / "one")
        data = repo.root / "data"
        expected = build(data, spec)

        (added,) = repo.add([str(data)])
        assert added.files == len(expected)
        assert added.size == sum(len(content) for content, _x in expected.values())

        shutil.rmtree(data)
        (missing,) = repo.status()
        assert missing.state is DataState.MISSING
        repo.checkout()
        assert read_files(data) == expected
        (after,) = repo.status()
        assert (after.state, after.in_cache) == (DataState.UNCHANGED, True)

        # The id depends on content alone: another repo, another time, the same id.
        other = new_repo(base / "two")
        build(other.root / "data", spec)
        (again,) = other.add([str(other.root / "data")])
        assert again.id == added.id


@settings(max_examples=25, deadline=None)
@given(files)
def test_any_single_file_round_trips(spec: FileSpec) -> None:
    content, executable = spec
    with tempfile.TemporaryDirectory() as tmp:
        repo = new_repo(Path(tmp).resolve() / "r")
        path = repo.root / "model.bin"
        path.write_bytes(content)
        path.chmod(0o755 if executable else 0o644)
        (added,) = repo.add([str(path)])
        assert (added.kind, added.files, added.size) == ("file", 1, len(content))
        os.unlink(path)
        repo.checkout()
        assert read_files(path) == {"": spec}
