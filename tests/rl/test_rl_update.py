import copy

import pytest
import torch

from selfplay.rl.aggregation import LOSS_AGG_MODES
from selfplay.rl.config import AlgoConfig
from selfplay.rl.update import TrainBatch, chunked_logprobs, ppo_update, token_logprobs

METRIC_KEYS = {
    "loss",
    "pg_loss",
    "kl",
    "entropy",
    "grad_norm",
    "clip_fraction",
    "clip_fraction_low",
    "clip_fraction_high",
    "approx_kl",
    "num_tokens",
    "time/forward_backward_s",
    "time/optimizer_s",
}


class GradRecorder:
    """Stands in for an optimizer: keeps a copy of the gradients it is asked to step with."""

    def __init__(self, model):
        self.params = list(model.parameters())
        self.param_groups = [{"params": self.params}]
        self.steps = []

    def zero_grad(self, set_to_none=True):
        for p in self.params:
            p.grad = None

    def step(self):
        self.steps.append([p.grad.clone() if p.grad is not None else torch.zeros_like(p) for p in self.params])


def make_batch(model, right_padded_batch, seed=0, temperature=1.0):
    """5 right-padded rows of different lengths, one with no response tokens; old and ref
    log-probs perturbed so ratios are far from 1 and every clip branch is exercised."""
    input_ids, attention_mask, response_mask = right_padded_batch([2, 3, 1, 4, 2], [4, 2, 5, 0, 3], 8, seed)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        logp, _ = token_logprobs(model, input_ids, attention_mask, temperature=temperature)
    old = logp + 0.4 * torch.randn(logp.shape, generator=g, dtype=logp.dtype)
    ref = logp + 0.3 * torch.randn(logp.shape, generator=g, dtype=logp.dtype)
    adv = torch.tensor([1.0, -1.5, 0.5, 2.0, -0.7], dtype=torch.float64)
    return TrainBatch(input_ids, attention_mask, response_mask, old, ref, adv)


def test_token_logprobs_convention(tiny_model, padded_batch):
    ids, am, _ = padded_batch([2, 3], [3, 1], 6)
    logp, ent = token_logprobs(tiny_model, ids, am, temperature=0.7, with_entropy=True)
    logits = tiny_model(input_ids=ids, attention_mask=am).logits / 0.7
    full = torch.log_softmax(logits, -1)
    expected = torch.zeros_like(logp)
    expected[:, 1:] = full[:, :-1].gather(-1, ids[:, 1:, None]).squeeze(-1)
    torch.testing.assert_close(logp, expected)
    assert torch.equal(logp[:, 0], torch.zeros(2, dtype=logp.dtype))
    expected_ent = -(full.exp() * full).sum(-1)
    torch.testing.assert_close(ent[:, 1:], expected_ent[:, :-1])
    assert torch.equal(ent[:, 0], torch.zeros(2, dtype=ent.dtype))


def test_right_padding_does_not_change_logprobs(tiny_model, padded_batch):
    ids, am, _ = padded_batch([2, 3], [3, 1], 7)
    logp, _ = token_logprobs(tiny_model, ids, am)
    n = int(am[1].sum())
    alone, _ = token_logprobs(tiny_model, ids[1:, :n], am[1:, :n])
    torch.testing.assert_close(logp[1, :n], alone[0])


def test_train_batch_select_and_shapes(tiny_model, padded_batch):
    batch = make_batch(tiny_model, padded_batch)
    sub = batch.select(torch.tensor([4, 1]))
    assert len(sub) == 2 and torch.equal(sub.input_ids[0], batch.input_ids[4])
    assert torch.equal(sub.advantages, batch.advantages[[4, 1]])
    assert len(batch.select(slice(0, 3))) == 3
    with pytest.raises(ValueError, match="advantages"):
        TrainBatch(batch.input_ids, batch.attention_mask, batch.response_mask, batch.old_logprobs, None, torch.zeros(3))
    with pytest.raises(ValueError, match="old_logprobs"):
        TrainBatch(
            batch.input_ids,
            batch.attention_mask,
            batch.response_mask,
            batch.old_logprobs[:, :3],
            None,
            batch.advantages,
        )


@pytest.mark.parametrize("mode", LOSS_AGG_MODES)
def test_micro_batch_accumulation_equals_full_batch_gradient(tiny_model, padded_batch, mode):
    batch = make_batch(tiny_model, padded_batch)
    grads = {}
    for micro in (0, 1, 2, 3):  # 3 does not divide 5; 1 isolates the fully masked row
        cfg = AlgoConfig(
            loss_agg_mode=mode,
            ppo_micro_batch_size=micro,
            clip_ratio_c=3.0,
            clip_ratio_high=0.28,
            entropy_coeff=0.01,
            kl_loss_coef=0.1,
            max_grad_norm=1e9,
        )
        opt = GradRecorder(tiny_model)
        metrics = ppo_update(tiny_model, opt, batch, cfg, temperature=0.9, generator=torch.Generator().manual_seed(0))
        assert len(opt.steps) == 1
        grads[micro] = (opt.steps[0], metrics)
    full, full_metrics = grads[0]
    assert sum(float(g.abs().sum()) for g in full) > 0
    assert full_metrics["clip_fraction_low"] > 0 and full_metrics["clip_fraction_high"] > 0
    for micro in (1, 2, 3):
        got, metrics = grads[micro]
        for a, b in zip(got, full, strict=True):
            torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
        for k in ("loss", "pg_loss", "kl", "entropy", "clip_fraction", "approx_kl"):
            assert metrics[k] == pytest.approx(full_metrics[k], abs=1e-9), k


