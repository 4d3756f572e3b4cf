"""A difference of two differences over four independent arms, (a − b) − (c − d), with its
standard error and a percentile bootstrap (seeds resampled with replacement within each arm):
"is level_4's effect against the uniform mix different without the KL anchor than with it?"
Two-arm contrasts use study 1's effects.effect; this extends it to four arms."""
from __future__ import annotations

import math
import random
import sys
from pathlib import Path
from statistics import mean

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "difficulty_levels" / "scripts"))

from effects import BOOTSTRAP_DRAWS, Effect, percentile, sample_var  # noqa: E402


def interaction(a: list[float], b: list[float], c: list[float], d: list[float],
                seed: int = 0, draws: int = BOOTSTRAP_DRAWS) -> Effect:
    """(mean a − mean b) − (mean c − mean d); se = sqrt(sum of var/n) over the four arms."""
    rng = random.Random(seed)

    def draw(xs: list[float]) -> float:
        return mean(rng.choices(xs, k=len(xs)))

    boot = sorted((draw(a) - draw(b)) - (draw(c) - draw(d)) for _ in range(draws))
    se = math.sqrt(sum(sample_var(xs) / len(xs) for xs in (a, b, c, d)))
    diff = (mean(a) - mean(b)) - (mean(c) - mean(d))
    return Effect(diff, se, percentile(boot, 0.025), percentile(boot, 0.975))
