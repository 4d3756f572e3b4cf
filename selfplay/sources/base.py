"""The two interfaces a step reads its data through, and what crosses them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from selfplay.messages import Generation
from selfplay.tasks.base import ParsedProposal, Problem

if TYPE_CHECKING:
    from selfplay.actors import Actors
    from selfplay.tasks.verdicts import Verdicts


@dataclass
class Proposal:
    """One problem of a step, valid or not, and where it came from."""

    topic_idx: int  # its group: the proposer's GRPO group is one topic prompt's G proposals
    sample_idx: int
    topic: str
    prompt: str  # what the proposer read ("" where no model proposed it)
    completion: str  # what was parsed: the proposer's text, or the problem as written
    parsed: ParsedProposal
    source: str  # the problem source's name: the rollouts' ``source`` column
    gen: Generation | None = None  # token ids, where this run's proposer generated it


class ProblemSource(Protocol):
    name: str

    def propose(self, step: int, actors: Actors) -> list[Proposal]:
        """This step's problems, grouped by ``topic_idx``."""
        ...

    def trains_proposer(self, step: int) -> bool:
        """Whether the proposer learns from this step's proposals."""
        ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class ProblemLabel:
    """The answer a problem's solver attempts are rewarded for matching."""

    answer: str | None  # None: no label, every attempt gets 0
    scores: tuple[float, ...]  # per attempt, in [0, 1]: its reward against the label
    correct: bool | None = None  # the label against ground truth, where both are known (diagnostics)


@dataclass(frozen=True)
class Labels:
    per_problem: list[ProblemLabel]
    metrics: dict[str, float]


class LabelSource(Protocol):
    name: str

    def label(self, problems: list[Problem], verdicts: list[Verdicts], actors: Actors) -> Labels:
        """One label per problem, from the task's ``verdicts`` on the solver's attempts (or
        from elsewhere)."""
        ...
