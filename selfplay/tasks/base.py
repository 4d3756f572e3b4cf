"""What a task is: topics to propose on, a proposal parser, an answer format, an equivalence
rule, and a held-out evaluation set with ground truth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Problem:
    text: str
    # Known where the task can compute it; used for evaluation and diagnostics only,
    # never for a training signal.
    ground_truth: str | None = None
    level: int | None = None


@dataclass(frozen=True)
class ParsedProposal:
    problem: Problem | None
    invalid_reason: str | None = None

    @property
    def valid(self) -> bool:
        return self.problem is not None


class Task(Protocol):
    name: str
    topics: list[str]

    def proposer_prompt(self, topic: str) -> str: ...

    def parse_proposal(self, text: str) -> ParsedProposal: ...

    def solver_prompt(self, problem: Problem) -> str: ...

    def extract_answer(self, completion: str) -> str | None: ...

    def equivalent(self, a: str | None, b: str | None) -> bool: ...

    def eval_problems(self) -> list[Problem]: ...

    # Optional, for problem_source=scripted: ``sample_problems(rng: random.Random, n: int,
    # level_mix: dict[int, float]) -> list[Problem]``, n problems at levels drawn by the
    # weights (an empty mix: every level equally), ValueError for a level it cannot make.
