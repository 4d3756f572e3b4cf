"""The driver's handle on the instruments: what to measure after a step and at an evaluation,
and the little state they keep across a run (in the driver's checkpoint state)."""

from __future__ import annotations

import dataclasses
from typing import Any

from selfplay.actors import Actors
from selfplay.config import Config
from selfplay.evaluation import Evaluation
from selfplay.instruments import diversity, drift, skills
from selfplay.tasks import Task


class Instruments:
    def __init__(self, cfg: Config, task: Task):
        self.enabled = cfg.instruments.enabled
        self.task = task
        self.requests = drift.probe_requests(cfg, task) if self.enabled else {}
        self.base_solved: list[int] | None = None  # held-out problems the step-0 model solved greedily

    def after_step(self, records) -> dict[str, float]:
        """``diversity/proposer/*``, ``diversity/solver/*`` of a step's rollout records."""
        return diversity.step_diversity(self.task, records) if self.enabled else {}

    def at_eval(self, step: int, evaluation: Evaluation, actors: Actors, on_cadence: bool = True) -> dict[str, float]:
        """``drift/*``, ``skills/*`` and ``diversity/eval/*`` at an evaluation (after ``evaluation``).
        ``on_cadence``: an evaluation of the eval_every cadence (or step 0), the next ``kl_to_prev``'s reference."""
        if not self.enabled:
            return {}
        if step == 0:
            self.base_solved = skills.base_solved(evaluation.greedy_correct)
        out: dict[str, float] = {}
        if self.base_solved is not None:  # None: resumed from a checkpoint written before instruments
            accuracy = skills.base_solved_accuracy(self.base_solved, evaluation.greedy_correct)
            out["skills/base_solved_accuracy"] = accuracy
        out.update(skills.shortcut_metrics(evaluation.problems, evaluation.greedy))
        out.update(diversity.answer_diversity(evaluation.samples, "diversity/eval/solver"))
        for role, client in (("solver", actors.solver), ("proposer", actors.proposer)):
            result = client.probe(dataclasses.replace(self.requests[role], keep=on_cadence))
            out.update(drift.drift_metrics(role, result))
            if role == "proposer":
                parsed = [self.task.parse_proposal(text) for group in result.samples for text in group]
                problems = [p.problem for p in parsed if p.problem is not None]
                if parsed:
                    out["diversity/eval/proposer/valid_fraction"] = len(problems) / len(parsed)
                out.update(diversity.problem_diversity(self.task, problems, "diversity/eval/proposer"))
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"base_solved": self.base_solved}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.base_solved = state.get("base_solved")
