"""Train/inference mismatch: the logged gap and truncated importance sampling (TIS), against
hand computations; with TIS off the update is the same as without sampler log-probs."""

import copy
import math

import pytest
import torch

from selfplay.rl.config import AlgoConfig
from selfplay.rl.policy_loss import policy_loss
from selfplay.rl.rollout_correction import LogprobGap, tis_weights
from selfplay.rl.update import TrainBatch, ppo_update, token_logprobs

T = torch.tensor


def test_tis_weights_are_the_truncated_probability_ratio():
    trainer = T([0.5, 0.2, 0.9, 0.1]).log()
    sampler = T([0.25, 0.4, 0.3, 0.1]).log()
    w = tis_weights(trainer.requires_grad_(True), sampler, cap=2.0)
    # p_trainer / p_sampler = 2, 0.5, 3 (capped to 2), 1
    torch.testing.assert_close(w, T([2.0, 0.5, 2.0, 1.0]), rtol=0, atol=1e-6)
    assert not w.requires_grad  # a weight, not a gradient path
    with pytest.raises(ValueError, match="cap"):
        tis_weights(trainer, sampler, cap=0.0)


def test_token_weights_scale_each_tokens_clipped_loss():
    # The hand table of test_rl_policy_loss.py (dual clip c=3): per-token losses
    # -1.1, -1.2, 0.8, 1.1, 6.0, -1.0 and a masked 7th token.
    ratio = T([[1.1, 1.5, 0.5, 1.1, 4.0, 0.5, 100.0]], dtype=torch.float64)
    adv = T([[1.0, 1.0, -1.0, -1.0, -2.0, 2.0, 1.0]], dtype=torch.float64)
    mask = T([[1, 1, 1, 1, 1, 1, 0]])
    old = torch.full_like(ratio, -1.0)
    weights = T([[0.5, 0.5, 2.0, 1.0, 1.0, 1.0, 5.0]], dtype=torch.float64)
    logp = (old + ratio.log()).requires_grad_(True)
    out = policy_loss(logp, old, adv, mask, clip_ratio_low=0.2, clip_ratio_high=0.2, clip_ratio_c=3.0, token_weights=weights)
    # (-0.55 - 0.6 + 1.6 + 1.1 + 6.0 - 1.0) / 6
    assert out.loss.item() == pytest.approx(6.55 / 6, abs=1e-12)
    out.loss.backward()
    # Only unclipped tokens carry gradient (0, 3, 5): weight * -A * ratio / 6.
    expected = T([[-0.55, 0.0, 0.0, 1.1, 0.0, -1.0, 0.0]], dtype=torch.float64) / 6
    torch.testing.assert_close(logp.grad, expected, rtol=0, atol=1e-12)


def test_gap_is_summed_over_response_tokens_only():
    gap = LogprobGap()
    mask = T([[0, 1, 1], [0, 0, 1]])
    gap.add(T([[9.0, -1.0, -2.5], [9.0, 9.0, -0.3]]), T([[0.0, -1.25, -2.0], [0.0, 0.0, -0.1]]), mask)
    m = gap.metrics()
    assert m["rollout_logprob_diff_mean"] == pytest.approx((0.25 + 0.5 + 0.2) / 3)
    assert m["rollout_logprob_diff_max"] == pytest.approx(0.5)


def _batch(model, padded_batch, sampler_shift):
    ids, am, rm = padded_batch([2, 3, 1], [3, 2, 4], 8)
    with torch.no_grad():
        logp, _ = token_logprobs(model, ids, am)
    sampler = None if sampler_shift is None else (logp + sampler_shift) * rm
    return TrainBatch(ids, am, rm, None, logp.clone(), T([1.0, -1.0, 0.5], dtype=torch.float64), sampler)


def _update(model, batch, **algo):
    model = copy.deepcopy(model)
    metrics = ppo_update(model, torch.optim.SGD(model.parameters(), lr=0.1), batch, AlgoConfig(**algo))
    return model, metrics


def test_update_with_tis_off_is_bit_for_bit_the_update_without_sampler_logprobs(tiny_model, padded_batch):
    plain, m0 = _update(tiny_model, _batch(tiny_model, padded_batch, None))
    shift = 0.1 * torch.arange(8, dtype=torch.float32)  # a gap growing along the sequence
    logged, m1 = _update(tiny_model, _batch(tiny_model, padded_batch, shift))
    assert m0["loss"] == m1["loss"] and m0["grad_norm"] == m1["grad_norm"]
    assert all(torch.equal(a, b) for a, b in zip(plain.parameters(), logged.parameters()))
    assert "rollout_logprob_diff_mean" not in m0 and "tis_weight_mean" not in m1
    # Response tokens sit at positions 2-4, 3-4, 1-4: shifts 0.2..0.4, 0.3..0.4, 0.1..0.4.
    shifts = [0.2, 0.3, 0.4, 0.3, 0.4, 0.1, 0.2, 0.3, 0.4]
    assert m1["rollout_logprob_diff_mean"] == pytest.approx(sum(shifts) / 9, abs=1e-6)
    assert m1["rollout_logprob_diff_max"] == pytest.approx(0.4, abs=1e-6)


def test_update_with_tis(tiny_model, padded_batch):
    plain, m0 = _update(tiny_model, _batch(tiny_model, padded_batch, None))
    # A sampler equal to the trainer: every weight is 1, the same update. (Equal up to float64
    # rounding: the sampler's log-probs come from a full forward, the trainer's from the
    # shared-prompt one, whose sums round differently on some CPUs.)
    same, m1 = _update(tiny_model, _batch(tiny_model, padded_batch, 0.0), tis_cap=2.0)
    assert m1["tis_weight_mean"] == pytest.approx(1.0, abs=1e-9) and m1["loss"] == pytest.approx(m0["loss"], abs=1e-9)
    assert all(torch.allclose(a, b, rtol=0, atol=1e-9) for a, b in zip(plain.parameters(), same.parameters()))
    # A sampler that gave every token twice the trainer's probability: weights 1/2, the
    # policy-gradient loss halves (the KL term does not change: it is not reweighted).
    half, m2 = _update(tiny_model, _batch(tiny_model, padded_batch, math.log(2.0)), tis_cap=2.0, use_kl_loss=False)
    ref, m3 = _update(tiny_model, _batch(tiny_model, padded_batch, None), use_kl_loss=False)
    assert m2["tis_weight_mean"] == pytest.approx(0.5) and m2["pg_loss"] == pytest.approx(m3["pg_loss"] / 2, rel=1e-6)
    with pytest.raises(ValueError, match="tis_cap needs the sampler's log-probs"):
        _update(tiny_model, _batch(tiny_model, padded_batch, None), tis_cap=2.0)
