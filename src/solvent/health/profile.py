"""Profiles: the schema and statistics of a table, in one streaming pass with bounded memory.

Exact: rows, missing values, min, max, mean, std, histogram counts, distinct counts up to
``SKETCH_SIZE`` values, value counts (top values, domain) up to ``COUNT_LIMIT`` values.
Approximate, and flagged so in the profile: quantiles of a column with more than
``SAMPLE_SIZE`` values (from a uniform sample of that many: rank error about ±0.5%), distinct
counts beyond ``SKETCH_SIZE`` (a k-minimum-values sketch: about ±1%), and top values of a
categorical column with more than ``COUNT_LIMIT`` distinct values (counts are lower bounds).
"""

from __future__ import annotations

import datetime
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from solvent.errors import DataError
from solvent.health.bins import Histogram, StreamingHistogram
from solvent.health.read import BATCH_ROWS, Source, scan

PROFILE_VERSION = 1
SAMPLE_SIZE = 65_536
SKETCH_SIZE = 65_536
COUNT_LIMIT = 10_000
DOMAIN_LIMIT = 50
TOP = 10
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)

Scalar = str | int | float | bool


@dataclass(frozen=True, slots=True)
class ColumnProfile:
    name: str
    dtype: str
    kind: str  # numeric | categorical | boolean | datetime | other
    missing: int
    distinct: int
    distinct_exact: bool = True
    min: Scalar | None = None
    max: Scalar | None = None
    mean: float | None = None
    std: float | None = None
    quantiles: dict[str, float] = field(default_factory=dict)
    quantiles_exact: bool = True
    histogram: Histogram | None = None
    top: tuple[tuple[Scalar, int], ...] = ()
    top_exact: bool = True
    domain: tuple[Scalar, ...] | None = None

    @property
    def nullable(self) -> bool:
        return self.missing > 0


@dataclass(frozen=True, slots=True)
class Profile:
    source: str
    format: str
    rows: int
    columns: tuple[ColumnProfile, ...]
    version: int = PROFILE_VERSION

    def column(self, name: str) -> ColumnProfile:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Profile:
        columns = []
        for c in doc["columns"]:
            hist = c.get("histogram")
            columns.append(
                ColumnProfile(
                    **{
                        **c,
                        "histogram": Histogram(tuple(hist["edges"]), tuple(hist["counts"]))
                        if hist
                        else None,
                        "top": tuple((v, n) for v, n in c["top"]),
                        "domain": tuple(c["domain"]) if c["domain"] is not None else None,
                    }
                )
            )
        return cls(doc["source"], doc["format"], doc["rows"], tuple(columns), doc["version"])


def profile_file(path: str | Path, label: str | None = None, name: str | None = None) -> Profile:
    """Profile a CSV, Parquet or JSON Lines file (``name`` gives the format when ``path`` has
    no suffix, as a cache object has none)."""
    source = Source.open(path, label, name)
    return scan(source, lambda batches: profile_batches(batches, source.label, source.format))


def profile_frame(frame: pd.DataFrame, label: str = "frame") -> Profile:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return profile_batches(table.to_batches(BATCH_ROWS), label, "frame")


def profile_batches(batches: Iterable[pa.RecordBatch], label: str, fmt: str) -> Profile:
    columns: list[_Column] | None = None
    rows = 0
    for batch in batches:
        if columns is None:
            columns = [_Column(f.name, f.type) for f in batch.schema]
        rows += batch.num_rows
        for acc, array in zip(columns, batch.columns, strict=True):
            acc.update(array)
    if columns is None or rows == 0:
        raise DataError(f"{label} has no rows", "profile a file that holds data")
    if not columns:
        raise DataError(f"{label} has no columns", "check the file's header or schema")
    return Profile(label, fmt, rows, tuple(c.result() for c in columns))


def kind_of(t: pa.DataType) -> str:
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "categorical"
    if pa.types.is_temporal(t):
        return "datetime"
    return "other"


