"""Drift between a reference and a current table: per column, Evidently's default test.

Reference of at most ``SMALL_REFERENCE`` rows: KS for numeric columns, chi-square for
categorical ones, the z-test for a column of two values, at p < 0.05. Larger: Wasserstein
distance normed by the reference's std for numeric columns, Jensen-Shannon distance for
categorical ones, at ≥ 0.1. A numeric column with at most five distinct values is tested as
categorical. PSI is reported beside every test. The dataset drifts when at least half of the
tested columns do. Statistics come from scipy on the columns' actual values.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from solvent.errors import DataError, UsageError
from solvent.health.profile import dtype_name, kind_of
from solvent.health.read import Tabular, columns_of
from solvent.health.schema import SchemaDiff, schema_diff
from solvent.health.stattests import TESTS, TestResult, category_counts, psi

SMALL_REFERENCE = 1000
FEW_VALUES = 5
DRIFT_SHARE = 0.5
ROW_CHANGE = 0.1
PLOT_BINS = 30
PLOT_CATEGORIES = 20
TAIL_RATIO = 3.0  # range / central 98% above which a column's chart uses quantile bins


@dataclass(frozen=True, slots=True)
class DriftOptions:
    tests: dict[str, str] = field(default_factory=dict)  # column → test name
    thresholds: dict[str, float] = field(default_factory=dict)  # column → threshold
    drift_share: float = DRIFT_SHARE


@dataclass(frozen=True, slots=True)
class Plot:
    """Shares per bin (``edges``) or per category (``labels``) on each side.

    ``bins`` says how numeric bins were cut: ``equal`` widths, ``integer`` (whole numbers,
    each bin the same count of them), or ``quantile`` (each bin an equal share of the
    reference: a long tail does not squeeze the rest into one bar). Categories are the
    ``PLOT_CATEGORIES`` most frequent of ``categories``."""

    edges: tuple[float, ...] | None
    labels: tuple[str, ...] | None
    reference: tuple[float, ...]
    current: tuple[float, ...]
    bins: str = "categories"  # equal | integer | quantile | categories
    categories: int = 0  # distinct categories in both tables (a categorical plot)


@dataclass(frozen=True, slots=True)
class ColumnDrift:
    name: str
    kind: str  # numeric | categorical, as tested; or the skipped column's kind
    test: str | None
    statistic: float | None
    measure: str | None  # p_value (drifts below the threshold) or distance (at or above)
    threshold: float | None
    drifted: bool
    psi: float | None
    missing: tuple[float, float]  # share of missing values: reference, current
    skipped: str | None = None
    plot: Plot | None = None
    infinite: tuple[float, float] = (0.0, 0.0)  # share of ±inf: left out of the statistics
    retyped: str | None = None  # "float64 → string": compared on the numbers both convert to


@dataclass(frozen=True, slots=True)
class Side:
    label: str
    rows: int
    columns: int


@dataclass(frozen=True, slots=True)
class DriftReport:
    reference: Side
    current: Side
    schema: SchemaDiff
    row_change: float  # (current - reference) / reference
    row_alert: bool  # the row count moved by more than 10%
    columns: tuple[ColumnDrift, ...]
    tested: int
    drifted: int
    drift_share: float
    dataset_drift: bool

    @property
    def drifted_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.drifted]


def drift(reference: Tabular, current: Tabular, options: DriftOptions | None = None) -> DriftReport:
    options = options or DriftOptions()
    ref, cur = columns_of(reference, "reference"), columns_of(current, "current")
    ref_label, cur_label = ref.label, cur.label
    common = [n for n in ref.column_names if n in cur.column_names]
    if not common:
        raise DataError(
            f"{ref_label} and {cur_label} have no column in common",
            f"columns are matched by name; {ref_label} has {', '.join(ref.column_names[:8])}",
        )
    _check_options(options, common)
    schema = schema_diff(
        [(f.name, dtype_name(f.type)) for f in ref.schema],
        [(f.name, dtype_name(f.type)) for f in cur.schema],
    )
    small = ref.num_rows <= SMALL_REFERENCE

    def one(name: str) -> ColumnDrift:
        return _column(name, ref.column(name), cur.column(name), small, options)

    # numpy and scipy sort without the GIL: columns are tested side by side.
    with warnings.catch_warnings(), ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        warnings.simplefilter("ignore", RuntimeWarning)  # e.g. ks_2samp's asymptotic fallback
        columns = tuple(pool.map(one, common))
    tested = [c for c in columns if c.skipped is None]
    drifted = sum(c.drifted for c in tested)
    share = drifted / len(tested) if tested else 0.0
    row_change = (cur.num_rows - ref.num_rows) / ref.num_rows
    return DriftReport(
        reference=Side(ref_label, ref.num_rows, ref.num_columns),
        current=Side(cur_label, cur.num_rows, cur.num_columns),
        schema=schema,
        row_change=row_change,
        row_alert=abs(row_change) > ROW_CHANGE,
        columns=columns,
        tested=len(tested),
        drifted=drifted,
        drift_share=share,
        dataset_drift=bool(tested) and share >= options.drift_share,
    )


def _check_options(options: DriftOptions, common: list[str]) -> None:
    for column in [*options.tests, *options.thresholds]:
        if column not in common:
            raise UsageError(
                f"no column {column!r} in both tables",
                f"the columns in common are: {', '.join(common[:20])}",
            )
    for column, name in options.tests.items():
        if name not in TESTS:
            raise UsageError(
                f"unknown test {name!r} for column {column!r}",
                f"choose one of: {', '.join(TESTS)}",
            )


def _column(
    name: str, ref: pa.ChunkedArray, cur: pa.ChunkedArray, small: bool, options: DriftOptions
) -> ColumnDrift:
    retyped = None
    kinds = {kind_of(ref.type), kind_of(cur.type)}
    if kinds == {"numeric", "categorical"}:
        # A retype (float → string, say): the same values may print differently ("1.0" and
        # "1"), so text is compared as numbers, and only when every value converts.
        retyped = f"{dtype_name(ref.type)} → {dtype_name(cur.type)}"
        ref, cur = _as_numbers(ref), _as_numbers(cur)
        if ref is None or cur is None:
            why = f"retyped {retyped}, and its values are not all numbers: not compared"
            return _skipped(name, "categorical", (0.0, 0.0), why, retyped)
        kinds = {"numeric"}
    missing = (_missing_share(ref), _missing_share(cur))
    infinite = (_infinite_share(ref), _infinite_share(cur))
    if kinds & {"datetime", "other"}:
        kind = "datetime" if "datetime" in kinds else "other"
        return _skipped(name, kind, missing, f"{kind} columns are not tested")
    numeric = kinds == {"numeric"}
    if numeric:
        a, b = _numbers(ref), _numbers(cur)
        labels = None
    else:
        a, b, labels = _codes(ref, cur)
    if not len(a) or not len(b):
        side = "reference" if not len(a) else "current"
        return _skipped(name, "numeric" if numeric else "categorical", missing,
                        f"no finite values in the {side}", retyped, infinite)  # fmt: skip
    chosen = options.tests.get(name)
    few = numeric and _few_values(a, b)
    # A numeric column of few values is categorical, unless a numeric-only test was asked for.
    categorical = not numeric or (few and (chosen is None or TESTS[chosen][2]))
    test = chosen or _default_test(categorical, small, a, b)
    run, default, takes_categories = TESTS[test]
    if categorical and not takes_categories:
        raise UsageError(
            f"the {test} test needs a numeric column; {name!r} is tested as categorical",
            "choose chisquare, z, jensenshannon or psi for it",
        )
    if numeric and not few and test in ("chisquare", "z"):
        raise UsageError(
            f"the {test} test counts categories; {name!r} is numeric with more than "
            f"{FEW_VALUES} distinct values, so every value would be a category of its own",
            "choose ks, wasserstein or psi for it",
        )
    threshold = options.thresholds.get(name, default)
    try:
        result: TestResult = run(a, b, threshold, categorical)
    except ValueError as e:
        raise UsageError(f"column {name!r}: {e}") from None
    return ColumnDrift(
        name=name,
        kind="categorical" if categorical else "numeric",
        test=result.test,
        statistic=result.statistic,
        measure=result.measure,
        threshold=threshold,
        drifted=result.drifted,
        psi=psi(a, b, 0.1, categorical).statistic,
        missing=missing,
        plot=_plot(a, b, labels, categorical),
        infinite=infinite,
        retyped=retyped,
    )


def _default_test(categorical: bool, small: bool, a: np.ndarray, b: np.ndarray) -> str:
    if not small:
        return "jensenshannon" if categorical else "wasserstein"
    if not categorical:
        return "ks"
    return "z" if len(category_counts(a, b)[0]) <= 2 else "chisquare"


def _skipped(
    name: str,
    kind: str,
    missing: tuple[float, float],
    why: str,
    retyped: str | None = None,
    infinite: tuple[float, float] = (0.0, 0.0),
) -> ColumnDrift:
    return ColumnDrift(
        name, kind, None, None, None, None, False, None, missing, why,
        infinite=infinite, retyped=retyped,
    )  # fmt: skip


def _as_numbers(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """``column`` as float64 if every value converts (text parsed as numbers); else None."""
    if kind_of(column.type) == "numeric":
        return column.cast(pa.float64())
    try:
        return pc.cast(pc.utf8_trim_whitespace(column.cast(pa.string())), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _infinite_share(column: pa.ChunkedArray) -> float:
    if not pa.types.is_floating(column.type) or not len(column):
        return 0.0
    return int(pc.sum(pc.is_inf(column)).as_py() or 0) / len(column)


def _missing_share(column: pa.ChunkedArray) -> float:
    missing = column.null_count
    if pa.types.is_floating(column.type):
        missing += int(pc.sum(pc.is_nan(column)).as_py() or 0)
    return missing / len(column) if len(column) else 0.0


def _numbers(column: pa.ChunkedArray) -> np.ndarray:
    values = np.asarray(pc.drop_null(column).to_numpy(), dtype=np.float64)
    return values[np.isfinite(values)]  # NaN is missing; ±inf is counted apart


def _codes(ref: pa.ChunkedArray, cur: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Both sides as integer codes of one shared dictionary, and the dictionary as text."""
    parts = [pc.drop_null(c).cast(pa.string()).combine_chunks() for c in (ref, cur)]
    encoded = pc.dictionary_encode(pa.concat_arrays(parts))
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return codes[: len(parts[0])], codes[len(parts[0]) :], encoded.dictionary.to_pylist()


