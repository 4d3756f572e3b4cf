"""Effect sizes over seeds: a difference of two arms' means with its standard error and a
percentile bootstrap interval (seeds resampled with replacement within each arm)."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from statistics import mean, stdev

BOOTSTRAP_DRAWS = 10_000


@dataclass(frozen=True)
class Effect:
    diff: float  # mean(a) - mean(b)
    se: float  # sqrt(var_a/n_a + var_b/n_b), sample variances
    low: float  # bootstrap 2.5th percentile
    high: float  # bootstrap 97.5th percentile


def sample_var(xs: list[float]) -> float:
    """Sample variance (ddof=1); nan for a single value."""
    return stdev(xs) ** 2 if len(xs) > 1 else float("nan")


def percentile(sorted_xs: list[float], q: float) -> float:
    """The q-quantile of already sorted values (nearest rank)."""
    return sorted_xs[min(len(sorted_xs) - 1, max(0, round(q * (len(sorted_xs) - 1))))]


def effect(a: list[float], b: list[float], seed: int = 0, draws: int = BOOTSTRAP_DRAWS) -> Effect:
    """a minus b; b may be [0.0] to test a against zero (its variance then counts as 0)."""
    rng = random.Random(seed)
    boot = sorted(mean(rng.choices(a, k=len(a))) - mean(rng.choices(b, k=len(b))) for _ in range(draws))
    var_b = sample_var(b) if len(b) > 1 else 0.0
    se = math.sqrt(sample_var(a) / len(a) + var_b / len(b))
    return Effect(mean(a) - mean(b), se, percentile(boot, 0.025), percentile(boot, 0.975))


def fmt_points(e: Effect) -> str:
    """In points of accuracy: '+6.1 ± 1.2 [+4.0, +8.3]' (diff ± se [95% bootstrap])."""
    return f"{100 * e.diff:+.1f} ± {100 * e.se:.1f} [{100 * e.low:+.1f}, {100 * e.high:+.1f}]"
