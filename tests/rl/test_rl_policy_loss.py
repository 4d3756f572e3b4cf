import math

import pytest
import torch

from selfplay.rl.policy_loss import policy_loss

T = torch.tensor
# One row of 7 tokens; the last is masked out (and would dominate if it leaked).
#            ratio  A     unclipped  clipped(0.8..1.2)   max    dual (c=3)
# tok 0:     1.1   +1     -1.1       -1.1                -1.1
# tok 1:     1.5   +1     -1.5       -1.2                -1.2   (high clip)
# tok 2:     0.5   -1      0.5        0.8                 0.8   (low clip)
# tok 3:     1.1   -1      1.1        1.1                 1.1
# tok 4:     4.0   -2      8.0        2.4                 8.0   min(8, 2*3) = 6 (dual clip)
# tok 5:     0.5   +2     -1.0       -1.6                -1.0   (pessimistic branch is unclipped)
# tok 6:   100.0   +1     masked
RATIO = T([[1.1, 1.5, 0.5, 1.1, 4.0, 0.5, 100.0]], dtype=torch.float64)
ADV = T([[1.0, 1.0, -1.0, -1.0, -2.0, 2.0, 1.0]], dtype=torch.float64)
MASK = T([[1, 1, 1, 1, 1, 1, 0]])
OLD = torch.full_like(RATIO, -1.0)


def run(**kw):
    logp = (OLD + RATIO.log()).requires_grad_(True)
    kw.setdefault("clip_ratio_low", 0.2)
    kw.setdefault("clip_ratio_high", 0.2)
    return policy_loss(logp, OLD, ADV, MASK, **kw), logp


def test_hand_values_with_dual_clip():
    out, logp = run(clip_ratio_c=3.0)
    # (-1.1 - 1.2 + 0.8 + 1.1 + 6 - 1.0) / 6 tokens = 4.6 / 6
    assert out.loss.item() == pytest.approx(4.6 / 6, abs=1e-12)
    assert out.clip_fraction_high == pytest.approx(1 / 6)
    assert out.clip_fraction_low == pytest.approx(1 / 6)
    assert out.clip_fraction_dual == pytest.approx(1 / 6)
    # approx_kl = mean(-log ratio) = -(ln1.1 + ln1.5 + ln0.5 + ln1.1 + ln4 + ln0.5) / 6 = -0.0993476
    assert out.approx_kl == pytest.approx(-(2 * math.log(1.1) + math.log(1.5) + 2 * math.log(0.5) + math.log(4)) / 6)
    assert out.approx_kl == pytest.approx(-0.0993476, abs=1e-7)
    out.loss.backward()
    # d loss / d logp = -A * ratio / 6 where the unclipped term is active, 0 where clipped or masked.
    expected = T([[-1.1, 0.0, 0.0, 1.1, 0.0, -1.0, 0.0]], dtype=torch.float64) / 6
    torch.testing.assert_close(logp.grad, expected, rtol=0, atol=1e-12)


def test_without_dual_clip():
    out, _ = run()
    # tok 4 keeps its 8.0: (-1.1 - 1.2 + 0.8 + 1.1 + 8 - 1.0) / 6 = 6.6 / 6
    assert out.loss.item() == pytest.approx(1.1, abs=1e-12)
    assert out.clip_fraction_dual == 0.0


def test_clip_higher():
    # clip_ratio_high 0.6: tok 1 (ratio 1.5) is no longer clipped -> -1.5 instead of -1.2.
    out, _ = run(clip_ratio_high=0.6)
    assert out.loss.item() == pytest.approx((6.6 - 0.3) / 6, abs=1e-12)
    assert out.clip_fraction_high == 0.0


def test_sequence_advantages_broadcast_and_agg_mode():
    # Two rows, advantages [B]; on-policy (ratio 1) so the loss is -A per token.
    logp = torch.zeros(2, 3, dtype=torch.float64)
    mask = T([[1, 1, 0], [1, 0, 0]])
    out = policy_loss(
        logp, logp, T([1.0, -2.0]), mask, clip_ratio_low=0.2, clip_ratio_high=0.2, loss_agg_mode="seq-mean-token-sum"
    )
    # row sums: -1 - 1 = -2 and +2; mean over 2 sequences = 0
    assert out.loss.item() == pytest.approx(0.0, abs=1e-12)
    out = policy_loss(logp, logp, T([1.0, -2.0]), mask, clip_ratio_low=0.2, clip_ratio_high=0.2)
    assert out.loss.item() == pytest.approx((-1 - 1 + 2) / 3, abs=1e-12)
    assert out.approx_kl == 0.0 and out.clip_fraction_low == out.clip_fraction_high == 0.0
