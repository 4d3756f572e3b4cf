"""``scripted``: problems drawn from the task's own generator at a chosen difficulty mix
(``problem_source.levels=[3]``, or ``levels=[1,4] weights=[0.5,0.5]``), as many per step
as the proposer would write (``topics_per_step`` x ``proposals_per_topic``), in groups of
``proposals_per_topic``. No model proposes and none learns to.

The held-out evaluation problems are never drawn (the evaluation would measure memory);
the draw's random state is part of the checkpoint.
"""

from __future__ import annotations

import random
from typing import Any

from selfplay.config import level_mix
from selfplay.sources.base import Proposal
from selfplay.tasks.base import ParsedProposal, Problem

NAME = "scripted"
MAX_REDRAWS = 1000  # per problem, against held-out hits; a mix that needs more is refused


class ScriptedSource:
    def __init__(self, cfg, task, name: str = NAME, groups: int | None = None, first_group: int = 0):
        """``groups`` groups a step (None: ``topics_per_step``) numbered from ``first_group``:
        another source may hand out the rest (``fresh_share``), under its own ``name``."""
        sample = getattr(task, "sample_problems", None)
        if not callable(sample):
            raise ValueError(f"problem_source={name}: task {task.name!r} has no problem generator (sample_problems)")
        self.cfg, self.task, self.name = cfg, task, name
        self.groups = cfg.selfplay.topics_per_step if groups is None else groups
        self.first_group = first_group
        self.level_mix = level_mix(cfg.problem_source)
        self.held_out = {p.text for p in task.eval_problems()}
        # Its own stream, not the driver's: the draw is the same however the rest of the run samples.
        self.rng = random.Random(f"{cfg.seed}:{name}")
        task.sample_problems(random.Random(0), 1, self.level_mix)  # a level the task lacks fails here, before any work

    def _draw(self) -> Problem:
        for _ in range(MAX_REDRAWS):
            (problem,) = self.task.sample_problems(self.rng, 1, self.level_mix)
            if problem.text not in self.held_out:
                return problem
        raise RuntimeError(
            f"problem_source={self.name}: {MAX_REDRAWS} draws at level_mix={self.level_mix} were all held-out "
            "evaluation problems; choose harder levels or a smaller task.eval_per_level"
        )

    def propose(self, step: int, actors) -> list[Proposal]:
        sp = self.cfg.selfplay
        out = []
        for i in range(self.first_group, self.first_group + self.groups):
            for j in range(sp.proposals_per_topic):
                problem = self._draw()
                # Through the task's parser like any proposal; a valid one keeps what the
                # generator knows and a parser may not (a word problem's answer and level).
                parsed = self.task.parse_proposal(problem.text)
                if parsed.valid:
                    parsed = ParsedProposal(problem)
                out.append(Proposal(i, j, self.name, "", problem.text, parsed, self.name))
        return out

    def trains_proposer(self, step: int) -> bool:
        return False

    def state_dict(self) -> dict[str, Any]:
        return {"rng": self.rng.getstate()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rng.setstate(state["rng"])


def make(cfg, task) -> ScriptedSource:
    return ScriptedSource(cfg, task)
