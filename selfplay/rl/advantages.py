"""Sequence-level advantages for outcome rewards (one scalar reward per sample).

A group is the set of samples that share a prompt: the N solver attempts at one problem,
or the G proposals for one topic prompt. Conventions (they match verl's core_algos, which
tests/rl/test_rl_crosscheck_verl.py checks to 1e-6):

* grpo: (r - mean_g) / (std_g + eps), std_g the unbiased (Bessel, n-1) group std, as
  torch.std / verl / TRL compute it. With norm_adv_by_std_in_grpo=False it is drgrpo.
* drgrpo: r - mean_g (Dr. GRPO: no std division, it biases towards easy/hard groups).
* rloo: r - mean of the *other* samples of the group, which equals n/(n-1) * (r - mean_g).
* reinforce_pp: r whitened over the whole batch, (r - mean_B) / sqrt(var_B + whiten_eps)
  with the unbiased batch variance (verl's masked_whiten).
* reinforce_pp_baseline: r - mean_g, then whitened over the batch like reinforce_pp.

Edge cases, chosen so every output is finite:
* A group whose rewards are all equal carries no signal: advantage 0 (grpo: 0 / (0 + eps)).
* A group of one sample has no baseline: advantage 0 for every group-based estimator, before
  any batch whitening. (verl is inconsistent here: its loop versions of grpo / rloo /
  reinforce_pp_baseline use a 0 baseline, i.e. the raw reward, its vectorised rloo gives 0.
  A raw reward as advantage would reward singletons for being right and never punish them.)
* Batch whitening of a batch with zero variance (or one sample) gives 0.

verl whitens the REINFORCE++ pair over tokens: long responses weigh more in the batch mean
and variance, and Bessel's n - 1 counts tokens. Pass token_counts (response tokens per
sample) to reproduce that exactly; by default the statistics are over sequences, one vote
per sample, which suits sequence-level rewards.
"""

from __future__ import annotations

from typing import Protocol

import torch
from torch import Tensor

from selfplay.registry import Registry


class Estimator(Protocol):
    def __call__(
        self, r: Tensor, group_index: Tensor, *, norm_adv_by_std_in_grpo: bool, eps: float, whiten_eps: float,
        token_counts: Tensor | None,
    ) -> Tensor: ...


# algo.adv_estimator -> advantages [B] from float rewards [B] and group ids [B]
ESTIMATORS: Registry[Estimator] = Registry("advantage estimator")


def group_stats(values: Tensor, group_index: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Per-sample group mean, unbiased group std and group size, broadcast back to [B]."""
    _, inv = torch.unique(group_index, return_inverse=True)  # ids may be arbitrary, sparse ints
    n_groups = int(inv.max()) + 1 if inv.numel() else 0
    zeros = values.new_zeros(n_groups)
    count = zeros.index_add(0, inv, torch.ones_like(values))
    mean = (zeros.index_add(0, inv, values) / count)[inv]
    # sum/n can miss an all-equal group's value by an ulp (0.1 * 3 / 3 != 0.1); use the value
    # itself there so such groups (and singletons) get exactly 0 deviation and 0 std.
    lo = zeros.scatter_reduce(0, inv, values, "amin", include_self=False)
    hi = zeros.scatter_reduce(0, inv, values, "amax", include_self=False)
    mean = torch.where((lo == hi)[inv], values, mean)
    sq_dev = zeros.index_add(0, inv, (values - mean) ** 2)
    std = (sq_dev / (count - 1).clamp_min(1)).sqrt()  # a singleton's std is 0, not NaN
    return mean, std[inv], count[inv]


def batch_whiten(values: Tensor, *, weights: Tensor | None = None, eps: float = 1e-8) -> Tensor:
    """(x - mean) / sqrt(var + eps) over the batch, unbiased var; weights count repeats (tokens)."""
    w = torch.ones_like(values) if weights is None else weights.to(values.dtype)
    n = w.sum()
    if values.numel() == 0 or n <= 1 or values.min() == values.max():
        return torch.zeros_like(values)  # no spread: no signal (and no ulp-sized noise blown up)
    mean = (w * values).sum() / n
    var = (w * (values - mean) ** 2).sum() / (n - 1)  # = biased var * n/(n-1), Bessel over tokens
    return (values - mean) * torch.rsqrt(var + eps)


def compute_advantages(
    rewards: Tensor,
    group_index: Tensor,
    estimator: str,
    *,
    norm_adv_by_std_in_grpo: bool = True,
    eps: float = 1e-6,
    whiten_eps: float = 1e-8,
    token_counts: Tensor | None = None,
) -> Tensor:
    """Advantages [B] from rewards [B] and group ids [B] (see the module doc for conventions).

    eps guards the grpo std division; whiten_eps the batch whitening of the reinforce_pp pair;
    token_counts (reinforce_pp*, optional) weights the batch statistics by response length.
    """
    fn = ESTIMATORS.get(estimator, "adv_estimator")
    if rewards.dim() != 1 or group_index.shape != rewards.shape:
        raise ValueError(
            f"rewards and group_index must both be [B], got {tuple(rewards.shape)} and {tuple(group_index.shape)}"
        )
    if not torch.isfinite(rewards).all():
        raise ValueError("rewards contain NaN or inf")
    if rewards.numel() == 0:
        return rewards.clone()
    r = rewards if rewards.is_floating_point() else rewards.float()
    return fn(
        r, group_index.to(r.device), norm_adv_by_std_in_grpo=norm_adv_by_std_in_grpo, eps=eps, whiten_eps=whiten_eps,
        token_counts=token_counts,
    )


def _centered(r: Tensor, group_index: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """r - group mean (exactly 0 for singletons and all-equal groups), group std and size."""
    mean, std, count = group_stats(r, group_index)
    return r - mean, std, count


@ESTIMATORS.register("grpo")
def _grpo(r, group_index, *, norm_adv_by_std_in_grpo, eps, whiten_eps, token_counts):
    centered, std, _ = _centered(r, group_index)
    return centered / (std + eps) if norm_adv_by_std_in_grpo else centered


@ESTIMATORS.register("drgrpo")
def _drgrpo(r, group_index, *, norm_adv_by_std_in_grpo, eps, whiten_eps, token_counts):
    return _centered(r, group_index)[0]


@ESTIMATORS.register("rloo")
def _rloo(r, group_index, *, norm_adv_by_std_in_grpo, eps, whiten_eps, token_counts):
    # r - (sum - r)/(n - 1) == n/(n-1) * (r - mean); singletons have no "others": 0.
    centered, _, count = _centered(r, group_index)
    return centered * count / (count - 1).clamp_min(1)


@ESTIMATORS.register("reinforce_pp")
def _reinforce_pp(r, group_index, *, norm_adv_by_std_in_grpo, eps, whiten_eps, token_counts):
    return batch_whiten(r, weights=token_counts, eps=whiten_eps)


@ESTIMATORS.register("reinforce_pp_baseline")
def _reinforce_pp_baseline(r, group_index, *, norm_adv_by_std_in_grpo, eps, whiten_eps, token_counts):
    return batch_whiten(_centered(r, group_index)[0], weights=token_counts, eps=whiten_eps)


def token_advantages(advantages: Tensor, response_mask: Tensor) -> Tensor:
    """Broadcast sequence advantages [B] to tokens [B, T], zero outside the response."""
    return advantages.unsqueeze(-1) * response_mask.to(advantages.dtype)
