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

import torch
from torch import Tensor

LOSS_AGG_MODES = ("token-mean", "seq-mean-token-mean", "seq-mean-token-sum", "seq-mean-token-sum-norm")


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
    if mode not in LOSS_AGG_MODES:
        raise ValueError(f"unknown loss_agg_mode {mode!r}; expected one of {list(LOSS_AGG_MODES)}")
    mask = mask.to(values.dtype)
    # where(): NaN/inf at padded positions must not leak through 0 * NaN.
    masked = torch.where(mask > 0, values, torch.zeros_like(values)) * mask

    if mode == "token-mean":
        tokens = mask.sum() if global_token_count is None else global_token_count
        return masked.sum() / _denominator(tokens, values)

    tokens_per_seq = mask.sum(-1)
    seqs = (tokens_per_seq > 0).sum() if global_seq_count is None else global_seq_count
    if mode == "seq-mean-token-mean":
        seq_values = masked.sum(-1) / _denominator(tokens_per_seq, values)
    else:
        seq_values = masked.sum(-1)
    loss = seq_values.sum() / _denominator(seqs, values)
    if mode == "seq-mean-token-sum-norm":
        loss = loss / (values.shape[-1] if norm_length is None else norm_length)
    return loss
