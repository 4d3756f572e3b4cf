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
    # The sampler's log-prob of each completion token (Generation.logprobs), where the backend
    # reports them: the update measures (and with algo.tis_cap corrects) the mismatch.
    sampler_logprobs: tuple[float, ...] | None = None


@dataclass(frozen=True)
class TrainResult:
    metrics: dict[str, float]
    advantages: list[float]  # one per sample, in the order given


@dataclass(frozen=True)
class ProbeRequest:
    """A fixed probe of one role's policy (``PolicyWorker.probe``; selfplay/instruments/drift.py).

    The worker answers ``prompts`` with its frozen reference once (greedy, or ``ref_samples``
    samples each from ``seed``): those fixed answers are the token positions the KL is taken
    over at every probe. ``samples`` > 0 also samples the current policy, from ``seed``.
    """

    name: str  # the role probed; a worker keeps one memory per name
    prompts: list[str]
    max_new_tokens: int
    ref_samples: int = 0  # 0: the reference's greedy answer
    samples: int = 0
    temperature: float = 1.0
    seed: int = 0
    # Whether this probe becomes the "previous" one of ``kl_to_prev``: only evaluations on the
    # eval_every cadence are, so a run's off-cadence final evaluation (which an extended or
    # uninterrupted run does not make) leaves the next measurement unchanged.
    keep: bool = True
    top_k: int = 128  # tokens kept per position of the snapshot kl_to_prev compares with


@dataclass(frozen=True)
class ProbeResult:
    """Drift of the policy on a probe; the ``*_prev`` fields are None on a probe's first call."""

    kl_to_base: float  # mean over answer tokens of KL(policy || reference), full distributions
    kl_to_prev: float | None  # the same to the previous probe's snapshot (top_k tokens + the rest)
    changed_vs_base: float  # share of prompts whose greedy answer differs from the reference's
    changed_vs_prev: float | None
    tokens: int  # answer tokens the KL is averaged over
    greedy: list[str]  # the policy's greedy answers
    samples: list[list[str]]  # ``samples`` per prompt, from ``seed``


# -- the curriculum controller (selfplay/curriculum/controller.py) ----------------------------
@dataclass(frozen=True)
class ProblemOutcome:
    """How the solver did on one proposal; ``n == 0`` marks an invalid proposal.

    ``agree``: answers in the largest cluster of a vote, or (graded tasks) completions that
    scored 1. ``mean_score``: a graded task's mean solver score (code: fraction of tests
    passed); None for a vote, whose rate is ``agree / n``."""

    text: str | None
    agree: int
    n: int
    mean_score: float | None = None

    @property
    def rate(self) -> float:
        if self.mean_score is not None:
            return self.mean_score
        return self.agree / self.n if self.n else 0.0


@dataclass(frozen=True)
class CurriculumScores:
    rewards: list[float]
    in_band: list[bool]
    metrics: dict[str, float] = field(default_factory=dict)
