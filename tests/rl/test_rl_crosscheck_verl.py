"""Cross-check against verl's reference implementation (verl/trainer/ppo/core_algos.py).

verl is a test-only dependency. It must be installed; this module fails (never skips)
without it. Set-up (all --no-deps, so pip never touches torch; these are the only
modules `import verl.trainer.ppo.core_algos` needs beyond torch/numpy/omegaconf/transformers):
    pip install --no-deps verl==0.9.1 tensordict==0.10.0 codetiming==1.4.0 \
        cloudpickle==3.1.3 orjson==3.13.0 pyvers==0.1.0

Where our conventions deliberately differ from verl's, the inputs avoid the difference and
the difference is asserted instead, so a change on either side is noticed:
* singleton groups (verl's loop estimators use the raw reward, we use 0);
* reinforce_pp / reinforce_pp_baseline whitening: verl's statistics are over tokens; ours
  are over sequences unless token_counts=... is passed (checked both ways);
* dual clip (verl always applies clip_ratio_c=3 by default; ours is off unless set).
"""

import numpy as np
import pytest
import torch
import verl.trainer.ppo.core_algos as verl_algos
import verl.utils.torch_functional as verl_F
from omegaconf import OmegaConf

from selfplay.rl.advantages import compute_advantages
from selfplay.rl.aggregation import LOSS_AGG_MODES, aggregate_loss
from selfplay.rl.entropy import entropy_from_logits
from selfplay.rl.kl import apply_kl_in_reward, kl_penalty
from selfplay.rl.policy_loss import policy_loss
from selfplay.rl.update import token_logprobs

ATOL = 1e-6
B, T = 24, 9


def close(a, b, atol=ATOL):
    torch.testing.assert_close(
        torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64), rtol=0, atol=atol
    )


def ragged_mask(seed, rows=B, cols=T, empty_rows=()):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, cols + 1, (rows,), generator=g)
    mask = (torch.arange(cols)[None, :] < lengths[:, None]).float()
    for r in empty_rows:
        mask[r] = 0
    return mask


def outcome_rewards(seed, groups_of, mask, binary=False):
    """Scores [B] plus verl's token-level layout: the score on the last response token."""
    g = torch.Generator().manual_seed(seed)
    scores = (
        (torch.rand(len(groups_of), generator=g) > 0.5).float() if binary else torch.randn(len(groups_of), generator=g)
    )
    token_level = torch.zeros_like(mask)
    last = (mask.sum(-1) - 1).clamp_min(0).long()
    token_level[torch.arange(len(scores)), last] = scores
    return scores, token_level


def shuffled_groups(seed, sizes, ids):
    """Group ids (arbitrary, non-contiguous) for groups of the given sizes, rows shuffled."""
    index = np.concatenate([np.full(n, gid) for n, gid in zip(sizes, ids, strict=True)])
    return np.random.default_rng(seed).permutation(index)


