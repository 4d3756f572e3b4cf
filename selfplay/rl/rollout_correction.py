"""Train/inference mismatch: the sampler (a vLLM engine) and the trainer compute a token's
log-prob with different kernels, so the update's "old policy" is not exactly the policy that
sampled. Two small pieces:

- ``logprob_gap``: |sampler - trainer| log-prob over the response tokens, to log it;
- ``tis_weights``: truncated importance sampling (Yao et al. 2025, "Your efficient RL framework
  secretly brings you off-policy RL training"; verl's ``tis_imp_ratio_cap``): each token's
  policy-gradient loss is weighted by min(p_trainer / p_sampler, cap), detached, which turns
  the sampler's draws into an estimate under the trainer's old policy, its variance bounded
  by the cap.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class LogprobGap:
    """Sums over response tokens, so micro-batches add up: mean = total / tokens."""

    total: float = 0.0
    max: float = 0.0
    tokens: float = 0.0

    def add(self, sampler: Tensor, trainer: Tensor, mask: Tensor) -> None:
        gap = torch.where(mask > 0, (sampler.detach() - trainer.detach()).abs(), 0.0)
        self.total += float(gap.sum())
        self.max = max(self.max, float(gap.max())) if gap.numel() else self.max
        self.tokens += float((mask > 0).sum())

    def metrics(self) -> dict[str, float]:
        return {"rollout_logprob_diff_mean": self.total / self.tokens if self.tokens else 0.0,
                "rollout_logprob_diff_max": self.max}


def tis_weights(trainer_logprobs: Tensor, sampler_logprobs: Tensor, cap: float) -> Tensor:
    """min(exp(trainer - sampler), cap) per token, without gradient (a weight, not a path)."""
    if not cap > 0:
        raise ValueError(f"the truncation cap must be > 0, got {cap}")
    # The log-ratio is clamped before exp() as in policy_loss; the cap bounds it anyway.
    log_ratio = (trainer_logprobs.detach() - sampler_logprobs.detach()).clamp(max=20.0)
    return log_ratio.exp().clamp(max=cap)