def test_metrics_on_policy(tiny_model, padded_batch):
    ids, am, rm = padded_batch([2, 3], [3, 2], 6)
    with torch.no_grad():
        logp, ent = token_logprobs(tiny_model, ids, am, with_entropy=True)
    batch = TrainBatch(ids, am, rm, logp, logp.clone(), torch.tensor([1.0, -1.0], dtype=torch.float64))
    metrics = ppo_update(tiny_model, torch.optim.SGD(tiny_model.parameters(), lr=0.0), batch, AlgoConfig())
    assert set(metrics) == METRIC_KEYS
    # First step of an on-policy update: ratio 1, no clipping, zero KL to an identical reference.
    assert metrics["clip_fraction"] == 0.0 and metrics["approx_kl"] == pytest.approx(0.0, abs=1e-12)
    assert metrics["kl"] == pytest.approx(0.0, abs=1e-12)
    assert metrics["num_tokens"] == 5.0
    assert metrics["entropy"] == pytest.approx(float((ent * rm).sum() / 5))
    assert metrics["pg_loss"] == pytest.approx((-3 + 2) / 5)  # -A per token, token-mean
    assert metrics["grad_norm"] > 0


def test_kl_loss_needs_reference(tiny_model, padded_batch):
    batch = make_batch(tiny_model, padded_batch)
    batch.ref_logprobs = None
    with pytest.raises(ValueError, match="ref_logprobs"):
        ppo_update(tiny_model, GradRecorder(tiny_model), batch, AlgoConfig())
    metrics = ppo_update(tiny_model, GradRecorder(tiny_model), batch, AlgoConfig(use_kl_loss=False))
    assert metrics["kl"] == 0.0


def test_mini_batches_epochs_and_reproducible_shuffle(tiny_model, padded_batch):
    batch = make_batch(tiny_model, padded_batch)
    cfg = AlgoConfig(ppo_epochs=2, ppo_mini_batch_size=2, lr=1e-2, use_kl_loss=False)

    def run():
        model = copy.deepcopy(tiny_model)
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
        ppo_update(model, opt, batch, cfg, generator=torch.Generator().manual_seed(123))
        return [p.detach().clone() for p in model.parameters()]

    a, b = run(), run()
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    rec = GradRecorder(tiny_model)
    ppo_update(tiny_model, rec, batch, cfg, generator=torch.Generator().manual_seed(123))
    # 5 rows in mini-batches of 2 -> 3 per epoch, minus any mini-batch that is only the empty row.
    assert 5 <= len(rec.steps) <= 6


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_advantage_sign_moves_sequence_logprob(make_llama, padded_batch, sign):
    model = make_llama(seed=1)
    ids, am, rm = padded_batch([3], [4], 7, seed=5)

    def seq_logprob():
        with torch.no_grad():
            logp, _ = token_logprobs(model, ids, am)
        return float((logp * rm).sum()), logp

    before, logp = seq_logprob()
    batch = TrainBatch(ids, am, rm, logp, None, torch.tensor([sign], dtype=torch.float64))
    cfg = AlgoConfig(use_kl_loss=False, lr=0.05)
    ppo_update(model, torch.optim.SGD(model.parameters(), lr=cfg.lr), batch, cfg)
    after, _ = seq_logprob()
    assert (after - before) * sign > 1e-4


@pytest.mark.parametrize("micro_batch_size", [1, 2, 3, 5, 8])
def test_chunked_logprobs_equal_one_pass(make_llama, padded_batch, micro_batch_size):
    # float32, the workers' dtype; ragged rows (one all-prompt) so chunks differ in padding.
    model = make_llama(dtype=torch.float32)
    ids, am, _ = padded_batch([2, 3, 1, 4, 2], [4, 2, 5, 0, 3], 8)
    whole = chunked_logprobs(model, ids, am, temperature=0.7, micro_batch_size=0)
    with torch.no_grad():
        expected, _ = token_logprobs(model, ids, am, temperature=0.7)
    assert torch.equal(whole, expected)  # 0: one pass, as before micro-batching
    chunked = chunked_logprobs(model, ids, am, temperature=0.7, micro_batch_size=micro_batch_size)
    assert not chunked.requires_grad
    torch.testing.assert_close(chunked, whole, atol=1e-6, rtol=0)
