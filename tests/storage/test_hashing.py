from __future__ import annotations

import os
from pathlib import Path

import pytest
from blake3 import blake3
from hypothesis import given, settings
from hypothesis import strategies as st

from solvent.storage.hashing import MMAP_THRESHOLD, hash_bytes, hash_file


def test_hash_bytes_is_blake3_with_its_algorithm() -> None:
    assert str(hash_bytes(b"")) == f"blake3:{blake3(b'').hexdigest()}"
    assert str(hash_bytes(b"abc")) == f"blake3:{blake3(b'abc').hexdigest()}"
    assert hash_bytes(b"abc") != hash_bytes(b"abd")


@pytest.mark.parametrize("size", [0, 1, MMAP_THRESHOLD - 1, MMAP_THRESHOLD, 3 * MMAP_THRESHOLD + 7])
def test_memory_mapped_path_equals_plain_path(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "f"
    path.write_bytes(data)
    expected = hash_bytes(data)
    # ``size`` picks the path: 0 forces a plain read, the threshold forces mmap + threads.
    assert hash_file(path, size=0) == expected
    assert hash_file(path, size=MMAP_THRESHOLD) == expected
    assert hash_file(path) == expected


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=4096))
def test_file_hash_equals_bytes_hash(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "f")
        path.write_bytes(data)
        assert hash_file(path) == hash_file(path, size=MMAP_THRESHOLD) == hash_bytes(data)
