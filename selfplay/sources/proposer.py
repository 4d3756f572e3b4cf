"""Problems from the proposer model: ``selfplay`` (it learns from the curriculum's rewards
every ``selfplay.proposer_update_every`` steps, SQLM) and ``fixed`` (it never learns: a
frozen teacher, e.g. a stronger ``proposer_model``)."""

from __future__ import annotations

from typing import Any

from selfplay.messages import SamplingParams
from selfplay.sources.base import Proposal


class ProposerSource:
    def __init__(self, cfg, task, name: str, trains: bool, groups: int | None = None):
        """``groups`` topic prompts a step (None: ``topics_per_step``; fewer where another
        source hands out the rest: ``fresh_share``)."""
        self.cfg, self.task, self.name, self.trains = cfg, task, name, trains
        self.groups = cfg.selfplay.topics_per_step if groups is None else groups

    def propose(self, step: int, actors) -> list[Proposal]:
        sp = self.cfg.selfplay
        topics = actors.controller.topic_prompts(self.groups)
        prompts = [self.task.proposer_prompt(t) for t in topics]
        gens = actors.proposer.generate(
            prompts,
            SamplingParams(
                n=sp.proposals_per_topic, max_new_tokens=self.cfg.task.max_proposal_tokens,
                temperature=sp.temperature, top_p=sp.top_p,
            ),
        )
        return [
            Proposal(i, j, topics[i], prompts[i], g.text, self.task.parse_proposal(g.text), self.name, g)
            for i, group in enumerate(gens)
            for j, g in enumerate(group)
        ]

    def trains_proposer(self, step: int) -> bool:
        every = self.cfg.selfplay.proposer_update_every
        return self.trains and every > 0 and step % every == 0

    def state_dict(self) -> dict[str, Any]:
        return {}  # the topic stream is the controller's, the sampling stream the worker's

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


def make_selfplay(cfg, task):
    """The learning proposer; with ``problem_source.fresh_share`` > 0 a share of each step's
    groups comes fresh from the task's generator (``selfplay/sources/fresh.py``)."""
    if cfg.problem_source.fresh_share > 0:
        from selfplay.sources.fresh import FreshShareSource

        return FreshShareSource(cfg, task)
    return ProposerSource(cfg, task, "selfplay", trains=True)


def make_fixed(cfg, task) -> ProposerSource:
    return ProposerSource(cfg, task, "fixed", trains=False)
