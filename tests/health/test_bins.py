"""The streaming histogram: exact counts, at most MAX_BINS bins, whatever order values come in."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from solvent.health.bins import MAX_BINS, StreamingHistogram

values = st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=400)


@settings(max_examples=60, deadline=None)
@given(st.lists(values, min_size=1, max_size=6))
def test_every_value_counted_once_in_its_bin(chunks: list[list[float]]) -> None:
    h = StreamingHistogram()
    for chunk in chunks:
        h.update(np.array(chunk))
    result = h.result()
    everything = np.concatenate([np.array(c) for c in chunks])
    assert len(result.counts) <= MAX_BINS
    assert sum(result.counts) == len(everything)
    index = np.floor((everything - h.origin) / h.width).astype(np.int64) - h.start
    assert (index >= 0).all() and (index < len(result.counts)).all()
    assert list(np.bincount(index, minlength=len(result.counts))) == list(result.counts)
    assert (
        result.edges[0] <= everything.min()
        and everything.max()
        <= result.edges[-1] * (1 + 1e-12 if result.edges[-1] > 0 else 1 - 1e-12) + 1e-6
    )
