"""Problems from the proposer model: ``selfplay`` (it learns from the curriculum's rewards
every ``selfplay.proposer_update_every`` steps, SQLM) and ``fixed`` (it never learns: a
frozen teacher, e.g. a stronger ``proposer_model``)."""

from __future__ import annotations

from typing import Any

from selfplay.messages import SamplingParams
from selfplay.sources.base import Proposal


class ProposerSource:
    def __init__(self, cfg, task, name: str, trains: bool):
        self.cfg, self.task, self.name, self.trains = cfg, task, name, trains

    def propose(self, step: int, actors) -> list[Proposal]:
        sp = self.cfg.selfplay
        topics = actors.controller.topic_prompts(sp.topics_per_step)
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


def make_selfplay(cfg, task) -> ProposerSource:
    return ProposerSource(cfg, task, "selfplay", trains=True)


def make_fixed(cfg, task) -> ProposerSource:
    return ProposerSource(cfg, task, "fixed", trains=False)
