"""Alarm limits that hold their stated false-alarm rate on data from the reference population.

Every limit here is predictive: it holds the batch's sampling error *and* the reference's (a
rate or a confusion table estimated from N rows is not the population's), so a batch as large
as the reference is not held to the reference's figure as if it were exact.

- A rate (a positive rate, a label's share): the reference's count k of N gives a Jeffreys
  Beta(k + 1/2, N - k + 1/2) posterior, so a batch of n rows has a beta-binomial count.
- A metric of the confusion cells at a cut chosen on the reference: Dirichlet(cells + 1/2)
  posterior on the cells, a multinomial batch of n rows, shifted by the optimism of having
  chosen the cut on the reference (Efron's bootstrap: refit the cut in-bag, score it in-bag
  and on all rows).
- A re-fit on the batch: the batch is bootstrapped, the cut refitted in-bag and both cuts
  scored out-of-bag; a re-fit is advised only when the refitted cut wins out-of-bag in all but
  a ``tail`` share of the replicates.

Bootstraps are Poisson (each row weighted Poisson(1)): one sort of the scores serves every
replicate, and a row weighted 0 is out-of-bag (e^-1 of them, as in the classic bootstrap).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

if TYPE_CHECKING:
    from solvent.health.thresholds import Objective

PREDICTIVE_DRAWS = 10_000
CELLS_PER_CHUNK = 1_000_000  # bootstrap weights held at once (replicates x rows)
REFIT_CUTS = 256
_POISSON_CDF = stats.poisson.cdf(np.arange(11), 1.0)


def rate_limits(count: Any, total: Any, n: int, tail: float) -> tuple[Any, Any]:
    """Shares a batch of ``n`` rows falls below ``low`` or above ``high`` with probability
    ``tail`` or less each, when the reference held ``count`` of ``total`` (arrays of counts
    give arrays of limits). The quantiles come from the whole pmf: scipy's generic discrete
    ``ppf`` searches one value at a time."""
    count, total = np.broadcast_arrays(np.asarray(count, dtype=float), np.asarray(total, float))
    a, b = count[..., None] + 0.5, total[..., None] - count[..., None] + 0.5
    pmf = stats.betabinom.pmf(np.arange(n + 1), n, a, b)
    below = np.cumsum(pmf, axis=-1)  # P(X <= k)
    above = np.cumsum(pmf[..., ::-1], axis=-1)[..., ::-1] - pmf  # P(X > k)
    low = np.argmax(below >= tail, axis=-1)  # P(X < low) <= tail
    high = np.argmax(above <= tail, axis=-1)  # P(X > high) <= tail
    return low / n, high / n


def metric_draws(
    objective: Objective, counts: tuple[int, ...], optimism: float, n: int, seed: int = 0
) -> np.ndarray:
    """The metric a batch of ``n`` rows from the reference population shows at the stored cut
    (Monte Carlo draws; undefined values left out)."""
    rng = np.random.default_rng(seed)
    cells = rng.dirichlet(np.asarray(counts, dtype=float) + 0.5, size=PREDICTIVE_DRAWS)
    batch = rng.multinomial(n, cells / cells.sum(axis=1, keepdims=True))
    values = np.asarray(objective.values(*batch.T))
    values = values[np.isfinite(values)]
    shifted: np.ndarray = values - optimism if objective.higher_is_better else values + optimism
    return shifted


def metric_bounds(
    objective: Objective, draws: np.ndarray, tail: float
) -> tuple[float, float] | None:
    """``(low, high)``: a metric beyond the worse end comes up with probability ``tail`` or
    less; the better end is the same quantile on the other side (shown, never alarmed on)."""
    if len(draws) == 0:
        return None
    low, high = np.quantile(draws, [tail, 1 - tail], method="inverted_cdf")
    return float(low), float(high)


@dataclass(frozen=True, slots=True)
class Ladder:
    """Every candidate cut of one score column, highest first: prefix ``k`` of the distinct
    scores predicted positive (``k = 0``: nothing). Cells of a weighting of the rows come from
    one cumulative sum along the sorted rows."""

    order: np.ndarray
    ends: np.ndarray  # index (in sorted order) of the last row of each distinct score
    distinct: np.ndarray
    positive: np.ndarray  # in sorted order, as float

    @classmethod
    def of(cls, scores: np.ndarray, positive: np.ndarray) -> Ladder:
        order = np.argsort(-scores, kind="stable")
        s = scores[order]
        ends = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]
        return cls(order, ends, s[ends], positive[order].astype(float))

    def index(self, threshold: float) -> int:
        """The prefix predicted positive by ``score >= threshold``."""
        return int(np.sum(self.distinct >= threshold))

    def cells(self, weights: np.ndarray) -> tuple[np.ndarray, ...]:
        """tp, fp, fn, tn for each row of ``weights`` (replicates x rows, sorted order) at each
        prefix: arrays of replicates x (distinct + 1)."""
        pos = weights * self.positive
        tp = np.cumsum(pos, axis=1)[:, self.ends]
        fp = np.cumsum(weights - pos, axis=1)[:, self.ends]
        zero = np.zeros((len(weights), 1))
        tp, fp = np.hstack([zero, tp]), np.hstack([zero, fp])
        n_pos = pos.sum(axis=1, keepdims=True)
        n_neg = weights.sum(axis=1, keepdims=True) - n_pos
        return tp, fp, n_pos - tp, n_neg - fp


def _replicates(rows: int, n_boot: int, seed: int) -> Any:
    """Poisson bootstrap weights in chunks of at most ``CELLS_PER_CHUNK`` values."""
    rng = np.random.default_rng(seed)
    chunk = max(1, CELLS_PER_CHUNK // max(rows, 1))
    for start in range(0, n_boot, chunk):
        # inverse CDF: faster than rng.poisson; weights above 11 (p < 1e-9) are cut to 11
        uniform = rng.random((min(chunk, n_boot - start), rows))
        yield np.searchsorted(_POISSON_CDF, uniform).astype(float)


def optimism(
    scores: np.ndarray, positive: np.ndarray, objective: Objective, n_boot: int, seed: int
) -> float:
    """How much better the metric looks on the data its cut was chosen on than on the
    population (Efron's bootstrap estimate, in the metric's better direction; never below 0)."""
    ladder = Ladder.of(scores, positive)
    full = ladder.cells(np.ones((1, len(scores))))
    found = []
    for weights in _replicates(len(scores), n_boot, seed):
        inbag = ladder.cells(weights)
        best = np.argmax(objective.gains(*inbag), axis=1)
        rows = np.arange(len(weights))
        apparent = objective.values(*(c[rows, best] for c in inbag))
        actual = objective.values(*(c[0, best] for c in full))
        found.append(apparent - actual if objective.higher_is_better else actual - apparent)
    gaps = np.concatenate(found)
    gaps = gaps[np.isfinite(gaps)]
    return max(float(gaps.mean()), 0.0) if len(gaps) else 0.0


@dataclass(frozen=True, slots=True)
class RefitTest:
    gain: float  # mean out-of-bag gain of the refitted cut over the stored one
    wins: float  # share of replicates where the refitted cut won out-of-bag
    advised: bool


def refit_test(
    scores: np.ndarray,
    positive: np.ndarray,
    objective: Objective,
    threshold: float,
    n_boot: int,
    tail: float,
    seed: int = 0,
) -> RefitTest:
    """Does re-choosing the cut on this batch pay, once the choosing is paid for? Each
    replicate refits in-bag and scores both cuts on the rows it left out. The refit chooses
    among at most ``REFIT_CUTS`` cuts (score quantiles of the batch), so a replicate costs
    O(rows) however many distinct scores there are."""
    ladder = Ladder.of(scores, positive)
    pick = np.unique(np.linspace(0, len(ladder.ends) - 1, min(REFIT_CUTS, len(ladder.ends))))
    ends = ladder.ends[pick.round().astype(int)]
    starts = np.r_[0, ends[:-1] + 1]
    y = ladder.positive
    stored = np.zeros(len(y))
    stored[: ladder.ends[ladder.index(threshold) - 1] + 1 if ladder.index(threshold) else 0] = 1
    gains: list[np.ndarray] = []
    for weights in _replicates(len(scores), n_boot, seed):
        best = np.argmax(objective.gains(*_prefix_cells(weights, y, starts)), axis=1)
        oob = (weights == 0).astype(float)
        cells = _prefix_cells(oob, y, starts)
        rows = np.arange(len(weights))
        refit = objective.gains(*(c[rows, best] for c in cells))
        tp, fp = oob @ (stored * y), oob @ (stored * (1 - y))
        kept = objective.gains(tp, fp, cells[0][:, -1] - tp, cells[1][:, -1] - fp)
        with np.errstate(invalid="ignore"):
            gains.append(refit - kept)
    gain = np.concatenate(gains)
    wins = float(np.mean(gain > 0))
    finite = gain[np.isfinite(gain)]
    return RefitTest(float(finite.mean()) if len(finite) else 0.0, wins, wins >= 1 - tail)


def _prefix_cells(
    weights: np.ndarray, positive: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, ...]:
    """tp, fp, fn, tn (replicates x (blocks + 1)) when the first k blocks of sorted rows are
    predicted positive."""
    pos = np.add.reduceat(weights * positive, starts, axis=1)
    neg = np.add.reduceat(weights, starts, axis=1) - pos
    zero = np.zeros((len(weights), 1))
    tp = np.hstack([zero, np.cumsum(pos, axis=1)])
    fp = np.hstack([zero, np.cumsum(neg, axis=1)])
    return tp, fp, tp[:, -1:] - tp, fp[:, -1:] - fp
