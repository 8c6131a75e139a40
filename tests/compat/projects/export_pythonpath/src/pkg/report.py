"""Run as ``python3 -m report``: found only through PYTHONPATH."""

import json
from pathlib import Path

vocab = json.loads(Path("model/vocab.json").read_text())
report = {"vocab_size": len(vocab), "first": min(vocab, key=vocab.__getitem__)}
Path("report.json").write_text(json.dumps(report, indent=1) + "\n")
