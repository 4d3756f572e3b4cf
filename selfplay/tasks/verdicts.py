"""What a task's judge says about each problem's N solver completions (``Task.judge``).

The step (rewards, curriculum, rollouts) and the evaluation (pass@1, greedy, maj@N) both
read ``Verdicts``, so how a task verifies is decided in one place, by the task:
- answer tasks (toy arithmetic, multiply, linear_equations) *vote* (``vote()``): answers
  extracted, clustered by the task's equivalence, majority label, solver score 1 for an
  answer in the majority cluster when a majority exists;
- ``code`` *grades*: each program's score is the fraction of the proposer's tests it passes;
- ``code_io`` votes over programs clustered by their outputs (selfplay/tasks/code_io.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from selfplay.messages import ProblemOutcome
from verifiers.majority import MajorityResult, majority_vote


@dataclass(frozen=True)
class Verdicts:
    answers: tuple[str | None, ...]  # per completion: what was read from it (an answer, a program); None: nothing
    scores: tuple[float, ...]  # per completion, in [0, 1]: the solver's reward against ``label``
    clusters: tuple[int, ...]  # per completion: its answer cluster (-1: none, or a task that does not cluster)
    label: str | None  # what the scores reward matching (a vote: the majority where one exists); None: all 0
    majority: str | None  # a vote's largest cluster (ties: the first), majority or not; None: no vote
    agree: int  # a vote: answers in the largest cluster; graded: completions scoring 1
    n: int
    # Graded tasks: the mean score, the curriculum's rate (SQLM's code rule: in the band iff
    # 0 < mean < 1). None for a vote, whose rate is agree / n.
    mean_score: float | None
    correct: tuple[bool | None, ...]  # per completion, against ground truth; None where unknown (diagnostics)
    majority_correct: bool | None  # a vote's largest cluster against ground truth; graded: None
    details: tuple[str | None, ...]  # per completion: a readable account (code: each test's result) or None

    @property
    def rate(self) -> float:
        """The curriculum's p: agreement rate of a vote, or a graded task's mean score."""
        if self.mean_score is not None:
            return self.mean_score
        return self.agree / self.n if self.n else 0.0

    def outcome(self, text: str) -> ProblemOutcome:
        return ProblemOutcome(text, self.agree, self.n, self.mean_score)


def has_majority(m: MajorityResult, min_size: int) -> bool:
    """Whether the vote yields a pseudo-label: a unique largest cluster of >= ``min_size`` answers.

    SQLM rewards agreeing with the majority "when a majority exists"; with every answer
    different, or two clusters tied, rewarding the tie-break winner would train on noise.
    """
    top = m.majority_size
    return m.label is not None and top >= min_size and list(m.cluster_sizes).count(top) == 1


def vote(answers: Sequence[str | None], equivalent: Callable[[str, str], bool], truth: str | None,
         min_majority: int, details: Sequence[str | None] | None = None) -> Verdicts:
    """Majority vote over extracted answers; ``truth`` (may be None) only fills ``correct``."""
    m = majority_vote(answers, equivalent)
    labeled = has_majority(m, min_majority)

    def right(answer: str | None) -> bool | None:
        return (answer is not None and equivalent(answer, truth)) if truth else None

    return Verdicts(
        answers=tuple(answers),
        scores=tuple(float(labeled and m.agrees(j)) for j in range(m.n)),
        clusters=m.cluster_of,
        label=m.label if labeled else None,
        majority=m.label,
        agree=m.majority_size,
        n=m.n,
        mean_score=None,
        correct=tuple(right(a) for a in answers),
        majority_correct=(m.label is not None and equivalent(m.label, truth)) if truth else None,
        details=tuple(details) if details is not None else (None,) * m.n,
    )


def vote_on_answers(task, problems, completions, min_majority: int) -> list[Verdicts]:
    """``Task.judge`` of the answer tasks: extract with the task's format, vote with its equivalence."""
    return [
        vote([task.extract_answer(c) for c in group], task.equivalent, problem.ground_truth, min_majority)
        for problem, group in zip(problems, completions, strict=True)
    ]
