import math

import torch

from selfplay.rl.entropy import entropy_from_logits


def test_hand_values():
    logits = torch.tensor(
        [
            [0.0, 0.0, 0.0, 0.0],  # uniform over 4: ln 4
            [1000.0, 0.0, 0.0, 0.0],  # one-hot to float precision: 0
            [5.0, 5.0, -float("inf"), -float("inf")],  # uniform over 2, two tokens banned: ln 2
            [math.log(3.0), 0.0, -float("inf"), -float("inf")],  # p = 3/4, 1/4
        ],
        dtype=torch.float64,
        requires_grad=True,
    )
    h = entropy_from_logits(logits)
    h34 = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))  # 0.5623351446
    torch.testing.assert_close(h, torch.tensor([math.log(4), 0.0, math.log(2), h34], dtype=torch.float64))
    h.sum().backward()
    assert torch.isfinite(logits.grad).all()


def test_shift_invariant_for_large_logits():
    x = torch.randn(3, 5, 11, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(entropy_from_logits(x + 1e4), entropy_from_logits(x), atol=1e-2, rtol=0)
    torch.testing.assert_close(entropy_from_logits(x.double() + 1e4), entropy_from_logits(x.double()))
