"""Run by DVC's own Python: print, as JSON, how DVC resolves each project given as argument.

Kept to the facts the compatibility test compares: stage names, commands, wdir, deps, params,
outs (all repo-relative), flags, and the edges of DVC's stage graph.
"""

import json
import os
import sys

from dvc.repo import Repo


def describe(root: str) -> dict[str, object]:
    root = os.path.realpath(root)
    dot = os.path.join(root, ".dvc")
    if not os.path.isdir(dot):  # what `dvc init --no-scm` makes, without its chatter
        os.makedirs(dot)
        with open(os.path.join(dot, "config"), "w") as f:
            f.write("[core]\n    no_scm = True\n")
    repo = Repo(root)

    def rel(path: str) -> str:
        return os.path.relpath(path, root).replace(os.sep, "/")

    stages = []
    for s in repo.index.stages:
        deps, params = [], []
        for d in s.deps:
            if type(d).__name__ == "ParamsDependency":
                params.append([rel(d.fs_path), list(dict.fromkeys(d.params)) or None])
            else:
                deps.append(rel(d.fs_path))
        outs = [
            [
                rel(o.fs_path),
                "metric" if o.metric else "plot" if o.plot else "out",
                o.use_cache,
                o.persist,
            ]
            for o in s.outs
        ]
        stages.append(
            {
                "name": s.name,
                "cmd": s.cmd,
                "wdir": rel(s.wdir),
                "deps": deps,
                "params": params,
                "outs": outs,
                "frozen": s.frozen,
                "always_changed": s.always_changed,
                "desc": s.desc,
            }
        )
    edges = sorted([b.name, a.name] for a, b in repo.index.graph.edges)
    return {"stages": stages, "edges": edges}


def main() -> None:
    out = {}
    for root in sys.argv[1:]:
        try:
            out[root] = describe(root)
        except Exception as e:  # reported per project, so one failure does not hide others
            out[root] = {"error": f"{type(e).__name__}: {e}"}
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
