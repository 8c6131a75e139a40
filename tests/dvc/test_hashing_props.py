"""Property: the two ways Solvent takes DVC's md5 (of bytes in memory, of a file read in
chunks) agree, for plain md5 and for DVC 2's md5-dos2unix, CRLFs at chunk borders included."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from solvent.dvc.hashing import CHUNK, bytes_md5, file_md5, is_text_block

pieces = st.sampled_from([b"a", b"\r\n", b"\r", b"\n", b"\x00", b"\xff" * 3, b"text line "])


@settings(max_examples=40, deadline=None)
@given(
    head=st.lists(pieces, max_size=40).map(b"".join),
    pad=st.integers(min_value=CHUNK - 3, max_value=CHUNK + 3),
    tail=st.lists(pieces, max_size=40).map(b"".join),
    legacy=st.booleans(),
)
def test_bytes_and_file_md5_agree(head: bytes, pad: int, tail: bytes, legacy: bool) -> None:
    data = head + b"x" * max(0, pad - len(head)) + tail
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f"
        path.write_bytes(data)
        assert file_md5(path, legacy) == bytes_md5(data, legacy)


def test_text_block_is_dvcs_heuristic() -> None:
    assert is_text_block(b"")
    assert is_text_block(b"plain text\r\n")
    assert not is_text_block(b"abc\x00")
    assert not is_text_block(bytes(range(128, 256)))