def _few_values(a: np.ndarray, b: np.ndarray) -> bool:
    """At most ``FEW_VALUES`` distinct values on both sides together (a prefix answers 'no'
    for most numeric columns without sorting them whole)."""
    head = np.concatenate([a[:4096], b[:4096]])
    if len(np.unique(head)) > FEW_VALUES:
        return False
    return len(np.unique(np.concatenate([a, b]))) <= FEW_VALUES


def _plot(a: np.ndarray, b: np.ndarray, labels: list[str] | None, categorical: bool) -> Plot:
    if not categorical:
        edges, kind = _plot_edges(a, b)
        ha, hb = np.histogram(a, edges)[0] / len(a), np.histogram(b, edges)[0] / len(b)
        return Plot(tuple(edges.tolist()), None, tuple(ha.tolist()), tuple(hb.tolist()), kind)
    counts_a, counts_b = category_counts(a, b)
    # Text arrives as codes of one dictionary, each of which occurs; numbers as themselves.
    names = labels if labels is not None else [_number(v) for v in np.union1d(a, b)]
    ca, cb = counts_a / len(a), counts_b / len(b)
    order = np.argsort(-(ca + cb), kind="stable")[:PLOT_CATEGORIES]
    return Plot(
        None,
        tuple(names[i] for i in order),
        tuple(ca[order].tolist()),
        tuple(cb[order].tolist()),
        categories=len(ca),
    )


