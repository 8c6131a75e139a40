"""Small builders for pipeline values, so tests read like the yaml they stand for."""

from __future__ import annotations

from pathlib import PurePosixPath

from solvent.pipeline.spec.model import Out, ParamRef, Pipeline, Stage

P = PurePosixPath


def stage(
    name: str,
    cmd: str = "true",
    deps: tuple[str, ...] = (),
    outs: tuple[str, ...] = (),
    params: tuple[str, ...] = (),
    **kw: object,
) -> Stage:
    return Stage(
        name=name,
        cmd=(cmd,),
        wdir=P("."),
        deps=tuple(P(d) for d in deps),
        outs=tuple(Out(P(o)) for o in outs),
        params=tuple(ParamRef(P("params.yaml"), k) for k in params),
        **kw,  # type: ignore[arg-type]
    )


def pipeline(*stages: Stage) -> Pipeline:
    return Pipeline(P("solvent.yaml"), stages)
