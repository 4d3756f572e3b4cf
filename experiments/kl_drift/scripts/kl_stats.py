"""Correlation across runs with its uncertainty: Pearson's r, a percentile bootstrap over runs
(pairs resampled with replacement) and a two-sided permutation test (y shuffled against x)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DRAWS = 10_000


@dataclass(frozen=True)
class Correlation:
    r: float  # Pearson
    rho: float  # Spearman (Pearson of the ranks, ties averaged)
    low: float  # bootstrap 2.5th percentile of r
    high: float  # bootstrap 97.5th percentile of r
    p_perm: float  # share of shuffles with |r| >= |observed r| (the observed one counted)
    slope: float  # least-squares slope of y on x
    n: int


def _r(x: np.ndarray, y: np.ndarray) -> float:
    if x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def _rows_r(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson's r of each row of x with the same row of y (NaN where a row is constant)."""
    xc, yc = x - x.mean(axis=1, keepdims=True), y - y.mean(axis=1, keepdims=True)
    den = np.sqrt((xc ** 2).sum(axis=1) * (yc ** 2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 1e-300, (xc * yc).sum(axis=1) / np.where(den > 0, den, 1.0), np.nan)


def _ranks(v: np.ndarray) -> np.ndarray:
    v = np.round(v, 12)  # centred values: equal ones may differ in their last bits
    order = v.argsort(kind="stable")
    ranks = np.empty(len(v))
    ranks[order] = np.arange(len(v), dtype=float)
    for value in np.unique(v):  # ties share their mean rank
        ranks[v == value] = ranks[v == value].mean()
    return ranks


def correlation(x: list[float], y: list[float], seed: int = 0, draws: int = DRAWS) -> Correlation:
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    rng = np.random.default_rng(seed)
    r = _r(xa, ya)
    idx = rng.integers(0, len(xa), size=(draws, len(xa)))
    boot = _rows_r(xa[idx], ya[idx])
    boot = boot[~np.isnan(boot)]  # a resample of one repeated run has no correlation
    perm = _rows_r(np.tile(xa, (draws, 1)), rng.permuted(np.tile(ya, (draws, 1)), axis=1))
    p = (1 + int((np.abs(perm) >= abs(r) - 1e-12).sum())) / (draws + 1)
    slope = float(np.polyfit(xa, ya, 1)[0]) if xa.std() > 0 else float("nan")
    return Correlation(r, _r(_ranks(xa), _ranks(ya)), float(np.percentile(boot, 2.5)),
                       float(np.percentile(boot, 97.5)), p, slope, len(xa))


def centred(values: list[float], groups: list[object]) -> list[float]:
    """Each value minus its group's mean: what is left of x and y within an arm (same KL)."""
    means = {g: float(np.mean([v for v, h in zip(values, groups) if h == g])) for g in set(groups)}
    return [v - means[g] for v, g in zip(values, groups)]


def fmt(c: Correlation) -> str:
    return (f"r = {c.r:+.2f} [{c.low:+.2f}, {c.high:+.2f}], Spearman {c.rho:+.2f}, "
            f"permutation p = {c.p_perm:.3f}, n = {c.n}")
