"""What a task is: topics to propose on, a proposal parser, a judge of the solver's
completions, and a held-out evaluation set with ground truth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from selfplay.tasks.verdicts import Verdicts


@dataclass(frozen=True)
class Problem:
    text: str
    # Known where the task can compute it; used for evaluation and diagnostics only,
    # never for a training signal.
    ground_truth: str | None = None
    level: int | None = None

    @property
    def details(self) -> str | None:
        """What the rollouts' ``details`` column shows beside the text (code: its tests)."""
        return None


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

    def judge(self, problems: list[Problem], completions: list[list[str]], *, min_majority: int) -> list[Verdicts]:
        """Each problem's completions judged (selfplay/tasks/verdicts.py): the solver's scores,
        the label, the curriculum's rate, correctness against ground truth. The only
        verification: the step and the evaluation both call it. ``min_majority``: the
        smallest cluster a vote may label with."""
        ...

    def eval_problems(self) -> list[Problem]: ...

    # Answer tasks also have ``extract_answer(completion) -> str | None`` and
    # ``equivalent(a, b) -> bool`` (what their judge votes with; labels=teacher/oracle match
    # answers with it). Code tasks judge by running programs and have neither.

    # Optional, where the held-out set is a named benchmark (code tasks, task.eval_set=humaneval):
    # ``eval_benchmark: str | None`` (its name: the evaluation repeats its metrics under
    # eval/<name>/) and ``benchmark_prompts() -> dict[str, str]`` (what proposals are checked
    # for overlap with, selfplay/contamination.py).

    # Optional, for problem_source=scripted: ``sample_problems(rng: random.Random, n: int,
    # level_mix: dict[int, float]) -> list[Problem]``, n problems at levels drawn by the
    # weights (an empty mix: every level equally), ValueError for a level it cannot make.
