import pytest
import torch

from selfplay.rl.aggregation import LOSS_AGG_MODES, aggregate_loss

T = torch.tensor
VALUES = T([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 9.0, 9.0, float("nan")]], dtype=torch.float64)
MASK = T([[1, 1, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0]])  # row 2 fully masked (and holds a NaN)

# Unmasked: row 0 -> 1, 2 (sum 3, mean 1.5); row 1 -> 5..8 (sum 26, mean 6.5); 6 tokens, 2 sequences.
EXPECTED = {
    "token-mean": 29 / 6,  # (3 + 26) / 6 tokens
    "seq-mean-token-mean": 4.0,  # (1.5 + 6.5) / 2 sequences
    "seq-mean-token-sum": 14.5,  # (3 + 26) / 2
    "seq-mean-token-sum-norm": 3.625,  # (3 + 26) / 2 / T=4
}


@pytest.mark.parametrize("mode", LOSS_AGG_MODES)
def test_hand_values_ignore_masked_rows_and_nan(mode):
    assert aggregate_loss(VALUES, MASK, mode).item() == pytest.approx(EXPECTED[mode], abs=1e-12)


def test_norm_length_is_a_constant_denominator():
    # (3 + 26) / 2 sequences / 10
    out = aggregate_loss(VALUES, MASK, "seq-mean-token-sum-norm", norm_length=10)
    assert out.item() == pytest.approx(1.45, abs=1e-12)


@pytest.mark.parametrize("mode", LOSS_AGG_MODES)
def test_fully_masked_batch_is_zero_not_nan(mode):
    values = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
    out = aggregate_loss(values, torch.zeros(2, 3), mode)
    assert out.item() == 0.0
    out.backward()
    assert torch.equal(values.grad, torch.zeros(2, 3, dtype=torch.float64))


@pytest.mark.parametrize("mode", LOSS_AGG_MODES)
def test_micro_batch_shares_add_up_with_global_counts(mode):
    # Split rows {0} | {1, 2}; the global counts are the whole batch's (6 tokens, 2 sequences).
    # e.g. token-mean: 3/6 + 26/6 = 29/6; seq-mean-token-mean: 1.5/2 + 6.5/2 = 4.
    kw = dict(global_token_count=6, global_seq_count=2)
    parts = aggregate_loss(VALUES[:1], MASK[:1], mode, **kw) + aggregate_loss(VALUES[1:], MASK[1:], mode, **kw)
    assert parts.item() == pytest.approx(EXPECTED[mode], abs=1e-12)


def test_gradient_is_zero_on_masked_tokens():
    values = VALUES.nan_to_num().clone().requires_grad_(True)
    aggregate_loss(values, MASK, "token-mean").backward()
    assert torch.equal(values.grad, MASK.to(torch.float64) / 6)


def test_unknown_mode():
    with pytest.raises(ValueError, match="token-sum"):
        aggregate_loss(VALUES, MASK, "token-sum")
