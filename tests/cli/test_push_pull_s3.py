"""push / pull against a real S3 API (moto's server on 127.0.0.1)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest

from solvent.api import Repo
from tests.helpers import git, make_folder, read_files, solvent, solvent_ok

FILES = {f"part{i}/f{j}.txt": f"{i}-{j}\n" for i in range(3) for j in range(30)}


def test_two_clones_exchange_data_through_s3(repo: Path, tmp_path: Path, s3_bucket: str) -> None:
    make_folder(repo / "data", FILES)
    solvent_ok(repo, "add", "data")
    solvent_ok(repo, "remote", "add", "--default", "origin", f"{s3_bucket}/store")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "data")
    assert f"pushed {len(FILES) + 4} object(s)" in solvent_ok(repo, "push")
    assert "pushed 0 object(s)" in solvent_ok(repo, "push")  # the listing path (> 64 ids)

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    solvent_ok(clone, "pull")
    assert read_files(clone / "data") == read_files(repo / "data")


def test_a_corrupt_s3_object_is_refused(
    repo: Path, tmp_path: Path, s3_bucket: str, s3_endpoint: str
) -> None:
    (repo / "one.txt").write_text("precious\n")
    solvent_ok(repo, "add", "one.txt")
    solvent_ok(repo, "remote", "add", "--default", "origin", s3_bucket)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one")
    solvent_ok(repo, "push")
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    bucket = s3_bucket.removeprefix("s3://")
    (key,) = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    s3.put_object(Bucket=bucket, Key=key, Body=b"tampered\n")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    proc = solvent(clone, "pull")
    assert proc.returncode == 1 and "corrupt on the remote" in proc.stderr
    assert not (clone / "one.txt").exists()


def test_a_batched_s3_fetch_retries_transient_failures(
    repo: Path, tmp_path: Path, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_folder(repo / "data", FILES)
    solvent_ok(repo, "add", "data")
    solvent_ok(repo, "remote", "add", "--default", "origin", s3_bucket)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "data")
    solvent_ok(repo, "push")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)

    from s3fs import S3FileSystem

    real = S3FileSystem._cat_file
    calls = {"failed": 0}
    seen: set[str] = set()

    async def flaky(self: S3FileSystem, path: str, **kwargs: Any) -> bytes:
        # Every fifth object's first request fails. (Failing every fifth request instead
        # made one object fail all its tries now and then: its retries ran in step with
        # others', and landed on the fifth request each time.)
        if path not in seen:
            seen.add(path)
            if len(seen) % 5 == 0:
                calls["failed"] += 1
                raise ConnectionResetError("flaky remote: connection reset")
        data: bytes = await real(self, path, **kwargs)
        return data

    monkeypatch.setattr(S3FileSystem, "_cat_file", flaky)
    api = Repo(clone)
    report = api.fetch()
    assert report.failed == {} and report.moved == len(FILES) + 4
    assert calls["failed"] > 0
    api.checkout()
    assert read_files(clone / "data") == read_files(repo / "data")
