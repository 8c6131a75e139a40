"""Prediction bias and input drift of a prediction log against the training data.

Per time window and per slice, the share of each predicted label is held against the training
labels' share with action limits that hold a stated false-alarm rate *per report*
(``false_alarms``, 1% by default): Bonferroni over every tested window x slice x label, each
side of each test at ``false_alarms / (2 x tests)``. The limits are beta-binomial predictive
quantiles (``solvent.health.alarms.rate_limits``), so the training share's own estimation
error is in them. A chi-square goodness-of-fit p-value is given beside each window as
evidence. Input drift reuses ``solvent.health.drift`` on the feature columns both tables have.
Windows with fewer than ``min_rows`` rows are listed, not tested.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from solvent.errors import DataError, UsageError
from solvent.health.alarms import rate_limits
from solvent.health.drift import DriftOptions, DriftReport, drift
from solvent.health.frame import as_labels, require
from solvent.health.read import Tabular, load

ALL = "(all)"
MAX_CLASSES = 100


@dataclass(frozen=True, slots=True)
class MonitorOptions:
    label: str = "label"  # the reference's column of training labels
    prediction: str = "prediction"  # the current log's column of predicted labels
    time_column: str | None = None
    window: str = "1D"  # a pandas offset alias: 1h, 1D, 7D, 1W, 1MS...
    slice: str | None = None
    min_rows: int = 30
    false_alarms: float = 0.01  # per report, over every window, slice and label
    input_drift: bool = True


@dataclass(frozen=True, slots=True)
class Window:
    """One window (and slice) of the log: shares of predicted labels and their limits."""

    start: str  # the window's start, or ALL without a time column
    slice: str  # the slice's value, or ALL
    rows: int
    shares: dict[str, float] = field(default_factory=dict)
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    alerts: tuple[str, ...] = ()  # labels whose share left its limits
    p_value: float | None = None
    skipped: str | None = None


@dataclass(frozen=True, slots=True)
class MonitorReport:
    reference: str
    current: str
    reference_rows: int
    current_rows: int
    baseline: dict[str, float]  # training label shares
    windows: tuple[Window, ...]
    drift: DriftReport | None
    options: MonitorOptions
    tests: int = 0  # window x slice x label tests the false-alarm rate is shared over
    tail: float = 0.0  # what each side of each test is held to

    @property
    def bias_alerts(self) -> list[Window]:
        return [w for w in self.windows if w.alerts]

    @property
    def alert(self) -> bool:
        return bool(self.bias_alerts) or bool(self.drift and self.drift.dataset_drift)


def monitor(
    reference: Tabular, current: Tabular, options: MonitorOptions | None = None
) -> MonitorReport:
    options = options or MonitorOptions()
    if options.min_rows < 1 or not 0 < options.false_alarms < 1:
        raise UsageError(
            "--min-rows must be positive and --false-alarms a share in (0, 1)",
            "e.g. --false-alarms 0.01",
        )
    ref_label, ref = _frame(reference, "reference")
    cur_label, cur = _frame(current, "current")
    require(ref_label, ref.columns, [options.label])
    wanted = [options.prediction, options.time_column, options.slice]
    require(cur_label, cur.columns, [c for c in wanted if c is not None])
    truth = as_labels(ref[options.label]).dropna()
    if truth.empty:
        raise DataError(f"{ref_label}: column {options.label!r} holds no labels", "check --label")
    counted = truth.value_counts().sort_index()
    baseline = counted / len(truth)
    predicted = as_labels(cur[options.prediction])
    sides = ((ref_label, truth, options.label), (cur_label, predicted, options.prediction))
    for side, values, column in sides:
        if values.nunique() > MAX_CLASSES:
            raise DataError(
                f"{side}: column {column!r} holds {values.nunique()} distinct values, "
                "more than a label column would",
                "name the column of predicted (or true) class labels, not of scores",
            )
    groups = _windows(cur, cur_label, options)
    tested = [counts for _, _, counts in groups if sum(counts.values()) >= options.min_rows]
    labels = sorted(set(baseline.index).union(*({k for k, c in n.items() if c} for n in tested)))
    tests = len(tested) * len(labels)
    tail = options.false_alarms / (2 * max(tests, 1))
    windows = tuple(
        _window(start, part, counts, counted, labels, tail, options.min_rows)
        for start, part, counts in groups
    )
    skip = {options.label, options.prediction, options.time_column, options.slice}
    features = [c for c in ref.columns if c in cur.columns and c not in skip]
    found = None
    if options.input_drift and features:
        found = drift(ref[features], cur[features], DriftOptions())
        found = _relabel(found, ref_label, cur_label)
    return MonitorReport(
        ref_label, cur_label, len(ref), len(cur),
        {str(k): float(v) for k, v in baseline.items()}, windows, found, options, tests, tail,
    )  # fmt: skip


def _window(
    start: str,
    part: str,
    counts: dict[str, int],
    reference: pd.Series,
    labels: list[str],
    tail: float,
    min_rows: int,
) -> Window:
    """``counts`` and ``reference`` hold the window's predicted and the training label counts;
    ``labels`` every label tested."""
    n = sum(counts.values())
    if n < min_rows:
        return Window(start, part, n, skipped=f"{n} rows (fewer than {min_rows})")
    m = int(reference.sum())
    ref = np.array([reference.get(k, 0) for k in labels], dtype=float)
    observed = np.array([counts.get(k, 0) for k in labels], dtype=float)
    lows, highs = rate_limits(ref, m, n, tail)
    shares = {k: float(o) / n for k, o in zip(labels, observed, strict=True)}
    limits = {k: (float(lo), float(hi)) for k, lo, hi in zip(labels, lows, highs, strict=True)}
    alerts = tuple(k for k in labels if not limits[k][0] <= shares[k] <= limits[k][1])
    expected = np.maximum(ref / m, 0.5 / m)
    expected = expected / expected.sum() * n
    # Pearson's chi-square (scipy.stats.chisquare's statistic, without its per-call overhead)
    statistic = float(((observed - expected) ** 2 / expected).sum())
    p_value = float(stats.chi2.sf(statistic, len(labels) - 1)) if len(labels) > 1 else 1.0
    return Window(start, part, n, shares, limits, alerts, p_value)


def _windows(
    cur: pd.DataFrame, label: str, options: MonitorOptions
) -> list[tuple[str, str, dict[str, int]]]:
    """``(start, slice, predicted label counts)`` of every window and slice (ALL first)."""
    predicted = as_labels(cur[options.prediction])
    keys: list[pd.Series | pd.Grouper] = []
    frame = pd.DataFrame({"p": predicted.reset_index(drop=True)})
    if options.time_column is not None:
        times = _times(cur[options.time_column], label, options.time_column)
        frame["t"] = times.reset_index(drop=True)
        try:
            keys.append(pd.Grouper(key="t", freq=options.window))
            frame.groupby(keys[0])
        except ValueError:
            raise UsageError(
                f"--window {options.window!r} is not a time span", "e.g. 1h, 1D, 7D or 1W"
            ) from None
    # each row's (slice, label) cell as one code: a window's counts are one bincount
    codes, names = pd.factorize(frame["p"])
    slices, where = [ALL], np.zeros(len(frame), dtype=int)
    if options.slice is not None:
        values = cur[options.slice].astype(str).to_numpy()
        parts, where = np.unique(values, return_inverse=True)
        slices += [str(s) for s in parts]
    cell = np.where(codes >= 0, where * len(names) + codes, -1)
    shape = (len(slices) - 1 or 1, len(names))
    found = []
    periods = frame.groupby(keys[0]) if keys else [(ALL, frame)]
    daily = _daily(options.window)
    for start, period in periods:
        name = _when(start, daily) if isinstance(start, pd.Timestamp) else str(start)
        rows = cell[period.index.to_numpy()]
        table = np.bincount(rows[rows >= 0], minlength=shape[0] * shape[1]).reshape(shape)
        for k, part in enumerate(slices):
            counts = table.sum(axis=0) if part == ALL else table[k - 1]
            found.append((name, part, {str(n): int(c) for n, c in zip(names, counts, strict=True)}))
    return found


def _daily(window: str) -> bool:
    """A window of a day or longer (1D, 7D, 1W, 1MS...): its start prints as a date."""
    offset = pd.tseries.frequencies.to_offset(window)
    return not isinstance(offset, pd.offsets.Tick) or offset.nanos >= pd.Timedelta("1D").value


def _when(start: pd.Timestamp, daily: bool) -> str:
    """A window's start (UTC): a date for daily windows, else minutes ('2026-01-05T13:00Z')."""
    if daily and start == start.normalize():
        return start.date().isoformat()
    return start.tz_convert("UTC").strftime(
        "%Y-%m-%dT%H:%M" + (":%S" if start.second else "") + "Z"
    )


def _times(column: pd.Series, label: str, name: str) -> pd.Series:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # dateutil's per-element fallback
            times = pd.to_datetime(column, utc=True)
    except (ValueError, TypeError):
        raise DataError(
            f"{label}: column {name!r} does not hold times", "name a column of timestamps"
        ) from None
    if times.isna().all():
        raise DataError(f"{label}: column {name!r} holds no times", "name a column of timestamps")
    return times


def _frame(data: Tabular, what: str) -> tuple[str, pd.DataFrame]:
    label, table = load(data, what)
    return label, table.to_pandas()


def _relabel(report: DriftReport, ref: str, cur: str) -> DriftReport:
    from dataclasses import replace

    return replace(
        report,
        reference=replace(report.reference, label=ref),
        current=replace(report.current, label=cur),
    )
