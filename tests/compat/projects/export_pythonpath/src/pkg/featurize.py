import json
from collections import Counter
from pathlib import Path

import text
import yaml

params = yaml.safe_load(Path("params.yaml").read_text())["featurize"]
counts: Counter[str] = Counter()
for line in Path("data/words.txt").read_text().splitlines():
    counts.update(text.words(line, params["min_length"]))
Path("features.json").write_text(json.dumps(dict(sorted(counts.items())), indent=1) + "\n")
