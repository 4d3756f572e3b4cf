"""PPO clipped surrogate with clip-higher (DAPO) and optional dual clip (Ye et al. 2020)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from selfplay.rl.aggregation import aggregate_loss


@dataclass
class PolicyLossOutput:
    loss: Tensor  # scalar, differentiable
    clip_fraction_low: float  # share of tokens with A < 0 and ratio < 1 - clip_ratio_low
    clip_fraction_high: float  # share of tokens with A > 0 and ratio > 1 + clip_ratio_high
    clip_fraction_dual: float  # share of tokens with A < 0 and ratio > clip_ratio_c
    approx_kl: float  # mean of old_logp - logp over response tokens (k1 KL(old || new))


def policy_loss(
    logprobs: Tensor,
    old_logprobs: Tensor,
    advantages: Tensor,
    response_mask: Tensor,
    *,
    clip_ratio_low: float,
    clip_ratio_high: float,
    clip_ratio_c: float | None = None,
    loss_agg_mode: str = "token-mean",
    norm_length: int | None = None,
    global_token_count: Tensor | int | float | None = None,
    global_seq_count: Tensor | int | float | None = None,
    token_weights: Tensor | None = None,
) -> PolicyLossOutput:
    """Per-token loss max(-A r, -A clip(r, 1-lo, 1+hi)), capped at -A c where A < 0 (dual clip).

    advantages: [B] (one per sequence, broadcast over tokens) or [B, T]. Fractions are
    token means over this call's response_mask. token_weights: [B, T] factors of each token's
    loss after clipping (truncated importance sampling, ``rollout_correction.tis_weights``);
    None leaves the loss untouched.
    """
    if advantages.dim() == 1:
        advantages = advantages.unsqueeze(-1)
    advantages = advantages.to(logprobs.dtype).expand_as(logprobs)
    # Clamp the log-ratio so exp() cannot overflow on a stale or badly mismatched old policy.
    log_ratio = (logprobs - old_logprobs).clamp(-20.0, 20.0)
    ratio = log_ratio.exp()
    losses = torch.maximum(-advantages * ratio, -advantages * ratio.clamp(1 - clip_ratio_low, 1 + clip_ratio_high))
    negative = advantages < 0
    if clip_ratio_c is not None:
        # With A < 0 the clipped loss grows without bound in r; cap it at -A * c.
        losses = torch.where(negative, torch.minimum(losses, -advantages * clip_ratio_c), losses)
    if token_weights is not None:
        losses = losses * token_weights.to(losses.dtype)
    loss = aggregate_loss(
        losses,
        response_mask,
        loss_agg_mode,
        norm_length=norm_length,
        global_token_count=global_token_count,
        global_seq_count=global_seq_count,
    )

    with torch.no_grad():
        mask = response_mask.to(logprobs.dtype)
        n = mask.sum().clamp_min(1)

        def share(hit: Tensor) -> float:
            return float((hit.to(mask.dtype) * mask).sum() / n)

        low = share(negative & (ratio < 1 - clip_ratio_low))
        high = share((advantages > 0) & (ratio > 1 + clip_ratio_high))
        dual = 0.0 if clip_ratio_c is None else share(negative & (ratio > clip_ratio_c))
        approx_kl = float((torch.where(mask > 0, -log_ratio, 0.0) * mask).sum() / n)
    return PolicyLossOutput(loss, low, high, dual, approx_kl)
