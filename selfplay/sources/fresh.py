"""``problem_source.fresh_share`` on the ``selfplay`` source: that share of each step's topic
groups is drawn fresh from the task's own generator (all its levels equally, never a held-out
problem, like ``scripted``); the learning proposer writes the other groups and learns only
from those (the step trains the proposer on the proposals it generated). Fresh problems are
labelled like the proposer's (the label source) and logged with ``source`` = ``fresh``.

The number of fresh groups is ``round(fresh_share * topics_per_step)``; the config refuses a
share that rounds to no group or to all of them (``fresh_groups``). The fresh draw's random
state is part of the checkpoint.
"""

from __future__ import annotations

from typing import Any

from selfplay.sources.base import Proposal
from selfplay.sources.proposer import ProposerSource
from selfplay.sources.scripted import ScriptedSource

NAME = "fresh"  # the rollouts' ``source`` column of the generator's problems


def fresh_groups(share: float, topics_per_step: int) -> int:
    """How many of a step's ``topics_per_step`` groups come fresh from the generator."""
    return round(share * topics_per_step)


class FreshShareSource:
    name = "selfplay"  # the proposer's source, with fresh problems mixed in

    def __init__(self, cfg, task):
        total = cfg.selfplay.topics_per_step
        n_fresh = fresh_groups(cfg.problem_source.fresh_share, total)
        if not 0 < n_fresh < total:  # validated config never gets here; a hand-built one might
            raise ValueError(f"problem_source.fresh_share={cfg.problem_source.fresh_share}: {n_fresh} of "
                             f"selfplay.topics_per_step={total} groups; needs at least one of each kind")
        self.own = ProposerSource(cfg, task, "selfplay", trains=True, groups=total - n_fresh)
        # The proposer's groups come first (topic_idx 0..), the fresh ones after them.
        self.fresh = ScriptedSource(cfg, task, name=NAME, groups=n_fresh, first_group=total - n_fresh)

    def propose(self, step: int, actors) -> list[Proposal]:
        return self.own.propose(step, actors) + self.fresh.propose(step, actors)

    def trains_proposer(self, step: int) -> bool:
        return self.own.trains_proposer(step)

    def state_dict(self) -> dict[str, Any]:
        return {NAME: self.fresh.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.fresh.load_state_dict(state[NAME])
