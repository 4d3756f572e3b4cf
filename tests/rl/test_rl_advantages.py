import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from selfplay.rl.advantages import ESTIMATORS, compute_advantages, token_advantages

T = torch.tensor
# Group 7 (interleaved with group 3, ids not contiguous): rewards 1, 0, 0, 1.
# Group 3: all equal (1, 1, 1). Group 42: a single sample.
REWARDS = T([1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.5], dtype=torch.float64)
GROUPS = T([7, 3, 7, 3, 7, 3, 7, 42])


def adv(estimator, rewards=REWARDS, groups=GROUPS, **kw):
    return compute_advantages(rewards, groups, estimator, **kw)


def test_grpo_hand_values():
    # Group 7: mean 0.5, unbiased var = 4 * 0.25 / 3 = 1/3, so A = +-0.5 / (sqrt(1/3) + 1e-6).
    a = 0.5 / (math.sqrt(1 / 3) + 1e-6)  # 0.8660239...
    # All-equal group 3: 0 / (0 + eps) = 0. Singleton group 42: no baseline, 0.
    expected = T([a, 0.0, -a, 0.0, -a, 0.0, a, 0.0], dtype=torch.float64)
    torch.testing.assert_close(adv("grpo"), expected, rtol=0, atol=1e-12)


def test_drgrpo_and_grpo_without_std():
    # r - group mean: group 7 -> +-0.5, group 3 -> 0, singleton -> 0.
    expected = T([0.5, 0.0, -0.5, 0.0, -0.5, 0.0, 0.5, 0.0], dtype=torch.float64)
    torch.testing.assert_close(adv("drgrpo"), expected, rtol=0, atol=1e-12)
    torch.testing.assert_close(adv("grpo", norm_adv_by_std_in_grpo=False), expected, rtol=0, atol=1e-12)


def test_rloo_hand_values():
    # Group 7: r=1 -> 1 - mean(0, 0, 1) = 2/3; r=0 -> 0 - mean(1, 0, 1) = -2/3.
    # (Same as n/(n-1) * (r - mean) = 4/3 * 0.5.) Group 3 -> 0, singleton -> 0.
    expected = T([2 / 3, 0.0, -2 / 3, 0.0, -2 / 3, 0.0, 2 / 3, 0.0], dtype=torch.float64)
    torch.testing.assert_close(adv("rloo"), expected, rtol=0, atol=1e-12)


def test_reinforce_pp_hand_values():
    # Batch whitening, groups ignored: mean 3, deviations -2, -1, 0, 3,
    # unbiased var = (4 + 1 + 0 + 9) / 3 = 14/3.
    r = T([1.0, 2.0, 3.0, 6.0], dtype=torch.float64)
    expected = T([-2.0, -1.0, 0.0, 3.0], dtype=torch.float64) / math.sqrt(14 / 3 + 1e-8)
    torch.testing.assert_close(adv("reinforce_pp", r, T([0, 0, 1, 2])), expected, rtol=0, atol=1e-12)


def test_reinforce_pp_token_weighted():
    # Token-level whitening as verl does: values 0,0,0 (3 tokens) and 1 (1 token):
    # mean 1/4, sum w*dev^2 = 3 * 1/16 + 9/16 = 3/4, unbiased var = (3/4) / (4 - 1) = 1/4, std 1/2.
    r = T([0.0, 1.0], dtype=torch.float64)
    out = adv("reinforce_pp", r, T([0, 1]), token_counts=T([3, 1]), whiten_eps=0.0)
    torch.testing.assert_close(out, T([-0.5, 1.5], dtype=torch.float64), rtol=0, atol=1e-12)


def test_reinforce_pp_baseline_hand_values():
    # Group a: 1, 0 -> 0.5, -0.5. Group b: 2, 2, 5 (mean 3) -> -1, -1, 2.
    # Whiten [0.5, -0.5, -1, -1, 2]: mean 0, unbiased var = (0.25 + 0.25 + 1 + 1 + 4) / 4 = 1.625.
    r = T([1.0, 0.0, 2.0, 2.0, 5.0], dtype=torch.float64)
    g = T([10, 10, 20, 20, 20])
    expected = T([0.5, -0.5, -1.0, -1.0, 2.0], dtype=torch.float64) / math.sqrt(1.625 + 1e-8)
    torch.testing.assert_close(adv("reinforce_pp_baseline", r, g), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_degenerate_batches_are_zero_and_finite(estimator):
    same = torch.full((6,), 0.1, dtype=torch.float64)  # 0.1 + 0.1 + 0.1 != 0.3: the mean must not drift
    assert torch.equal(adv(estimator, same, T([0, 0, 0, 1, 1, 1])), torch.zeros(6, dtype=torch.float64))
    mixed = T([0.1, 0.1, 0.1, 0.0, 1.0, 0.3], dtype=torch.float64)  # group 0 all equal, group 1 not
    if estimator != "reinforce_pp":
        # reinforce_pp_baseline then subtracts the batch mean of the centred rewards, 0 up to rounding.
        out = adv(estimator, mixed, T([0, 0, 0, 1, 1, 1]))[:3]
        torch.testing.assert_close(out, torch.zeros(3, dtype=torch.float64), rtol=0, atol=1e-12)
    assert torch.equal(adv(estimator, T([3.0]), T([5])), torch.zeros(1))  # one sample in the batch
    assert adv(estimator, torch.zeros(0), torch.zeros(0, dtype=torch.long)).shape == (0,)
    # Every group a singleton: group estimators give 0, reinforce_pp still whitens the batch.
    out = adv(estimator, T([0.0, 1.0, 2.0]), T([0, 1, 2]))
    assert torch.isfinite(out).all()
    if estimator != "reinforce_pp":
        assert torch.equal(out, torch.zeros(3))


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="ppo"):
        adv("ppo")
    with pytest.raises(ValueError, match="NaN"):
        adv("grpo", T([1.0, float("nan")]), T([0, 0]))
    with pytest.raises(ValueError, match=r"\[B\]"):
        adv("grpo", torch.zeros(2, 2), T([0, 0]))


def test_token_advantages():
    out = token_advantages(T([2.0, -1.0]), T([[0, 1, 1], [1, 0, 0]]))
    assert torch.equal(out, T([[0.0, 2.0, 2.0], [-1.0, -0.0, -0.0]]))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.sampled_from([0.0, 0.5, 1.0])), min_size=1, max_size=12),
    st.sampled_from(ESTIMATORS.names()),
    st.randoms(use_true_random=False),
)
def test_permutation_equivariant_and_finite(rows, estimator, rnd):
    groups = T([g for g, _ in rows])
    rewards = T([r for _, r in rows], dtype=torch.float64)
    out = adv(estimator, rewards, groups)
    assert torch.isfinite(out).all()
    perm = list(range(len(rows)))
    rnd.shuffle(perm)
    perm = T(perm)
    torch.testing.assert_close(adv(estimator, rewards[perm], groups[perm]), out[perm], rtol=0, atol=1e-12)
    if estimator in ("grpo", "drgrpo", "rloo"):  # group-centred: each group sums to 0
        for gid in groups.unique():
            assert abs(float(out[groups == gid].sum())) < 1e-9