# Groups of 2..6, ids arbitrary; sizes sum to B. One all-equal group is added for binary rewards.
SIZES, IDS = [4, 6, 2, 5, 3, 4], [17, 3, 250, 8, 99, 1000]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("norm", [True, False])
def test_grpo_matches_verl(seed, binary, norm):
    index = shuffled_groups(seed, SIZES, IDS)
    mask = torch.ones(B, T)
    scores, token_level = outcome_rewards(seed, index, mask, binary)
    ours = compute_advantages(scores, torch.from_numpy(index), "grpo", norm_adv_by_std_in_grpo=norm)
    ref, _ = verl_algos.compute_grpo_outcome_advantage(token_level, mask, index, norm_adv_by_std_in_grpo=norm)
    close(ours, ref[:, 0])
    ref_vec, _ = verl_algos.compute_grpo_vectorized_outcome_advantage(
        token_level, mask, index, norm_adv_by_std_in_grpo=norm
    )
    close(ours, ref_vec[:, 0])
    if not norm:
        close(compute_advantages(scores, torch.from_numpy(index), "drgrpo"), ref[:, 0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rloo_matches_verl(seed):
    index = shuffled_groups(seed, SIZES, IDS)
    mask = torch.ones(B, T)
    scores, token_level = outcome_rewards(seed, index, mask)
    ours = compute_advantages(scores, torch.from_numpy(index), "rloo")
    ref, _ = verl_algos.compute_rloo_outcome_advantage(token_level, mask, index)
    close(ours, ref[:, 0])
    # verl's vectorised RLOO also gives singleton groups 0, like ours.
    index1 = np.concatenate([index, [5555]])
    scores1 = torch.cat([scores, torch.tensor([0.9])])
    ref_vec, _ = verl_algos.compute_rloo_vectorized_outcome_advantage(scores1[:, None], torch.ones(B + 1, 1), index1)
    close(compute_advantages(scores1, torch.from_numpy(index1), "rloo"), ref_vec[:, 0])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("ragged", [False, True])
def test_reinforce_pp_matches_verl(seed, ragged):
    # verl whitens over tokens (mean, variance and Bessel's n - 1 all count tokens), which
    # token_counts reproduces; our default counts sequences.
    index = shuffled_groups(seed, SIZES, IDS)
    mask = ragged_mask(seed) if ragged else torch.ones(B, T)
    scores, token_level = outcome_rewards(seed, index, mask)
    ref, _ = verl_algos.compute_reinforce_plus_plus_outcome_advantage(
        token_level, mask, config=OmegaConf.create({"gamma": 1.0})
    )
    ours = compute_advantages(scores, torch.from_numpy(index), "reinforce_pp", token_counts=mask.sum(-1))
    close(ours[:, None] * mask, ref)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("ragged", [False, True])
def test_reinforce_pp_baseline_matches_verl(seed, ragged):
    index = shuffled_groups(seed, SIZES, IDS)
    mask = ragged_mask(seed) if ragged else torch.ones(B, T)
    scores, token_level = outcome_rewards(seed, index, mask)
    ref, _ = verl_algos.compute_reinforce_plus_plus_baseline_outcome_advantage(token_level, mask, index)
    ours = compute_advantages(scores, torch.from_numpy(index), "reinforce_pp_baseline", token_counts=mask.sum(-1))
    close(ours[:, None] * mask, ref)


def test_sequence_whitening_differs_from_verl_token_whitening():
    # Same lengths still differ by Bessel's correction: n/(n-1) over 24 sequences vs 216 tokens.
    index = shuffled_groups(0, SIZES, IDS)
    mask = torch.ones(B, T)
    scores, token_level = outcome_rewards(0, index, mask)
    ref, _ = verl_algos.compute_reinforce_plus_plus_outcome_advantage(
        token_level, mask, config=OmegaConf.create({"gamma": 1.0})
    )
    ours = compute_advantages(scores, torch.from_numpy(index), "reinforce_pp")
    ratio = (ref[:, 0] / ours).double()
    close(ratio, torch.full((B,), ((B / (B - 1)) / ((B * T) / (B * T - 1))) ** 0.5, dtype=torch.float64), atol=1e-5)


def test_singleton_groups_differ_from_verl_by_design():
    scores = torch.tensor([1.0, 0.0, 1.0])
    index = np.array([0, 0, 1])  # row 2 is alone in its group
    ref, _ = verl_algos.compute_grpo_outcome_advantage(scores[:, None], torch.ones(3, 1), index)
    ours = compute_advantages(scores, torch.from_numpy(index), "grpo")
    close(ours[:2], ref[:2, 0])
    assert ref[2, 0] == pytest.approx(1.0, abs=1e-5) and ours[2] == 0.0  # verl: raw reward; ours: no signal


@pytest.mark.parametrize("mode", LOSS_AGG_MODES)
@pytest.mark.parametrize("seed", [0, 1])
def test_aggregation_matches_verl(mode, seed):
    g = torch.Generator().manual_seed(seed)
    values = torch.randn(B, T, generator=g)
    mask = ragged_mask(seed, empty_rows=(3, 11))
    close(aggregate_loss(values, mask, mode), verl_algos.agg_loss(values, mask, mode))
    close(
        aggregate_loss(values, mask, mode, norm_length=4096),
        verl_algos.agg_loss(values, mask, mode, loss_scale_factor=4096),
    )
    # Micro-batch shares with the global counts, summed, equal verl's whole-batch loss.
    tokens, seqs = mask.sum(), (mask.sum(-1) > 0).sum()
    shares = sum(
        aggregate_loss(
            values[i : i + 5], mask[i : i + 5], mode, global_token_count=tokens, global_seq_count=seqs, norm_length=T
        )
        for i in range(0, B, 5)
    )
    close(shares, verl_algos.agg_loss(values, mask, mode))
    # verl's own global-batch arguments give the same per-micro-batch share.
    kw = dict(batch_num_tokens=tokens, global_batch_size=seqs, loss_scale_factor=T)
    close(
        aggregate_loss(values[:5], mask[:5], mode, global_token_count=tokens, global_seq_count=seqs, norm_length=T),
        verl_algos.agg_loss(values[:5], mask[:5], mode, **kw),
    )


@pytest.mark.parametrize("estimator", ["k1", "k2", "k3"])
def test_kl_penalty_matches_verl(estimator):
    g = torch.Generator().manual_seed(0)
    logp = -torch.rand(B, T, generator=g) * 5
    ref = -torch.rand(B, T, generator=g) * 5
    ref[0, :3] = torch.tensor([-60.0, 0.0, -25.0])  # hit the clamps
    logp[0, :3] = torch.tensor([0.0, -60.0, 0.0])
    close(kl_penalty(logp, ref, estimator), verl_algos.kl_penalty(logp, ref, estimator))


def test_kl_in_reward_matches_verl():
    g = torch.Generator().manual_seed(0)
    logp, ref = -torch.rand(B, T, generator=g) * 3, -torch.rand(B, T, generator=g) * 3
    mask = ragged_mask(1)
    scores, token_level = outcome_rewards(0, np.zeros(B), mask)
    shaped, _ = apply_kl_in_reward(scores, logp, ref, mask, 0.05, "k1")
    ref_rewards = verl_algos.compute_rewards(token_level, logp, ref, 0.05)
    close(shaped, (ref_rewards * mask).sum(-1))


@pytest.mark.parametrize("mode", LOSS_AGG_MODES)
@pytest.mark.parametrize("clip_c", [None, 3.0, 1.5])
@pytest.mark.parametrize("seq_adv", [True, False])
def test_policy_loss_matches_verl(mode, clip_c, seq_adv):
    g = torch.Generator().manual_seed(7)
    old = -torch.rand(B, T, generator=g) * 4
    logp = (old + torch.randn(B, T, generator=g) * 0.6).requires_grad_(True)
    adv = torch.randn(B, generator=g) if seq_adv else torch.randn(B, T, generator=g)
    adv_tokens = adv[:, None].expand(B, T) if seq_adv else adv
    mask = ragged_mask(7, empty_rows=(5,))
    cfg = OmegaConf.create(
        {
            "clip_ratio": 0.2,
            "clip_ratio_low": 0.2,
            "clip_ratio_high": 0.28,
            # No dual clip on our side == a dual-clip bound that never binds on verl's.
            "clip_ratio_c": 1e12 if clip_c is None else clip_c,
            "global_batch_info": {
                "dp_size": 1,
                "batch_num_tokens": None,
                "global_batch_size": None,
                "loss_scale_factor": None,
            },
        }
    )
    ref_loss, ref_metrics = verl_algos.compute_policy_loss_vanilla(old, logp, adv_tokens, mask, mode, cfg)
    (ref_grad,) = torch.autograd.grad(ref_loss, logp)
    out = policy_loss(
        logp, old, adv, mask, clip_ratio_low=0.2, clip_ratio_high=0.28, clip_ratio_c=clip_c, loss_agg_mode=mode
    )
    (grad,) = torch.autograd.grad(out.loss, logp)
    close(out.loss, ref_loss)
    close(grad, ref_grad)
    close(out.approx_kl, ref_metrics["actor/ppo_kl"])
    close(out.clip_fraction_low + out.clip_fraction_high, ref_metrics["actor/pg_clipfrac"])
    close(out.clip_fraction_dual, ref_metrics["actor/pg_clipfrac_lower"])
    assert out.clip_fraction_low > 0 and out.clip_fraction_high > 0
    if clip_c is not None:
        assert out.clip_fraction_dual > 0


def test_entropy_and_logprobs_match_verl(tiny_model, padded_batch):
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 7, 33, generator=g, dtype=torch.float64) * 3
    close(entropy_from_logits(logits), verl_F.entropy_from_logits(logits))
    ids, am, _ = padded_batch([2, 3, 1], [4, 2, 6], 8)
    logp, ent = token_logprobs(tiny_model, ids, am, temperature=0.8, with_entropy=True)
    raw = tiny_model(input_ids=ids, attention_mask=am).logits[:, :-1] / 0.8
    close(logp[:, 1:], verl_F.logprobs_from_logits(raw, ids[:, 1:]))
    close(ent[:, 1:], verl_F.entropy_from_logits(raw))
