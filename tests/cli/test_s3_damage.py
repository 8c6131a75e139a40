"""Bytes damaged between S3 and the cache (issue 16, finding 6): damage in transit is asked for
again, like any transient error; a copy damaged on the remote itself is refused, and the
message says which remote and key hold it instead of "run the command again"."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import boto3

from tests.helpers import (
    bad_objects,
    blake3_id,
    git,
    make_folder,
    read_files,
    solvent,
    solvent_ok,
    write,
)
from tests.s3proxy import damaging_proxy

FILES = {f"part{i}/f{j}.txt": f"{i}-{j}\n" * 20 for i in range(2) for j in range(10)}


def _pushed_clone(repo: Path, tmp_path: Path, bucket: str) -> Path:
    make_folder(repo / "data", FILES)
    (repo / "one.txt").write_text("precious\n")
    tracked = ["big.bin"] if (repo / "big.bin").exists() else []
    solvent_ok(repo, "add", "data", "one.txt", *tracked)
    solvent_ok(repo, "remote", "add", "--default", "origin", f"{bucket}/store")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "data")
    solvent_ok(repo, "push")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    return clone


def _key(oid: str) -> str:
    digest = oid.split(":")[1]
    return f"store/blake3/{digest[:2]}/{digest[2:]}"


def test_a_get_damaged_in_transit_is_retried(
    repo: Path, tmp_path: Path, s3_bucket: str, s3_endpoint: str
) -> None:
    clone = _pushed_clone(repo, tmp_path, s3_bucket)
    oid = blake3_id(FILES["part1/f3.txt"].encode())
    with damaging_proxy(s3_endpoint, _key(oid)) as (proxy, damage):
        out = solvent_ok(clone, "pull", env={"AWS_ENDPOINT_URL": proxy})
    assert damage.done == 1 and damage.gets >= 2, damage  # damaged once, then asked again
    assert "object(s)" in out
    assert read_files(clone / "data") == read_files(repo / "data")
    assert bad_objects(clone) == []


def test_a_single_file_get_damaged_in_transit_is_retried(
    repo: Path, tmp_path: Path, s3_bucket: str, s3_endpoint: str
) -> None:
    clone = _pushed_clone(repo, tmp_path, s3_bucket)
    oid = blake3_id(b"precious\n")
    with damaging_proxy(s3_endpoint, _key(oid), damage=2) as (proxy, damage):
        solvent_ok(clone, "pull", "one.txt", env={"AWS_ENDPOINT_URL": proxy})
    assert damage.done == 2 and damage.gets == 3, damage
    assert (clone / "one.txt").read_text() == "precious\n"
    assert bad_objects(clone) == []


def test_a_copy_damaged_on_the_remote_names_remote_and_key(
    repo: Path, tmp_path: Path, s3_bucket: str, s3_endpoint: str
) -> None:
    clone = _pushed_clone(repo, tmp_path, s3_bucket)
    oid = blake3_id(b"precious\n")
    bucket = s3_bucket.removeprefix("s3://")
    boto3.client("s3", endpoint_url=s3_endpoint).put_object(
        Bucket=bucket, Key=_key(oid), Body=b"tampered\n"
    )
    proc = solvent(clone, "pull")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert f"{s3_bucket}/store" in proc.stderr and f"{bucket}/{_key(oid)}" in proc.stderr
    assert "corrupt" in proc.stderr and "push them again" in proc.stderr
    assert "run the command again" not in proc.stderr
    assert not (clone / "one.txt").exists()
    assert bad_objects(clone) == []
    solvent_ok(clone, "pull", "data")  # what is sound on the remote still comes
    assert read_files(clone / "data") == read_files(repo / "data")


def test_a_large_object_damaged_in_transit_is_downloaded_again(
    repo: Path, tmp_path: Path, s3_bucket: str, s3_endpoint: str
) -> None:
    """Objects of 16 MiB and more are streamed in ranged GETs (no response checksum): the
    blake3 check at the end finds the damage, and the whole object is asked for again."""
    big = os.urandom(17 << 20)
    write(repo / "big.bin", big)
    clone = _pushed_clone(repo, tmp_path, s3_bucket)
    with damaging_proxy(s3_endpoint, _key(blake3_id(big))) as (proxy, damage):
        solvent_ok(clone, "pull", "big.bin", env={"AWS_ENDPOINT_URL": proxy})
    assert damage.done == 1 and damage.gets > 1, damage
    assert (clone / "big.bin").read_bytes() == big
    assert bad_objects(clone) == []
