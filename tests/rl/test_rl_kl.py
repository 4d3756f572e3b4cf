import math

import pytest
import torch

from selfplay.rl.kl import apply_kl_in_reward, kl_penalty

T = torch.tensor
LOGP = T([-1.0, -2.0, -0.5], dtype=torch.float64)
REF = T([-1.5, -2.0, -0.2], dtype=torch.float64)  # logp - ref = 0.5, 0, -0.3


def test_k1_k2_k3_hand_values():
    torch.testing.assert_close(kl_penalty(LOGP, REF, "k1"), T([0.5, 0.0, -0.3], dtype=torch.float64))
    # k2 = d^2 / 2: 0.25 / 2, 0, 0.09 / 2
    torch.testing.assert_close(kl_penalty(LOGP, REF, "k2"), T([0.125, 0.0, 0.045], dtype=torch.float64))
    # k3 = e^x - x - 1 with x = ref - logp = -0.5, 0, 0.3:
    # e^-0.5 + 0.5 - 1 = 0.1065306597, 0, e^0.3 - 1.3 = 0.0498588076
    expected = T([math.exp(-0.5) - 0.5, 0.0, math.exp(0.3) - 1.3], dtype=torch.float64)
    torch.testing.assert_close(kl_penalty(LOGP, REF, "k3"), expected)
    assert abs(expected[0] - 0.1065306597) < 1e-9 and abs(expected[2] - 0.0498588076) < 1e-9


def test_k3_is_clamped_and_has_finite_gradients():
    logp = T([-30.0, 0.0, -1000.0, 0.0], dtype=torch.float64, requires_grad=True)
    ref = T([0.0, -30.0, 0.0, -1000.0], dtype=torch.float64)
    # x = 30 -> e^20 - 21 ~ 4.9e8 -> 10; x = -30 -> e^-20 + 19 ~ 19 -> 10; likewise at +-1000.
    out = kl_penalty(logp, ref, "k3")
    assert torch.equal(out, torch.full((4,), 10.0, dtype=torch.float64))
    out.sum().backward()
    assert torch.isfinite(logp.grad).all()


def test_unknown_estimator():
    with pytest.raises(ValueError, match="k4"):
        kl_penalty(LOGP, REF, "k4")


def test_apply_kl_in_reward_hand_values():
    rewards = T([1.0, 0.0], dtype=torch.float64)
    logp = T([[0.0, -1.0, -2.0, -3.0], [0.0, -1.0, -1.0, 0.0]], dtype=torch.float64)
    ref = T([[0.0, -1.5, -2.0, -1.0], [0.0, 0.0, -1.0, 0.0]], dtype=torch.float64)
    mask = T([[0, 1, 1, 0], [0, 1, 0, 0]])
    # k1 on response tokens: row 0: 0.5 + 0 = 0.5 (the -2 at t=3 is masked); row 1: -1.
    # shaped = r - 0.1 * sum = [1 - 0.05, 0 + 0.1]; kl_mean = (0.5 + 0 - 1) / 3 tokens.
    shaped, kl_mean = apply_kl_in_reward(rewards, logp, ref, mask, 0.1, "k1")
    torch.testing.assert_close(shaped, T([0.95, 0.1], dtype=torch.float64))
    assert kl_mean == pytest.approx(-1 / 6)
    # Fully masked rows change nothing and the mean stays finite.
    shaped, kl_mean = apply_kl_in_reward(rewards, logp, ref, torch.zeros_like(mask), 0.1, "k3")
    torch.testing.assert_close(shaped, rewards)
    assert kl_mean == 0.0