def _plot_edges(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, str]:
    """Bin edges for a numeric column's chart (not its statistics).

    Whole numbers get bins of a whole count of values, centred on them (30 equal bins over
    0..99 would hold 3 or 4 values each, a saw-tooth). A long tail, where the range is more
    than ``TAIL_RATIO`` times the central 98%, gets bins of equal reference shares. Otherwise
    ``PLOT_BINS`` equal bins."""
    both = np.concatenate([a, b])
    low, high = float(both.min()), float(both.max())
    if np.all(np.mod(both, 1) == 0) and high - low < 2**53:
        span = int(high - low) + 1
        step = -(-span // PLOT_BINS)  # ceil: at most PLOT_BINS bins
        edges = low - 0.5 + step * np.arange(-(-span // step) + 1, dtype=np.float64)
        edges[-1] = min(edges[-1], high + 0.5)
        return edges, "integer"
    p1, p99 = np.quantile(both, [0.01, 0.99])
    if p99 > p1 and high - low > TAIL_RATIO * (p99 - p1):
        inner = np.unique(np.quantile(a, np.linspace(0, 1, PLOT_BINS + 1)[1:-1]))
        return np.r_[low, inner[(inner > low) & (inner < high)], high], "quantile"
    return np.histogram_bin_edges(both, bins=PLOT_BINS), "equal"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
