"""copy_fd with write-back copies every byte, in chunks, whatever the size."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from solvent.storage import fsutil


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 3 * 4096 + 17])
@pytest.mark.parametrize("write_back", [False, True])
def test_copy_fd_copies_every_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int, write_back: bool
) -> None:
    monkeypatch.setattr(fsutil, "WRITE_BACK_CHUNK", 4096)  # several chunks for small files
    calls: list[tuple[int, int]] = []
    real = fsutil.start_write_back

    def spy(fd: int, offset: int, length: int) -> None:
        calls.append((offset, length))
        real(fd, offset, length)

    monkeypatch.setattr(fsutil, "start_write_back", spy)
    data = os.urandom(size)
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.write_bytes(data)
    with open(src, "rb") as s, open(dst, "wb") as d:
        fsutil.copy_fd(s.fileno(), d.fileno(), write_back=write_back)
        os.fsync(d.fileno())
    assert dst.read_bytes() == data
    if write_back:  # each chunk was sent to the disk once, in order, covering the file
        assert [off for off, _n in calls] == list(range(0, size, 4096))
        assert sum(n for _off, n in calls) == size
    else:
        assert calls == []
