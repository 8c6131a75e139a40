"""A histogram with exact counts over a range not known in advance, in bounded memory.

Bins are ``[origin + i·width, origin + (i+1)·width)`` for integer ``i``. When values land
outside the span ``MAX_BINS`` bins can cover, the width doubles and pairs of bins merge
(bin ``i`` becomes ``i // 2``), so every count stays exact and the bins never exceed
``MAX_BINS``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_BINS = 64


@dataclass(frozen=True, slots=True)
class Histogram:
    edges: tuple[float, ...]
    counts: tuple[int, ...]


class StreamingHistogram:
    def __init__(self) -> None:
        self.origin = 0.0
        self.width = 0.0
        self.start = 0  # index of the first bin in ``counts``
        self.counts = np.zeros(0, dtype=np.int64)

    def update(self, values: np.ndarray) -> None:
        """Count finite ``values``."""
        if not len(values):
            return
        vmin, vmax = float(values.min()), float(values.max())
        if self.width == 0.0:
            self.origin = vmin
            span = vmax - vmin
            self.width = span / MAX_BINS * (1 + 1e-9) if span > 0 else 1.0
        lo_v, hi_v = vmin, vmax
        if len(self.counts):
            lo_v = min(lo_v, self.origin + self.start * self.width)
            hi_v = max(hi_v, self.origin + (self.start + len(self.counts) - 1) * self.width)
        # Widen first by the doublings the span needs (in logs: a bin index may not fit int64).
        span = hi_v / 2 - lo_v / 2  # halved: the difference of two huge floats may overflow
        if span > 0:
            needed = np.log2(span) + 1 - np.log2(self.width) - np.log2(MAX_BINS)
            for _ in range(max(0, int(np.ceil(needed)) - 1)):
                self._coarsen()
        while True:
            lo, hi = (int(np.floor((v - self.origin) / self.width)) for v in (vmin, vmax))
            if len(self.counts):
                lo = min(lo, self.start)
                hi = max(hi, self.start + len(self.counts) - 1)
            if hi - lo + 1 <= MAX_BINS:
                break
            self._coarsen()
        index = np.floor((values - self.origin) / self.width).astype(np.int64)
        counts = np.zeros(hi - lo + 1, dtype=np.int64)
        counts[self.start - lo : self.start - lo + len(self.counts)] = self.counts
        counts += np.bincount(index - lo, minlength=len(counts))
        self.start, self.counts = lo, counts

    def _coarsen(self) -> None:
        self.width *= 2
        if not len(self.counts):
            return
        index = (self.start + np.arange(len(self.counts))) // 2
        new_start = int(index[0])
        self.counts = np.bincount(index - new_start, weights=self.counts).astype(np.int64)
        self.start = new_start

    def result(self) -> Histogram:
        edges = self.origin + (self.start + np.arange(len(self.counts) + 1)) * self.width
        return Histogram(tuple(float(e) for e in edges), tuple(int(c) for c in self.counts))
