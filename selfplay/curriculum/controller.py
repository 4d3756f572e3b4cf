"""The curriculum controller: chooses topic prompts and turns agreement into proposer rewards.

Plain class; the driver runs it as a Ray actor. Its whole state (the topic stream) is in
``state_dict``, so a resumed run continues with the same topics.
"""

from __future__ import annotations

import random

from selfplay.curriculum import rewards as R
from selfplay.messages import CurriculumScores, ProblemOutcome


class CurriculumController:
    def __init__(self, cfg, topics: list[str], attempts: int, seed: int):
        self.cfg = cfg
        self.topics = list(topics)
        self.attempts = attempts
        self.rng = random.Random(seed)
        self._reward = R.REWARDS.get(cfg.reward, "curriculum.reward")

    def topic_prompts(self, count: int) -> list[str]:
        """``count`` topics drawn uniformly with replacement (deterministic given the seed)."""
        return [self.rng.choice(self.topics) for _ in range(count)]

    def score(self, outcomes: list[ProblemOutcome]) -> CurriculumScores:
        valid = [o for o in outcomes if o.n > 0]
        penalties = iter(R.repetition_penalties([o.text or "" for o in valid]) if valid else [])
        rewards, band = [], []
        for o in outcomes:
            if o.n == 0:
                rewards.append(self.cfg.format_penalty)
                band.append(False)
                continue
            r = self._reward(o, self.cfg) - self.cfg.repetition_penalty * next(penalties)
            rewards.append(r)
            band.append(R.frontier(o, self.cfg))
        metrics = {
            "curriculum/valid_fraction": len(valid) / max(1, len(outcomes)),
            "curriculum/frontier_fraction": sum(band) / max(1, len(valid)),
            "curriculum/agreement_mean": sum(o.rate for o in valid) / max(1, len(valid)),
            "curriculum/unique_fraction": len({o.text for o in valid}) / max(1, len(valid)),
        }
        return CurriculumScores(rewards, band, metrics)

    def state_dict(self) -> dict:
        return {"rng": self.rng.getstate()}

    def load_state_dict(self, state: dict) -> None:
        self.rng.setstate(state["rng"])  # older checkpoints also hold a "history" nobody read
