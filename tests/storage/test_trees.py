from __future__ import annotations

import contextlib
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvent.storage.hashing import hash_bytes
from solvent.storage.ids import ObjectId
from solvent.storage.trees import FileRecord, Tree, TreeEntry, TreeLoader, flatten

A = ObjectId.from_digest("a" * 64)
B = ObjectId.from_digest("b" * 64)
C = ObjectId.from_digest("c" * 64)


def tree_doc(*rows: object) -> bytes:
    return json.dumps({"solvent-tree": 1, "entries": list(rows)}).encode()


def test_round_trip() -> None:
    tree = Tree(
        (
            TreeEntry("a.csv", "file", A, 10),
            TreeEntry("run.sh", "file", B, 3, executable=True),
            TreeEntry("sub", "tree", C, 200, files=7),
        )
    )
    again = Tree.from_bytes(tree.to_bytes())
    assert again == tree
    assert (again.size, again.files) == (213, 9)


def test_canonical_regardless_of_entry_order() -> None:
    entries = [TreeEntry("b", "file", A, 1), TreeEntry("a", "file", B, 2)]
    one = Tree(tuple(entries))
    other = Tree(tuple(reversed(entries)))
    assert one.to_bytes() == other.to_bytes()
    assert hash_bytes(one.to_bytes()) == hash_bytes(other.to_bytes())
    assert [e.name for e in Tree.from_bytes(one.to_bytes()).entries] == ["a", "b"]


def test_content_changes_the_bytes() -> None:
    base = Tree((TreeEntry("a", "file", A, 1),))
    for changed in (
        Tree((TreeEntry("a", "file", B, 1),)),
        Tree((TreeEntry("a", "file", A, 1, executable=True),)),
        Tree((TreeEntry("b", "file", A, 1),)),
    ):
        assert changed.to_bytes() != base.to_bytes()


def test_unicode_names_survive() -> None:
    tree = Tree((TreeEntry("données ünïcode 数据.csv", "file", A, 1),))
    assert Tree.from_bytes(tree.to_bytes()) == tree


@pytest.mark.parametrize(
    "name", ["", ".", "..", "a/b", "../x", "/abs", "nul\0byte", "x" * 256, "é" * 128]
)
def test_unsafe_names_are_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="unsafe name"):
        Tree.from_bytes(tree_doc([name, "file", str(A), 1, 0, 1]))


def test_a_name_twice_is_rejected() -> None:
    """Two entries of one name: which one would checkout write, and which would status see?"""
    with pytest.raises(ValueError, match=r"tree names 'x\.csv' twice"):
        Tree.from_bytes(
            tree_doc(["x.csv", "file", str(A), 1, 0, 1], ["x.csv", "tree", str(B), 1, 0, 1])
        )
    assert len(Tree.from_bytes(tree_doc(["x" * 255, "file", str(A), 1, 0, 1])).entries) == 1


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe not utf-8",
        b"not json",
        b"[]",
        b'{"entries": []}',
        b'{"solvent-tree": 2, "entries": []}',
        tree_doc(["a", "link", str(A), 1, 0, 1]),
        tree_doc(["a", "file", "sha1:" + "a" * 40, 1, 0, 1]),
        tree_doc(["a", "file", str(A), "big", 0, 1]),
        tree_doc(["a", "file", str(A), 1, 0]),
        tree_doc([["a"], "file", str(A), 1, 0, 1]),
        tree_doc(5),
        # Shapes that once escaped as TypeError, AttributeError or OverflowError.
        b'{"solvent-tree": 1, "entries": 5}',
        tree_doc(["a", "file", 5, 1, 0, 1]),
        tree_doc(["a", "file", str(A), None, 0, 1]),
        b'{"solvent-tree": 1, "entries": [["a", "file", "blake3:%s", 1e999, 0, 1]]}' % (b"a" * 64),
    ],
)
def test_what_is_not_a_tree_raises_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        Tree.from_bytes(data)


def test_flatten_lists_every_file_depth_first_in_order() -> None:
    leaf = Tree((TreeEntry("z", "file", A, 1), TreeEntry("y", "file", B, 2, True)))
    leaf_bytes = leaf.to_bytes()
    leaf_id = hash_bytes(leaf_bytes)
    top = Tree(
        (
            TreeEntry("a", "file", C, 3),
            TreeEntry("m", "tree", leaf_id, leaf.size, files=leaf.files),
            TreeEntry("n", "file", A, 1),
        )
    )
    objects = {leaf_id: leaf_bytes}
    reads: list[ObjectId] = []

    def read(oid: ObjectId) -> bytes:
        reads.append(oid)
        return objects[oid]

    loader = TreeLoader(read)
    expected = [
        FileRecord("a", C, 3, False),
        FileRecord("m/y", B, 2, True),
        FileRecord("m/z", A, 1, False),
        FileRecord("n", A, 1, False),
    ]
    top = Tree.from_bytes(top.to_bytes())  # entries come back sorted
    assert list(flatten(top, loader)) == expected
    assert list(flatten(top, loader)) == expected
    assert reads == [leaf_id]  # each tree object is parsed once


names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="/\0"),
    min_size=1,
    max_size=20,
).filter(lambda n: n not in (".", ".."))
digests = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64).map(ObjectId.from_digest)
entries = st.builds(
    TreeEntry,
    name=names,
    kind=st.sampled_from(["file", "tree"]),
    id=digests,
    size=st.integers(0, 2**62),
    executable=st.booleans(),
    files=st.integers(0, 10**9),
)


@settings(max_examples=50, deadline=None)
@given(st.lists(entries, max_size=12, unique_by=lambda e: e.name), st.randoms())
def test_any_tree_round_trips_and_is_canonical(rows: list[TreeEntry], rnd: random.Random) -> None:
    tree = Tree(tuple(sorted(rows, key=lambda e: e.name)))
    data = tree.to_bytes()
    assert Tree.from_bytes(data) == tree
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert Tree(tuple(shuffled)).to_bytes() == data


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda kids: (
        st.lists(kids, max_size=6) | st.dictionaries(st.text(max_size=5), kids, max_size=3)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_from_bytes_fails_only_with_value_error(entries_value: object) -> None:
    data = json.dumps({"solvent-tree": 1, "entries": entries_value}).encode()
    with contextlib.suppress(ValueError):
        Tree.from_bytes(data)