def dtype_name(t: pa.DataType) -> str:
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_timestamp(t):  # the unit is how it was stored, not what it means
        return "timestamp" if t.tz is None else f"timestamp({t.tz})"
    text = str(t)
    return {"double": "float64", "float": "float32", "halffloat": "float16"}.get(
        text, "string" if kind_of(t) == "categorical" else text
    )


class _Column:
    """One column's running state; every part of it has a fixed size cap."""

    def __init__(self, name: str, dtype: pa.DataType) -> None:
        self.name = name
        self.type = dtype
        self.kind = kind_of(dtype)
        self.missing = 0
        self.distinct = _Distinct()
        self.counts: pd.Series | None = None
        self.counting = self.kind != "other"
        self.counts_exact = True
        self.lo: Any = None
        self.hi: Any = None
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.histogram = StreamingHistogram()
        self.sample = _Sample(zlib.crc32(name.encode()))

    def update(self, array: pa.Array) -> None:
        if pa.types.is_dictionary(array.type):
            array = array.dictionary_decode()
        if pa.types.is_decimal(array.type):
            array = array.cast(pa.float64())
        self.missing += array.null_count
        values = pc.drop_null(array)
        if self.kind == "numeric":
            raw = np.asarray(values.to_numpy(zero_copy_only=False))
            floats = raw.astype(np.float64, copy=False)
            nan = np.isnan(floats)
            if nan.any():
                self.missing += int(nan.sum())
                raw, floats = raw[~nan], floats[~nan]
            self._numeric(floats)
            if not self.counting:  # a continuous column: hashing every value beats sorting
                self.distinct.update(pd.util.hash_array(raw))
                return
            uniques, counts = np.unique(raw, return_counts=True)
        elif self.kind == "other":
            return
        else:
            self._range(values)
            if self.kind == "datetime":  # counted as the integers they are stored as
                values = values.view(_int_of(self.type))
            found = pc.value_counts(values)
            uniques = np.asarray(found.field("values").to_numpy(zero_copy_only=False))
            counts = np.asarray(found.field("counts").to_numpy(zero_copy_only=False))
        if len(uniques):
            self.distinct.update(pd.util.hash_array(uniques))
            self._count(uniques, counts)

    def _numeric(self, v: np.ndarray) -> None:
        if not len(v):
            return
        lo, hi = float(v.min()), float(v.max())
        self.lo = lo if self.lo is None else min(self.lo, lo)
        self.hi = hi if self.hi is None else max(self.hi, hi)
        finite = v[np.isfinite(v)]
        if not len(finite):
            return
        self.histogram.update(finite)
        self.sample.update(finite)
        nb, mb = len(finite), float(finite.mean())
        m2b = float(((finite - mb) ** 2).sum())
        delta, total = mb - self.mean, self.n + nb
        self.mean += delta * nb / total
        self.m2 += m2b + delta * delta * self.n * nb / total
        self.n = total

    def _range(self, values: pa.Array) -> None:
        if self.kind == "boolean" or not len(values):
            return
        found = pc.min_max(values)
        lo, hi = found["min"].as_py(), found["max"].as_py()
        self.lo = lo if self.lo is None else min(self.lo, lo)
        self.hi = hi if self.hi is None else max(self.hi, hi)

    def _count(self, uniques: np.ndarray, counts: np.ndarray) -> None:
        if not self.counting:
            return
        batch = pd.Series(counts, index=uniques, dtype=np.int64)
        merged = batch if self.counts is None else self.counts.add(batch, fill_value=0)
        if len(merged) <= COUNT_LIMIT:
            self.counts = merged
        elif self.kind in ("numeric", "datetime"):  # continuous: top values say nothing
            self.counting, self.counts = False, None
        else:  # keep the heaviest: counts become lower bounds
            self.counts_exact, self.counts = False, merged.nlargest(COUNT_LIMIT)

    def result(self) -> ColumnProfile:
        distinct, distinct_exact = self.distinct.estimate()
        top: tuple[tuple[Scalar, int], ...] = ()
        domain = None
        if self.counts is not None:
            ranked = sorted(
                ((self._plain(v), int(n)) for v, n in self.counts.items()),
                key=lambda p: (-p[1], str(p[0])),
            )
            # Lower bounds of 1 (an id-like column) say nothing about which values are common.
            top = tuple(t for t in ranked[:TOP] if self.counts_exact or t[1] > 1)
            if self.counts_exact and len(ranked) <= DOMAIN_LIMIT:
                domain = tuple(sorted((v for v, _ in ranked), key=str))
        numeric = self.kind == "numeric" and self.n > 0
        return ColumnProfile(
            name=self.name,
            dtype=dtype_name(self.type),
            kind=self.kind,
            missing=self.missing,
            distinct=distinct,
            distinct_exact=distinct_exact,
            min=self._plain(self.lo),
            max=self._plain(self.hi),
            mean=self.mean if numeric else None,
            std=float(np.sqrt(self.m2 / (self.n - 1))) if numeric and self.n > 1 else None,
            quantiles=self.sample.quantiles() if numeric else {},
            quantiles_exact=self.sample.exact,
            histogram=self.histogram.result() if numeric else None,
            top=top,
            top_exact=self.counts_exact,
            domain=domain,
        )

    def _plain(self, value: Any) -> Any:
        if value is None:
            return None
        if self.kind == "datetime" and isinstance(value, int | np.integer):
            value = pa.array([int(value)], _int_of(self.type)).view(self.type)[0].as_py()
        if isinstance(value, datetime.date | datetime.time):
            return value.isoformat()
        if isinstance(value, np.generic):
            return value.item()
        return value


