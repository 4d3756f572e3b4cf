"""The toy world's task: integer addition and multiplication at four difficulty levels."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from selfplay.tasks.base import ParsedProposal, Problem
from selfplay.tasks.verdicts import Verdicts, vote_on_answers
from selfplay.toyworld import arithmetic, formats
from verifiers import extract_answer, is_equivalent


@dataclass
class ToyArithmeticTask:
    topics: list[str] = field(default_factory=lambda: sorted(arithmetic.TOPICS))
    answer_format: str = "answer_tag"
    equivalence: str = "numeric"
    eval_seed: int = 1234
    eval_per_level: int = 64
    name: str = "toy_arithmetic"

    def __post_init__(self) -> None:
        unknown = set(self.topics) - set(arithmetic.TOPICS)
        if unknown:
            raise ValueError(f"task.topics: unknown {sorted(unknown)}; toy_arithmetic knows {sorted(arithmetic.TOPICS)}")

    def proposer_prompt(self, topic: str) -> str:
        return formats.proposer_prompt(topic)

    def parse_proposal(self, text: str) -> ParsedProposal:
        problem = arithmetic.parse_problem(text)
        if problem is None:
            return ParsedProposal(None, "not a problem of the form <a><op><b> with operands < 1000")
        return ParsedProposal(_to_problem(problem))

    def solver_prompt(self, problem: Problem) -> str:
        return formats.solver_prompt(problem.text)

    def extract_answer(self, completion: str) -> str | None:
        return extract_answer(completion, self.answer_format)

    def judge(self, problems: list[Problem], completions: list[list[str]], *, min_majority: int) -> list[Verdicts]:
        return vote_on_answers(self, problems, completions, min_majority)

    def equivalent(self, a: str | None, b: str | None) -> bool:
        return is_equivalent(a, b, mode=self.equivalence)

    def sample_problems(self, rng: random.Random, n: int, level_mix: dict[int, float]) -> list[Problem]:
        """``n`` problems of the task's topics at levels drawn by ``level_mix`` (empty: uniform)."""
        ops = {arithmetic.TOPICS[t] for t in self.topics}
        return [_to_problem(p) for p in arithmetic.sample_mix(rng, n, level_mix, ops)]

    def eval_problems(self) -> list[Problem]:
        return [_to_problem(p) for p in arithmetic.eval_set(self.eval_seed, self.eval_per_level)]

    # The rare kinds (selfplay/instruments/): the hardest level, which the base model rarely
    # gets right, and anything beyond it.
    tails = {"level": (4, arithmetic.BEYOND_LEVEL)}

    def features(self, problem: Problem) -> dict:
        """Level, operator and operand digits (``2x1``: longer operand first)."""
        p = arithmetic.parse_problem(problem.text)
        if p is None:
            return {"level": problem.level}
        digits = sorted((len(str(p.a)), len(str(p.b))), reverse=True)
        return {"level": p.level, "op": p.op, "digits": f"{digits[0]}x{digits[1]}"}


def _to_problem(p: arithmetic.ArithProblem) -> Problem:
    return Problem(text=p.text, ground_truth=str(p.answer), level=p.level)


def make(cfg) -> ToyArithmeticTask:
    return ToyArithmeticTask(
        topics=list(cfg.topics),
        answer_format=cfg.answer_format,
        equivalence=cfg.equivalence,
        eval_seed=cfg.eval_seed,
        eval_per_level=cfg.eval_per_level,
    )
