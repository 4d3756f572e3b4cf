"""Proposer rewards as functions of how the solver's N answers to a problem agreed.

``agree`` is the size of the majority cluster, ``n`` the number of attempts, and
``p = agree / n`` the agreement rate. With majority-vote labels ``p`` is the solver's
pseudo solve rate: a problem is at the frontier when the solver neither always agrees
nor scatters.

A graded task (``code``: each attempt scores the fraction of the proposer's tests it
passes) has no vote; its rate ``p`` is the mean score (``ProblemOutcome.mean_score``). The
band is then SQLM's code rule, 0 < p < 1 (``band_min_agree``/``band_max_agree`` count
votes and do not apply); ``uncertainty`` and ``learnability`` read p either way.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Sequence

from selfplay.messages import ProblemOutcome
from selfplay.registry import Registry

# curriculum.reward -> fn(outcome: ProblemOutcome (n > 0), cfg: CurriculumConfig) -> the proposer's reward
REWARDS: Registry[Callable[[ProblemOutcome, object], float]] = Registry("curriculum reward")


def in_band(agree: int, n: int, min_agree: int = 1, max_agree: int | None = None) -> bool:
    """SQLM's band, both ends exclusive: with n=4 and defaults, 2 or 3 answers agree."""
    hi = n if max_agree is None else max_agree
    return min_agree < agree < hi


def band_reward(agree: int, n: int, min_agree: int = 1, max_agree: int | None = None) -> float:
    """SQLM: 1 iff the problem is in the band, else 0."""
    return float(in_band(agree, n, min_agree, max_agree))


def uncertainty_reward(agree: int, n: int) -> float:
    """R-Zero: 1 - 2|p - 1/2|, largest when half of the answers agree."""
    if n == 0:
        return 0.0
    return 1.0 - 2.0 * abs(agree / n - 0.5)


def learnability_reward(agree: int, n: int) -> float:
    """Absolute Zero: 1 - solve rate when 0 < solve rate < 1, else 0.

    Without labels the solve rate is the agreement rate p.
    """
    if n == 0:
        return 0.0
    p = agree / n
    return 1.0 - p if 0.0 < p < 1.0 else 0.0


def frontier(o: ProblemOutcome, cfg) -> bool:
    """In the band: SQLM's rule on a vote's counts, or 0 < mean score < 1 for a graded task."""
    if o.mean_score is not None:
        return 0.0 < o.mean_score < 1.0
    return in_band(o.agree, o.n, cfg.band_min_agree, cfg.band_max_agree)


@REWARDS.register("band")
def _band(o: ProblemOutcome, cfg) -> float:
    return float(frontier(o, cfg))


@REWARDS.register("uncertainty")
def _uncertainty(o: ProblemOutcome, cfg) -> float:
    if o.mean_score is None:
        return uncertainty_reward(o.agree, o.n)
    return 1.0 - 2.0 * abs(o.mean_score - 0.5)


@REWARDS.register("learnability")
def _learnability(o: ProblemOutcome, cfg) -> float:
    if o.mean_score is None:
        return learnability_reward(o.agree, o.n)
    return 1.0 - o.mean_score if 0.0 < o.mean_score < 1.0 else 0.0


def repetition_penalties(problems: Sequence[str], normalize: Callable[[str], str] = str.strip) -> list[float]:
    """Each problem's duplicate-cluster size over the batch size (R-Zero's penalty shape).

    Clusters are exact duplicates after ``normalize``; R-Zero clusters by BLEU distance,
    which on short arithmetic strings would merge distinct problems.
    """
    keys = [normalize(p) for p in problems]
    counts = Counter(keys)
    return [counts[k] / len(keys) for k in keys]
