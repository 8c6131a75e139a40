"""The demo project, once its debts are paid, gives the doctor nothing to report.

The demo (demo/run_demo.py) runs end to end in a temporary folder: its step 17 requires
``solvent doctor --fail-on warning`` to exit 3 on the project as first built, and its last step
requires exit 0 once the debts are paid. This test then reads the final report itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import solvent

DEMO = Path(__file__).resolve().parents[2] / "demo" / "run_demo.py"


def test_the_cleaned_demo_project_has_no_findings(tmp_path: Path) -> None:
    project = tmp_path / "demo-project"
    env = {**os.environ, "SOLVENT_DEMO_DIR": str(project)}
    proc = subprocess.run(
        [sys.executable, str(DEMO)], env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "No debt found" in proc.stdout
    report = solvent(project, "doctor", "--json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["findings"] == []
    assert (project / "doctor.html").is_file()
