"""Reduce a per-token loss [B, T] to the scalar that is back-propagated.

Modes (names as in verl):
  token-mean               sum over all tokens / number of tokens (every token weighs the same)
  seq-mean-token-mean      mean over sequences of each sequence's token mean (original GRPO)
  seq-mean-token-sum       mean over sequences of each sequence's token sum
  seq-mean-token-sum-norm  token sum / (number of sequences * norm_length), norm_length a
                           constant such as the generation budget (Dr. GRPO), so no length bias

Sequence means count only sequences with at least one unmasked token. For gradient
accumulation pass the *mini-batch's* global_token_count / global_seq_count: each micro-batch
then returns its share of the mini-batch loss and the shares add up to it exactly, in
every mode. Empty denominators count as 1, so a fully masked batch gives 0, not NaN.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from selfplay.registry import Registry

# algo.loss_agg_mode -> fn(masked values [B, T], mask [B, T], norm_length, global counts) -> scalar
LOSS_AGG_MODES: Registry[Callable[..., Tensor]] = Registry("loss aggregation mode")


def _denominator(count: Tensor | int | float, like: Tensor) -> Tensor:
    count = torch.as_tensor(count, dtype=like.dtype, device=like.device)
    return torch.where(count > 0, count, torch.ones_like(count))


def aggregate_loss(
    values: Tensor,
    mask: Tensor,
    mode: str,
    *,
    norm_length: int | None = None,
    global_token_count: Tensor | int | float | None = None,
    global_seq_count: Tensor | int | float | None = None,
) -> Tensor:
    """Scalar loss from values [B, T] over mask [B, T]; see the module doc for the modes.

    norm_length: seq-mean-token-sum-norm's constant; None uses T (the padded length).
    """
    agg = LOSS_AGG_MODES.get(mode, "loss_agg_mode")
    mask = mask.to(values.dtype)
    # where(): NaN/inf at padded positions must not leak through 0 * NaN.
    masked = torch.where(mask > 0, values, torch.zeros_like(values)) * mask
    return agg(masked, mask, norm_length=norm_length, global_token_count=global_token_count, global_seq_count=global_seq_count)


@LOSS_AGG_MODES.register("token-mean")
def _token_mean(masked: Tensor, mask: Tensor, *, norm_length, global_token_count, global_seq_count) -> Tensor:
    tokens = mask.sum() if global_token_count is None else global_token_count
    return masked.sum() / _denominator(tokens, masked)


def _over_sequences(seq_values: Tensor, mask: Tensor, global_seq_count) -> Tensor:
    seqs = (mask.sum(-1) > 0).sum() if global_seq_count is None else global_seq_count
    return seq_values.sum() / _denominator(seqs, seq_values)


@LOSS_AGG_MODES.register("seq-mean-token-mean")
def _seq_mean_token_mean(masked: Tensor, mask: Tensor, *, norm_length, global_token_count, global_seq_count) -> Tensor:
    return _over_sequences(masked.sum(-1) / _denominator(mask.sum(-1), masked), mask, global_seq_count)


@LOSS_AGG_MODES.register("seq-mean-token-sum")
def _seq_mean_token_sum(masked: Tensor, mask: Tensor, *, norm_length, global_token_count, global_seq_count) -> Tensor:
    return _over_sequences(masked.sum(-1), mask, global_seq_count)


@LOSS_AGG_MODES.register("seq-mean-token-sum-norm")
def _seq_mean_token_sum_norm(masked: Tensor, mask: Tensor, *, norm_length, global_token_count, global_seq_count) -> Tensor:
    loss = _over_sequences(masked.sum(-1), mask, global_seq_count)
    return loss / (masked.shape[-1] if norm_length is None else norm_length)
