"""The curriculum controller: chooses topic prompts and turns agreement into proposer rewards.

Plain class; the driver runs it as a Ray actor. Its whole state is in ``state_dict`` so a
resumed run continues with the same topic stream and history.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from selfplay.curriculum import rewards as R


@dataclass(frozen=True)
class ProblemOutcome:
    """How the solver did on one proposal; ``n == 0`` marks an invalid proposal."""

    text: str | None
    agree: int
    n: int


@dataclass(frozen=True)
class CurriculumScores:
    rewards: list[float]
    in_band: list[bool]
    metrics: dict[str, float] = field(default_factory=dict)


class CurriculumController:
    def __init__(self, cfg, topics: list[str], attempts: int, seed: int):
        self.cfg = cfg
        self.topics = list(topics)
        self.attempts = attempts
        self.rng = random.Random(seed)
        self.history: list[dict[str, float]] = []  # per-step summary, for inspection and resume

    def topic_prompts(self, count: int) -> list[str]:
        """``count`` topics drawn uniformly with replacement (deterministic given the seed)."""
        return [self.rng.choice(self.topics) for _ in range(count)]

    def _reward(self, agree: int, n: int) -> float:
        kind = self.cfg.reward
        if kind == "band":
            return R.band_reward(agree, n, self.cfg.band_min_agree, self.cfg.band_max_agree)
        if kind == "uncertainty":
            return R.uncertainty_reward(agree, n)
        if kind == "learnability":
            return R.learnability_reward(agree, n)
        raise ValueError(f"curriculum.reward={kind!r}: unknown")

    def score(self, outcomes: list[ProblemOutcome]) -> CurriculumScores:
        valid = [o for o in outcomes if o.n > 0]
        penalties = iter(R.repetition_penalties([o.text or "" for o in valid]) if valid else [])
        rewards, band = [], []
        for o in outcomes:
            if o.n == 0:
                rewards.append(self.cfg.format_penalty)
                band.append(False)
                continue
            r = self._reward(o.agree, o.n) - self.cfg.repetition_penalty * next(penalties)
            rewards.append(r)
            band.append(R.in_band(o.agree, o.n, self.cfg.band_min_agree, self.cfg.band_max_agree))
        metrics = {
            "curriculum/valid_fraction": len(valid) / max(1, len(outcomes)),
            "curriculum/frontier_fraction": sum(band) / max(1, len(valid)),
            "curriculum/agreement_mean": sum(o.agree / o.n for o in valid) / max(1, len(valid)),
            "curriculum/unique_fraction": len({o.text for o in valid}) / max(1, len(valid)),
        }
        self.history.append(metrics)
        return CurriculumScores(rewards, band, metrics)

    def state_dict(self) -> dict:
        return {"rng": self.rng.getstate(), "history": list(self.history)}

    def load_state_dict(self, state: dict) -> None:
        self.rng.setstate(state["rng"])
        self.history = list(state["history"])
