"""selfplay.rl.forward: shared-prompt, response-only log-probs equal token_logprobs'."""

import copy

import pytest
import torch

from selfplay.rl.config import AlgoConfig
from selfplay.rl.forward import batch_response_logprobs, micro_batch_order, response_logprobs
from selfplay.rl.update import TrainBatch, is_on_policy, ppo_update, token_logprobs

PROMPTS, RESPONSES = [2, 3, 1, 4, 2, 3, 2], [4, 2, 5, 0, 3, 1, 4]


def shared_prompt_batch(padded_batch, seed=0):
    """Ragged rows (one without a response); rows 0, 4 and 6 share one prompt."""
    ids, am, rm = padded_batch(PROMPTS, RESPONSES, 9, seed)
    ids[4, :2] = ids[0, :2]
    ids[6, :2] = ids[0, :2]
    return ids, am, rm


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_values_equal_token_logprobs_at_responses(make_llama, padded_batch, attn):
    model = make_llama()
    model.config._attn_implementation = attn
    ids, am, rm = shared_prompt_batch(padded_batch)
    expected, expected_ent = token_logprobs(model, ids, am, temperature=0.7, with_entropy=True)
    out = response_logprobs(model, ids, am, rm, temperature=0.7, with_entropy=True)
    # float32 inside the model's norms and rotary tables: rounding, not float64's 1e-15
    torch.testing.assert_close(out.logprobs, expected * rm, atol=1e-6, rtol=0)
    torch.testing.assert_close(out.entropy, expected_ent * rm, atol=1e-6, rtol=0)
    assert torch.equal(out.logprobs[rm == 0], torch.zeros(int((rm == 0).sum()), dtype=out.logprobs.dtype))
    # Each distinct prompt once (rows 0, 4, 6 share; row 3 has no response), then the
    # responses but their last token; one row of logits per prompt and per those tokens.
    distinct = [2, 3, 1, 3]
    assert out.work.tokens == sum(distinct) + sum(r - 1 for r in RESPONSES if r)
    assert out.work.logit_rows == len(distinct) + sum(r - 1 for r in RESPONSES if r)


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_gradients_equal_token_logprobs(make_llama, padded_batch, attn):
    model = make_llama()
    model.config._attn_implementation = attn
    ids, am, rm = shared_prompt_batch(padded_batch)
    weights = torch.randn(ids.shape, generator=torch.Generator().manual_seed(3), dtype=torch.float64)

    def grads(logprobs):
        model.zero_grad()
        (logprobs * rm * weights).sum().backward()
        return [p.grad.clone() for p in model.parameters()]

    expected = grads(token_logprobs(model, ids, am, temperature=0.9)[0])
    got = grads(response_logprobs(model, ids, am, rm, temperature=0.9).logprobs)
    for a, b in zip(got, expected, strict=True):
        assert torch.isfinite(a).all()
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0)


@pytest.mark.parametrize("micro", [0, 1, 2, 3])
def test_batch_passes_keep_row_order(make_llama, padded_batch, micro):
    model = make_llama(dtype=torch.float32)
    ids, am, rm = shared_prompt_batch(padded_batch)
    with torch.no_grad():
        expected, _ = token_logprobs(model, ids, am, temperature=0.7)
    got, work = batch_response_logprobs(model, ids, am, rm, temperature=0.7, micro_batch_size=micro)
    assert not got.requires_grad
    torch.testing.assert_close(got, expected * rm, atol=1e-5, rtol=0)
    assert work.tokens >= sum(r - 1 for r in RESPONSES if r)


def test_micro_batch_order_puts_shared_prompts_together(padded_batch):
    ids, am, rm = shared_prompt_batch(padded_batch)
    order = micro_batch_order(ids, am, rm)
    assert sorted(order) == list(range(len(PROMPTS)))
    at = [order.index(r) for r in (0, 4, 6)]
    assert max(at) - min(at) == 2  # adjacent
    # within the group, shorter responses first
    assert [RESPONSES[r] for r in order if r in (0, 4, 6)] == sorted(RESPONSES[r] for r in (0, 4, 6))


def test_a_response_at_position_zero_is_refused(make_llama, padded_batch):
    ids, am, rm = padded_batch([1], [3], 4)
    rm[0, 0] = 1
    with pytest.raises(ValueError, match="position 0"):
        response_logprobs(make_llama(), ids, am, rm)


def test_no_response_rows_give_zeros(make_llama, padded_batch):
    ids, am, rm = padded_batch([2, 3], [0, 0], 4)
    out = response_logprobs(make_llama(), ids, am, rm, with_entropy=True)
    assert not out.logprobs.any() and not out.entropy.any() and out.work.tokens == 0


def on_policy_batch(model, padded_batch):
    ids, am, rm = shared_prompt_batch(padded_batch)
    with torch.no_grad():
        logp, _ = token_logprobs(model, ids, am)
    ref = logp + 0.3 * torch.randn(logp.shape, generator=torch.Generator().manual_seed(1), dtype=logp.dtype)
    adv = torch.tensor([1.0, -1.5, 0.5, 2.0, -0.7, 0.3, 1.1], dtype=torch.float64)
    return TrainBatch(ids, am, rm.double(), logp, ref, adv)


def test_on_policy_update_without_old_logprobs_equals_with_them(make_llama, padded_batch):
    model = make_llama()
    batch = on_policy_batch(model, padded_batch)
    cfg = AlgoConfig(ppo_micro_batch_size=2, kl_loss_coef=0.1, lr=1e-2)
    assert is_on_policy(cfg, len(batch))

    def run(b):
        m = copy.deepcopy(model)
        metrics = ppo_update(m, torch.optim.AdamW(m.parameters(), lr=cfg.lr), b, cfg, generator=torch.Generator().manual_seed(0))
        return [p.detach() for p in m.parameters()], metrics

    with_old, metrics_old = run(batch)
    skipped = copy.copy(batch)
    skipped.old_logprobs = None
    without, metrics = run(skipped)
    for a, b in zip(without, with_old, strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
    assert metrics["clip_fraction"] == 0.0 and metrics["approx_kl"] == 0.0  # exactly on-policy
    assert metrics["loss"] == pytest.approx(metrics_old["loss"], abs=1e-6)


@pytest.mark.parametrize("cfg", [AlgoConfig(ppo_epochs=2), AlgoConfig(ppo_mini_batch_size=2)])
def test_off_policy_update_needs_old_logprobs(make_llama, padded_batch, cfg):
    model = make_llama()
    batch = on_policy_batch(model, padded_batch)
    batch.old_logprobs = None
    assert not is_on_policy(cfg, len(batch))
    with pytest.raises(ValueError, match="on-policy"):
        ppo_update(model, torch.optim.SGD(model.parameters(), lr=0.0), batch, cfg)
