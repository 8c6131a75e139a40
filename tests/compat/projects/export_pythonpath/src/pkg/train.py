import json
from pathlib import Path

import settings  # at the repo root: found through the empty PYTHONPATH entry
import text
import yaml

params = yaml.safe_load(Path("params.yaml").read_text())["train"]
counts = json.loads(Path("features.json").read_text())
ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: params["top"]]
vocab = {w: i for i, (w, _) in enumerate(ranked)}
assert all(text.words(w, 1) == [w] for w in vocab)
out = Path(settings.MODEL_DIR)
out.mkdir(exist_ok=True)
(out / "vocab.json").write_text(json.dumps(vocab, indent=1) + "\n")
