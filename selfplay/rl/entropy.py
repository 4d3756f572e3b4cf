"""Entropy of the policy's next-token distributions."""

from __future__ import annotations

import torch
from torch import Tensor


def entropy_from_logits(logits: Tensor) -> Tensor:
    """H = -sum_v p_v log p_v over the last dim; [..., V] -> [...].

    log_softmax keeps large logits stable; flooring log p at the dtype's minimum makes
    tokens masked with -inf logits contribute 0 * finite = 0 (and a finite gradient).
    """
    logp = torch.log_softmax(logits, dim=-1)
    logp = logp.clamp_min(torch.finfo(logp.dtype).min)
    return -(logp.exp() * logp).sum(-1)
