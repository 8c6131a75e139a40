"""``[doctor]`` in ``.solvent/config.toml``: findings a team has accepted, and limits.

[doctor]
ignore = ["dead-out:reports/extra.csv", "never-tuned-param"]   # code, or code:stage|file
audit_age_days = 90
"""

from __future__ import annotations

from pathlib import Path

from solvent.config import read_toml
from solvent.doctor.report import DoctorOptions
from solvent.errors import MalformedFileError


def load_options(dot: Path) -> DoctorOptions:
    section: dict[str, object] = {}
    for name in ("config.toml", "config.local.toml"):
        found = read_toml(dot / name).get("doctor", {})
        if not isinstance(found, dict):
            raise MalformedFileError(f"{dot / name}: doctor must be a table", "write [doctor]")
        section.update(found)
    where = dot / "config.toml"
    ignore = section.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(i, str) for i in ignore):
        raise MalformedFileError(
            f"{where}: doctor.ignore must be a list of strings",
            'e.g. ignore = ["dead-out:reports/extra.csv"]',
        )
    age = section.get("audit_age_days", 90)
    if isinstance(age, bool) or not isinstance(age, int | float) or age <= 0:
        raise MalformedFileError(f"{where}: doctor.audit_age_days must be a positive number")
    return DoctorOptions(audit_age_days=float(age), ignore=tuple(ignore))
