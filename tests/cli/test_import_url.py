"""``solvent import-url``: data from a path, S3 (a real S3 API on 127.0.0.1) or HTTP, tracked
with its etag or checksum; ``update`` fetches it again only when the source changed."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import yaml

from tests.helpers import (
    assert_user_error,
    blake3_id,
    disk_state,
    make_folder,
    read_files,
    solvent,
    solvent_ok,
    write,
)

UP_TO_DATE = "Tracked data is up to date.\n"


def source_of(pointer: Path) -> dict[str, object]:
    doc = yaml.safe_load(pointer.read_text())
    assert isinstance(doc["source"], dict)
    return doc["source"]


def test_a_local_file_is_tracked_with_its_checksum_and_updated_when_it_changes(
    repo: Path, tmp_path: Path
) -> None:
    src = write(tmp_path / "shared" / "prices.csv", "a,b\n1,2\n")
    out = solvent_ok(repo, "import-url", str(src), "data/prices.csv")
    assert "data/prices.csv.solvent" in out
    assert (repo / "data" / "prices.csv").read_text() == "a,b\n1,2\n"
    assert source_of(repo / "data" / "prices.csv.solvent") == {
        "url": "../shared/prices.csv",  # relative to the repo: a clone beside it finds it
        "checksum": blake3_id(b"a,b\n1,2\n"),
        "size": 8,
    }
    assert solvent_ok(repo, "status") == UP_TO_DATE

    pointer_before = (repo / "data" / "prices.csv.solvent").read_bytes()
    assert "up to date" in solvent_ok(repo, "update")
    assert (repo / "data" / "prices.csv.solvent").read_bytes() == pointer_before

    write(src, "a,b\n1,2\n3,4\n")
    assert "data/prices.csv: updated" in solvent_ok(repo, "update", "data/prices.csv")
    assert (repo / "data" / "prices.csv").read_text() == "a,b\n1,2\n3,4\n"
    assert source_of(repo / "data" / "prices.csv.solvent")["checksum"] == blake3_id(
        b"a,b\n1,2\n3,4\n"
    )
    assert solvent_ok(repo, "status") == UP_TO_DATE


def test_a_local_folder_follows_its_source(repo: Path, tmp_path: Path) -> None:
    src = make_folder(tmp_path / "images", {"a.txt": "a\n", "sub/b.txt": "b\n"})
    solvent_ok(repo, "import-url", str(src))
    assert read_files(repo / "images") == read_files(src)
    assert "up to date" in solvent_ok(repo, "update")
    write(src / "sub" / "c.txt", "c\n")
    assert "images: updated" in solvent_ok(repo, "update")
    assert read_files(repo / "images") == read_files(src)


def test_local_edits_are_kept_unless_forced(repo: Path, tmp_path: Path) -> None:
    src = write(tmp_path / "raw.txt", "v1\n")
    solvent_ok(repo, "import-url", str(src), "raw.txt")
    write(src, "v2\n")
    write(repo / "raw.txt", "mine\n")
    before = disk_state(repo, with_state=False)
    assert_user_error(solvent(repo, "update"), "raw.txt was changed here")
    assert disk_state(repo, with_state=False) == before
    solvent_ok(repo, "update", "--force")
    assert (repo / "raw.txt").read_text() == "v2\n"


def test_bad_sources_and_destinations_change_nothing(repo: Path, tmp_path: Path) -> None:
    write(repo / "taken.txt", "here\n")
    src = write(tmp_path / "x.txt", "x\n")
    before = disk_state(repo, with_state=False)
    assert_user_error(solvent(repo, "import-url", str(tmp_path / "nope.txt")), "no such file")
    assert_user_error(solvent(repo, "import-url", str(src), "taken.txt"), "already exists")
    assert disk_state(repo, with_state=False) == before


def test_an_s3_object_is_tracked_with_its_etag(
    repo: Path, s3_bucket: str, s3_endpoint: str
) -> None:
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    bucket = s3_bucket.removeprefix("s3://")
    s3.put_object(Bucket=bucket, Key="raw/train.csv", Body=b"x,y\n1,2\n")
    etag = s3.head_object(Bucket=bucket, Key="raw/train.csv")["ETag"].strip('"')
    solvent_ok(repo, "import-url", f"{s3_bucket}/raw/train.csv", "train.csv")
    assert (repo / "train.csv").read_bytes() == b"x,y\n1,2\n"
    source = source_of(repo / "train.csv.solvent")
    assert source["url"] == f"{s3_bucket}/raw/train.csv" and source["etag"] == etag
    assert "up to date" in solvent_ok(repo, "update")

    s3.put_object(Bucket=bucket, Key="raw/train.csv", Body=b"x,y\n1,2\n5,6\n")
    assert "train.csv: updated" in solvent_ok(repo, "update")
    assert (repo / "train.csv").read_bytes() == b"x,y\n1,2\n5,6\n"
    assert source_of(repo / "train.csv.solvent")["etag"] != etag
    assert solvent_ok(repo, "status") == UP_TO_DATE


def test_an_s3_prefix_is_imported_as_a_folder_and_followed(
    repo: Path, s3_bucket: str, s3_endpoint: str
) -> None:
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    bucket = s3_bucket.removeprefix("s3://")
    for key in ("shards/a.txt", "shards/sub/b.txt"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    solvent_ok(repo, "import-url", f"{s3_bucket}/shards", "shards")
    assert read_files(repo / "shards") == {
        "a.txt": (b"shards/a.txt", False),
        "sub/b.txt": (b"shards/sub/b.txt", False),
    }
    assert "up to date" in solvent_ok(repo, "update")
    s3.put_object(Bucket=bucket, Key="shards/c.txt", Body=b"new")
    assert "shards: updated" in solvent_ok(repo, "update")
    assert (repo / "shards" / "c.txt").read_bytes() == b"new"
    assert solvent_ok(repo, "status") == UP_TO_DATE


def test_a_versioned_s3_object_records_its_version(
    repo: Path, s3_bucket: str, s3_endpoint: str
) -> None:
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    bucket = s3_bucket.removeprefix("s3://")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    put = s3.put_object(Bucket=bucket, Key="model.bin", Body=b"\x00weights")
    solvent_ok(repo, "import-url", f"{s3_bucket}/model.bin")
    assert source_of(repo / "model.bin.solvent")["version_id"] == put["VersionId"]


def test_a_missing_s3_object_is_a_clear_error(repo: Path, s3_bucket: str) -> None:
    before = disk_state(repo, with_state=False)
    proc = solvent(repo, "import-url", f"{s3_bucket}/absent.csv")
    assert_user_error(proc, "absent.csv", "not found")
    assert disk_state(repo, with_state=False) == before


@pytest.fixture
def http_folder(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1 (no ETag headers: Python's plain server)."""
    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_http_file_without_an_etag_is_followed_by_its_checksum(
    repo: Path, http_folder: tuple[Path, str]
) -> None:
    folder, url = http_folder
    write(folder / "labels.txt", "cat\ndog\n")
    solvent_ok(repo, "import-url", f"{url}/labels.txt")
    assert (repo / "labels.txt").read_text() == "cat\ndog\n"
    assert source_of(repo / "labels.txt.solvent")["checksum"] == blake3_id(b"cat\ndog\n")
    assert "up to date" in solvent_ok(repo, "update")
    write(folder / "labels.txt", "cat\ndog\nbird\n")
    assert "labels.txt: updated" in solvent_ok(repo, "update")
    assert (repo / "labels.txt").read_text() == "cat\ndog\nbird\n"
