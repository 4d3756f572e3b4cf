"""Per-token estimators of KL(pi || pi_ref) from sampled tokens (Schulman, "Approximating KL").

With d = logp - ref_logp on tokens sampled from pi:
  k1 = d                       unbiased, high variance, can be negative
  k2 = d^2 / 2                 biased, low variance, its gradient is the true KL gradient
  k3 = exp(-d) - (-d) - 1      unbiased, low variance, always >= 0 ("low_var_kl")
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from selfplay.registry import Registry

# algo.kl_loss_type / algo.kl_reward_type -> elementwise estimate from d = logp - ref_logp
KL_ESTIMATORS: Registry[Callable[[Tensor], Tensor]] = Registry("KL estimator")


@KL_ESTIMATORS.register("k1")
def _k1(diff: Tensor) -> Tensor:
    return diff


@KL_ESTIMATORS.register("k2")
def _k2(diff: Tensor) -> Tensor:
    return 0.5 * diff.square()


@KL_ESTIMATORS.register("k3")
def _k3(diff: Tensor) -> Tensor:
    # Clamp the exponent first: exp() of a huge value is inf and its gradient NaN,
    # even where the outer clamp would discard it.
    log_ratio = (-diff).clamp(-20.0, 20.0)
    return (log_ratio.exp() - log_ratio - 1).clamp(-10.0, 10.0)


def kl_penalty(logprobs: Tensor, ref_logprobs: Tensor, estimator: str) -> Tensor:
    """Elementwise KL estimate; k3 is clamped to [-10, 10] as verl does."""
    return KL_ESTIMATORS.get(estimator, "kl estimator")(logprobs - ref_logprobs)


@torch.no_grad()
def apply_kl_in_reward(
    rewards: Tensor,
    logprobs: Tensor,
    ref_logprobs: Tensor,
    response_mask: Tensor,
    coef: float,
    estimator: str = "k1",
) -> tuple[Tensor, float]:
    """Sequence-level KL shaping: r - coef * sum_t kl_t over the response tokens.

    logprobs are the rollout policy's (old) log-probs. Returns the shaped rewards [B] and the
    mean per-token KL over all response tokens of the batch (for logging). This equals the
    token-level shaping of REINFORCE++/PPO seen from the first response token (gamma = 1);
    the group/batch baselines are then computed on the shaped rewards.
    """
    mask = response_mask.to(logprobs.dtype)
    kl = torch.where(mask > 0, kl_penalty(logprobs, ref_logprobs, estimator), 0.0) * mask
    kl_mean = float(kl.sum() / mask.sum().clamp_min(1))
    return rewards - coef * kl.sum(-1).to(rewards.dtype), kl_mean
