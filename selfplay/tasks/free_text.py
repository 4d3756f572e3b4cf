"""A task whose problems are free text written by a real model (multiply, linear_equations).

The flow is the same for every such task; each task module supplies what differs: its topic
prompts, how to compute a question's value where it can (for diagnostics only), and its
held-out evaluation set with its levels.

A proposal is valid when a question can be cut out of it (``proposal_text.cut_question``)
that is non-empty, at most ``MAX_QUESTION_CHARS`` long, holds a number, and does not carry
an answer in the solver's answer format. Validity is a format check, as in SQLM: whether
the question is well-posed is for the solver's agreement to show, not for a parser to
judge. The value a task computes becomes the problem's ``ground_truth`` (None where the
text cannot be parsed), used for ``label_accuracy`` and the rollouts' ``correct`` column.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

from selfplay.tasks.base import ParsedProposal, Problem
from selfplay.tasks.verdicts import Verdicts, vote_on_answers
from selfplay.tasks.proposal_text import cut_question, empty_reason, format_rational, leaks_answer, solver_prompt
from verifiers import extract_answer, is_equivalent

MAX_QUESTION_CHARS = 600
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Solution:
    """What a task computes from a question's text."""

    value: Fraction
    level: int | None = None


Solve = Callable[[str], "Solution | None"]
MakeEvalSet = Callable[[int, int, list[int]], list[Problem]]  # (seed, per_level, levels)
SampleLevel = Callable[[random.Random, int], Problem]  # (rng, level) -> a problem of that level


@dataclass
class FreeTextTask:
    name: str
    prompts: dict[str, str]  # topic -> the proposer's instruction
    solve: Solve
    make_eval_set: MakeEvalSet
    levels: list[int]  # the evaluation levels this task knows
    topics: list[str] = field(default_factory=list)  # empty: every topic in ``prompts``
    eval_levels: list[int] = field(default_factory=list)  # empty: every level
    answer_format: str = "auto"
    equivalence: str = "numeric"
    equivalence_timeout_s: float = 2.0
    eval_seed: int = 1234
    eval_per_level: int = 64
    sample_level: SampleLevel | None = None  # the task's generator, for problem_source=scripted
    # A problem's kind beyond its level (selfplay/instruments/features.py); None: its level only.
    describe: Callable[[Problem], dict] | None = None

    def __post_init__(self) -> None:
        self.topics = list(self.topics) or sorted(self.prompts)
        unknown = set(self.topics) - set(self.prompts)
        if unknown:
            raise ValueError(f"task.topics: unknown {sorted(unknown)}; {self.name} knows {sorted(self.prompts)}")
        self.eval_levels = list(self.eval_levels) or list(self.levels)
        bad = set(self.eval_levels) - set(self.levels)
        if bad:
            raise ValueError(f"task.eval_levels: unknown {sorted(bad)}; {self.name} has levels {self.levels}")

    def proposer_prompt(self, topic: str) -> str:
        return self.prompts[topic]

    def parse_proposal(self, text: str) -> ParsedProposal:
        cut = cut_question(text)
        question = cut.text
        if not question:
            return ParsedProposal(None, empty_reason(cut))
        if len(question) > MAX_QUESTION_CHARS:
            return ParsedProposal(None, f"question longer than {MAX_QUESTION_CHARS} characters")
        if leaks_answer(question):
            return ParsedProposal(None, "question contains an answer (<answer> or \\boxed)")
        if not _DIGIT.search(question):
            return ParsedProposal(None, "question has no number")
        solution = self.solve(question)
        if solution is None:
            return ParsedProposal(Problem(question))
        return ParsedProposal(Problem(question, format_rational(solution.value), solution.level))

    def solver_prompt(self, problem: Problem) -> str:
        return solver_prompt(problem.text)

    def extract_answer(self, completion: str) -> str | None:
        return extract_answer(completion, self.answer_format)

    def judge(self, problems: list[Problem], completions: list[list[str]], *, min_majority: int) -> list[Verdicts]:
        return vote_on_answers(self, problems, completions, min_majority)

    def equivalent(self, a: str | None, b: str | None) -> bool:
        return is_equivalent(a, b, mode=self.equivalence, timeout_s=self.equivalence_timeout_s)

    def sample_problems(self, rng: random.Random, n: int, level_mix: dict[int, float]) -> list[Problem]:
        """``n`` problems at levels drawn by ``level_mix`` (level -> weight; empty: uniform)."""
        if self.sample_level is None:
            raise ValueError(f"task {self.name!r} has no problem generator")
        mix = dict(level_mix) or {lvl: 1.0 for lvl in self.levels}
        levels = [lvl for lvl, w in sorted(mix.items()) if w > 0]
        if unknown := sorted(set(levels) - set(self.levels)):
            raise ValueError(f"level_mix={mix}: task {self.name!r} has no level(s) {unknown} (levels: {self.levels})")
        return [self.sample_level(rng, lvl) for lvl in rng.choices(levels, weights=[mix[lvl] for lvl in levels], k=n)]

    def eval_problems(self) -> list[Problem]:
        return self.make_eval_set(self.eval_seed, self.eval_per_level, self.eval_levels)

    def features(self, problem: Problem) -> dict:
        if self.describe is not None:
            return self.describe(problem)
        return {} if problem.level is None else {"level": problem.level}


def from_config(cfg, **parts) -> FreeTextTask:
    """A task from its module's ``parts`` (name, prompts, solve, ...) and a ``TaskConfig``."""
    return FreeTextTask(
        **parts,
        topics=list(cfg.topics),
        eval_levels=list(cfg.eval_levels),
        answer_format=cfg.answer_format,
        equivalence=cfg.equivalence,
        equivalence_timeout_s=cfg.equivalence_timeout_s,
        eval_seed=cfg.eval_seed,
        eval_per_level=cfg.eval_per_level,
    )
