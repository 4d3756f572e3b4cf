"""What crosses between the driver and the actors: plain, frozen dataclasses of token ids,
text and numbers. Both ``agents/`` (the workers) and ``selfplay/`` (the driver and the step)
import them from here, so neither side depends on the other's internals.

See docs/architecture.md for which call carries which message.
"""

from __future__ import annotations

from dataclasses import dataclass, field


# -- policy workers (agents/policy_worker.py) ------------------------------------------------
@dataclass(frozen=True)
class SamplingParams:
    temperature: float = 1.0
    max_new_tokens: int = 16
    n: int = 1
    top_p: float = 1.0
    greedy: bool = False
    min_new_tokens: int = 0  # EOS is not sampled before this many tokens (benchmarks force lengths with it)
    logprobs: bool = False  # also return each sampled token's log-prob under the sampler (diagnostics)


@dataclass(frozen=True)
class Generation:
    """One sampled completion. ``completion_ids`` ends with EOS when the model stopped."""

    prompt_ids: list[int]
    completion_ids: list[int]
    text: str
    finished: bool
    # log p(token) of each completion token under the sampler's logits / temperature (before
    # logits processors such as min_new_tokens); only with SamplingParams.logprobs.
    logprobs: tuple[float, ...] | None = None


@dataclass(frozen=True)
class TrainSample:
    prompt_ids: list[int]
    completion_ids: list[int]
    reward: float
    group: int  # samples sharing a group are each other's baseline


@dataclass(frozen=True)
class TrainResult:
    metrics: dict[str, float]
    advantages: list[float]  # one per sample, in the order given


# -- the curriculum controller (selfplay/curriculum/controller.py) ----------------------------
@dataclass(frozen=True)
class ProblemOutcome:
    """How the solver did on one proposal; ``n == 0`` marks an invalid proposal."""

    text: str | None
    agree: int
    n: int


@dataclass(frozen=True)
class CurriculumScores:
    rewards: list[float]
    in_band: list[bool]
    metrics: dict[str, float] = field(default_factory=dict)