def _int_of(t: pa.DataType) -> pa.DataType:
    """The integer type a temporal type is stored as."""
    return pa.int64() if t.bit_width == 64 else pa.int32()


class _Distinct:
    """The ``SKETCH_SIZE`` smallest 64-bit hashes of the values seen: an exact count while
    there are fewer distinct values than that, a k-minimum-values estimate beyond."""

    def __init__(self) -> None:
        self.hashes = np.empty(0, dtype=np.uint64)
        self.saturated = False

    def update(self, hashes: np.ndarray) -> None:
        if self.saturated:  # only hashes below the largest kept can enter
            hashes = hashes[hashes < self.hashes[-1]]
        # Sort and drop repeats: np.union1d's hash-based unique is many times slower here.
        merged = np.sort(np.concatenate([self.hashes, hashes]))
        merged = merged[np.concatenate([[True], merged[1:] != merged[:-1]])]
        if len(merged) > SKETCH_SIZE:
            merged, self.saturated = merged[:SKETCH_SIZE], True
        self.hashes = merged

    def estimate(self) -> tuple[int, bool]:
        if not self.saturated:
            return len(self.hashes), True
        kth = float(self.hashes[-1]) / 2.0**64
        return round((SKETCH_SIZE - 1) / kth), False


class _Sample:
    """A uniform sample of ``SAMPLE_SIZE`` values: each value draws a random key and the
    smallest keys stay. Seeded, so a profile of the same data is the same profile."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.keys = np.empty(0)
        self.values = np.empty(0)
        self.exact = True

    def update(self, values: np.ndarray) -> None:
        keys = np.concatenate([self.keys, self.rng.random(len(values))])
        values = np.concatenate([self.values, values])
        if len(keys) > SAMPLE_SIZE:
            keep = np.argpartition(keys, SAMPLE_SIZE)[:SAMPLE_SIZE]
            keys, values, self.exact = keys[keep], values[keep], False
        self.keys, self.values = keys, values

    def quantiles(self) -> dict[str, float]:
        found = np.quantile(self.values, QUANTILES)
        return {f"p{round(q * 100):02d}": float(v) for q, v in zip(QUANTILES, found, strict=True)}
