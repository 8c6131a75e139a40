"""The ledger on a remote: one immutable JSON document per run, ``runs/<run_id>.json``.

Runs are never rewritten, so teammates pushing at the same time only ever add different
files; a fetch downloads the documents this ledger lacks and inserts them in one transaction.
"""

from __future__ import annotations

import os
import uuid

from solvent.runs.ledger import Ledger, RunRecord
from solvent.storage.remote import RemoteStore, _retry

PREFIX = "runs"


def _folder(remote: RemoteStore) -> str:
    return f"{remote.root}/{PREFIX}"


def remote_run_ids(remote: RemoteStore) -> set[str]:
    try:
        listed = _retry(lambda: remote.fs.ls(_folder(remote), detail=False))
    except FileNotFoundError:
        return set()
    names = (str(p).rstrip("/").rsplit("/", 1)[-1] for p in listed)
    return {n.removesuffix(".json") for n in names if n.endswith(".json")}


def push_runs(ledger: Ledger, remote: RemoteStore) -> int:
    """Send the runs the remote lacks; returns how many were sent."""
    todo = [r for r in ledger.runs() if r.run_id not in remote_run_ids(remote)]
    for record in todo:
        _put(remote, record)
    return len(todo)


def _put(remote: RemoteStore, record: RunRecord) -> None:
    dest = f"{_folder(remote)}/{record.run_id}.json"
    data = record.to_json()
    if not remote.local:
        _retry(lambda: remote.fs.pipe_file(dest, data))
        return
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    tmp = f"{dest}.{uuid.uuid4().hex[:8]}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, dest)  # a reader never sees half a record


def fetch_runs(ledger: Ledger, remote: RemoteStore) -> int:
    """Merge the remote's runs into the ledger; returns how many were new here. A document
    that does not parse, or names another run than its file, is skipped."""
    missing = sorted(remote_run_ids(remote) - ledger.run_ids())
    records = []
    for run_id in missing:
        path = f"{_folder(remote)}/{run_id}.json"
        try:
            record = RunRecord.from_json(_retry(lambda p=path: remote.fs.cat_file(p)))  # type: ignore[misc]
        except (ValueError, TypeError, OSError):
            continue
        if record.run_id == run_id:
            records.append(record)
    return ledger.add(records) if records else 0
