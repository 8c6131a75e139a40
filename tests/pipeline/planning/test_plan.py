"""The planner is pure: every reason is a typed value with a readable message."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from solvent.pipeline.planning.graph import build_graph
from solvent.pipeline.planning.lock import LockedPath, StageLock
from solvent.pipeline.planning.plan import StageState, Why, plan, stage_reasons
from solvent.storage.hashing import hash_bytes
from tests.pipeline.builders import P, pipeline, stage

A = LockedPath(P("a.csv"), hash_bytes(b"a"), 1)
A2 = LockedPath(P("a.csv"), hash_bytes(b"a2"), 2)
OUT = LockedPath(P("out.csv"), hash_bytes(b"out"), 3)
TRAIN = stage("train", "python train.py --lr 0.1", deps=("a.csv",), outs=("out.csv",),
              params=("train.lr",))  # fmt: skip
LOCKED = StageLock(TRAIN.cmd, (A,), {"params.yaml": {"train.lr": 0.1}}, (OUT,))


def state(dep: LockedPath | None = A, out: LockedPath | None = OUT, lr: object = 0.1) -> StageState:
    return StageState({P("a.csv"): dep}, {P("out.csv"): out}, {"params.yaml": {"train.lr": lr}})


def whys(reasons: tuple[object, ...]) -> list[Why]:
    return [r.why for r in reasons]  # type: ignore[attr-defined]


def test_up_to_date_has_no_reason() -> None:
    assert stage_reasons(TRAIN, LOCKED, state()) == ()


def test_each_reason_and_its_message() -> None:
    assert whys(stage_reasons(TRAIN, None, state())) == [Why.NEVER_RUN]
    (dep,) = stage_reasons(TRAIN, LOCKED, state(dep=A2))
    assert str(dep) == "dep a.csv changed"
    (param,) = stage_reasons(TRAIN, LOCKED, state(lr=0.2))
    assert str(param) == "param train.lr 0.1 → 0.2"
    (missing,) = stage_reasons(TRAIN, LOCKED, state(out=None))
    assert str(missing) == "out out.csv missing"
    modified = LockedPath(P("out.csv"), hash_bytes(b"edited"), 6)
    assert str(stage_reasons(TRAIN, LOCKED, state(out=modified))[0]) == "out out.csv modified"
    assert str(stage_reasons(TRAIN, LOCKED, state(dep=None))[0]) == "dep a.csv missing"
    assert whys(stage_reasons(TRAIN, LOCKED, state(), forced=True)) == [Why.FORCED]
    new_cmd = stage("train", "python train.py --lr 0.2", deps=("a.csv",), outs=("out.csv",),
                    params=("train.lr",))  # fmt: skip
    assert whys(stage_reasons(new_cmd, LOCKED, state())) == [Why.CMD_CHANGED]
    always = stage("train", TRAIN.cmd[0], deps=("a.csv",), outs=("out.csv",),
                   params=("train.lr",), always_changed=True)  # fmt: skip
    assert whys(stage_reasons(always, LOCKED, state())) == [Why.ALWAYS_CHANGED]


def test_downstream_of_a_stale_stage_is_marked_upstream_stale() -> None:
    first = stage("first", deps=("a.csv",), outs=("mid.csv",))
    second = stage("second", deps=("mid.csv",), outs=("end.csv",))
    graph = build_graph(pipeline(first, second))
    mid = LockedPath(P("mid.csv"), hash_bytes(b"m"), 1)
    end = LockedPath(P("end.csv"), hash_bytes(b"e"), 1)
    lock = {
        "first": StageLock(first.cmd, (A,), {}, (mid,)),
        "second": StageLock(second.cmd, (mid,), {}, (end,)),
    }
    states = {
        "first": StageState({P("a.csv"): A2}, {P("mid.csv"): mid}, {}),
        "second": StageState({P("mid.csv"): mid}, {P("end.csv"): end}, {}),
    }
    result = plan(graph, [first, second], lock, states)
    assert [p.stage.name for p in result.stale] == ["first", "second"]
    assert str(result.stages[1].reasons[0]) == "upstream stage first is stale"


def test_frozen_stage_is_never_stale() -> None:
    frozen = stage("train", TRAIN.cmd[0], deps=("a.csv",), outs=("out.csv",),
                   params=("train.lr",), frozen=True)  # fmt: skip
    graph = build_graph(pipeline(frozen))
    assert plan(graph, [frozen], {}, {"train": state()}).stale == []


scalars = st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=5), st.booleans())


@given(old=st.dictionaries(st.text(min_size=1, max_size=4), scalars, max_size=5),
       new=st.dictionaries(st.text(min_size=1, max_size=4), scalars, max_size=5))  # fmt: skip
def test_param_reasons_name_exactly_the_keys_that_differ(
    old: dict[str, object], new: dict[str, object]
) -> None:
    st_ = stage("s", params=tuple(new))
    locked = StageLock(st_.cmd, (), {"params.yaml": old}, ())
    reasons = stage_reasons(st_, locked, StageState({}, {}, {"params.yaml": new}))
    changed = {k for k in old.keys() | new.keys() if old.get(k, object()) != new.get(k, object())}
    # NaN-free scalars compare by value; 1 == 1.0 == True counts as unchanged, as in YAML.
    assert {r.subject for r in reasons} == changed
    assert all(r.why is Why.PARAM_CHANGED for r in reasons)


@given(st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_planner_is_pure_and_stale_iff_some_input_differs(
    dep_changed: bool, out_missing: bool, param_changed: bool, never_run: bool
) -> None:
    s = state(dep=A2 if dep_changed else A, out=None if out_missing else OUT,
              lr=0.5 if param_changed else 0.1)  # fmt: skip
    locked = None if never_run else LOCKED
    first = stage_reasons(TRAIN, locked, s)
    assert first == stage_reasons(TRAIN, locked, s)
    assert bool(first) == (dep_changed or out_missing or param_changed or never_run)


def test_a_section_param_names_the_leaf_that_changed() -> None:
    s = stage("train", params=("models.forest",))
    old = {"params.yaml": {"models.forest": {"n_estimators": 20, "max_depth": 3}}}
    new = {"params.yaml": {"models.forest": {"n_estimators": 200, "max_depth": 3}}}
    (reason,) = stage_reasons(s, StageLock(s.cmd, (), old, ()), StageState({}, {}, new))
    assert str(reason) == "param models.forest.n_estimators 20 → 200"
