"""The ``source`` of a pointer made by ``import-url``: read back as written, refused when
malformed, and compared the way ``update`` compares it."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from solvent.errors import MalformedFileError
from solvent.storage.ids import ObjectId
from solvent.tracking.import_url import same
from solvent.tracking.pointer import Pointer, UrlSource, parse_pointer

WHERE = PurePosixPath("raw.csv.solvent")
OID = ObjectId.from_digest("cd" * 32)


@pytest.mark.parametrize(
    "source",
    [
        UrlSource("s3://bucket/raw.csv", etag="9b2cf535f27731c974343645a3985328", size=12),
        UrlSource("s3://bucket/raw.csv", etag="abc", version_id="v-1"),
        UrlSource("../shared/raw.csv", checksum=str(OID), size=3),
    ],
)
def test_a_url_source_reads_back_as_written(source: UrlSource) -> None:
    pointer = Pointer(WHERE, PurePosixPath("raw.csv"), OID, "file", 3, 1, source=source)
    assert parse_pointer(WHERE, pointer.render().encode()) == pointer


@pytest.mark.parametrize(
    "body",
    ["source: {etag: abc}", "source: {url: s3://b/k, etag: 3}", "source: {url: x, size: yes}",
     "source: {url: x, colour: red}"],
)  # fmt: skip
def test_a_malformed_url_source_is_refused(body: str) -> None:
    text = f"path: raw.csv\nid: {OID}\nkind: file\nsize: 3\nfiles: 1\n{body}\n"
    with pytest.raises(MalformedFileError, match=r"raw\.csv\.solvent"):
        parse_pointer(WHERE, text.encode())


def test_update_compares_etag_and_version_else_checksum_else_cannot_tell() -> None:
    old = UrlSource("s3://b/k", etag="e1", version_id="v1")
    assert same(old, UrlSource("s3://b/k", etag="e1", version_id="v1")) is True
    assert same(old, UrlSource("s3://b/k", etag="e1", version_id="v2")) is False
    assert same(old, UrlSource("s3://b/k", etag="e2", version_id="v1")) is False
    local = UrlSource("a.csv", checksum="blake3:1")
    assert same(local, UrlSource("a.csv", checksum="blake3:1")) is True
    assert same(local, UrlSource("a.csv", checksum="blake3:2")) is False
    assert same(local, UrlSource("http://h/a.csv")) is None  # no etag: only the bytes tell
