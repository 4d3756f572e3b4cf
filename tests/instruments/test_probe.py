"""The worker side of the drift probes (agents/probe.py): KL on hand-made distributions, and a
Prober on a small random model over the toy world's tokenizer, checked against KLs computed
independently here."""

import contextlib
import copy
import math
from types import SimpleNamespace

import pytest
import torch
from testkit.models import llama_for_tokenizer

from agents.generation import HFBackend
from agents.probe import Prober, answer_log_probs, full_kl, partition_kl, snapshot
from selfplay import rng_state
from selfplay.messages import ProbeRequest
from selfplay.toyworld.tokenizer import build_tokenizer


def test_full_kl_of_known_distributions():
    p = torch.tensor([[0.5, 0.5], [0.9, 0.1]]).log()
    q = torch.tensor([[0.25, 0.75], [0.9, 0.1]]).log()
    expected = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)  # = 0.1438...
    assert full_kl(p, q).tolist() == pytest.approx([expected, 0.0], abs=1e-6)


def test_the_snapshot_kl_is_exact_when_it_keeps_the_vocabulary_and_a_lower_bound_otherwise():
    torch.manual_seed(0)
    p = torch.randn(5, 6).log_softmax(-1)
    q = torch.randn(5, 6).log_softmax(-1)
    assert partition_kl(p, snapshot(q, top_k=6)) == pytest.approx(full_kl(p, q), abs=1e-6)
    assert partition_kl(p, snapshot(q, top_k=100)) == pytest.approx(full_kl(p, q), abs=1e-6)
    coarse = partition_kl(p, snapshot(q, top_k=2))
    assert (coarse <= full_kl(p, q) + 1e-6).all() and (coarse > 0).all()
    # by hand: q = (0.5, 0.3, 0.2), top 1 kept -> buckets {0}, {1, 2}; p = (0.2, 0.4, 0.4)
    q3, p3 = torch.tensor([[0.5, 0.3, 0.2]]).log(), torch.tensor([[0.2, 0.4, 0.4]]).log()
    by_hand = 0.2 * math.log(0.2 / 0.5) + 0.8 * math.log(0.8 / 0.5)
    assert partition_kl(p3, snapshot(q3, top_k=1)).item() == pytest.approx(by_hand, abs=1e-6)


@pytest.fixture
def policy():
    tok = build_tokenizer()
    torch.manual_seed(0)
    model = llama_for_tokenizer(tok, hidden=32, layers=1).eval()
    ref = copy.deepcopy(model).requires_grad_(False)
    return SimpleNamespace(model=model, ref=ref, tokenizer=tok, backend=HFBackend(model, tok), chat_template=False, device="cpu",
                           generation_batch_size=256)


def nudge(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=g))


def independent_kl(policy, other, sequences) -> float:
    """Per-token KL(policy || other) along ``sequences``, in float64, written out here."""
    total, count = 0.0, 0
    for prompt, answer in sequences:
        ids = torch.tensor([prompt + answer])
        with torch.no_grad():
            a = policy(input_ids=ids).logits[0].double().log_softmax(-1)
            b = other(input_ids=ids).logits[0].double().log_softmax(-1)
        for t in range(len(prompt) - 1, len(prompt) + len(answer) - 1):
            total += float((a[t].exp() * (a[t] - b[t])).sum())
            count += 1
    return total / count


SOLVER = ProbeRequest("solver", ["12+34=", "3*4=", "7+8="], max_new_tokens=6)
PROPOSER = ProbeRequest("proposer", ["add:", "mul:"], max_new_tokens=6, ref_samples=4, samples=4, seed=3)


def test_probe_measures_drift_against_the_reference_and_the_previous_probe(policy):
    prober = Prober()
    first = prober.probe(policy, PROPOSER)
    assert first.kl_to_base == 0.0 and first.changed_vs_base == 0.0  # the policy is its reference
    assert first.kl_to_prev is None and first.changed_vs_prev is None
    assert first.tokens == len(answer_log_probs(policy.model, prober.memories["proposer"].sequences, 0, "cpu"))
    assert len(first.samples) == 2 and all(len(g) == 4 for g in first.samples)
    then = copy.deepcopy(policy.model)
    nudge(policy.model, 1)
    second = prober.probe(policy, PROPOSER)
    seqs = prober.memories["proposer"].sequences
    assert len(seqs) == 8  # 4 reference samples per prompt
    assert second.kl_to_base == pytest.approx(independent_kl(policy.model, policy.ref, seqs), rel=1e-4)
    assert second.kl_to_prev == pytest.approx(independent_kl(policy.model, then, seqs), rel=1e-4)  # 56 tokens < top_k
    at_second = copy.deepcopy(policy.model)
    nudge(policy.model, 2)
    third = prober.probe(policy, PROPOSER)
    assert third.kl_to_prev == pytest.approx(independent_kl(policy.model, at_second, seqs), rel=1e-4)
    assert third.kl_to_base == pytest.approx(independent_kl(policy.model, policy.ref, seqs), rel=1e-4)


def test_changed_answers_are_counted_against_the_reference_and_the_previous_probe(policy):
    prober = Prober()
    base = prober.probe(policy, SOLVER).greedy
    nudge(policy.model, 1)
    nudge(policy.model, 4)
    now = prober.probe(policy, SOLVER)
    changed = sum(a != b for a, b in zip(now.greedy, base)) / 3
    assert now.changed_vs_base == changed == now.changed_vs_prev
    assert changed > 0  # the nudges moved some greedy answer (else this test checks nothing)
    again = prober.probe(policy, SOLVER)
    assert again.changed_vs_prev == 0.0 and again.kl_to_prev == pytest.approx(0.0, abs=1e-7)
    assert again.changed_vs_base == changed


def test_probing_draws_nothing_from_the_process_random_state(policy):
    torch.manual_seed(5)
    before = rng_state.capture()
    Prober().probe(policy, PROPOSER)
    after = rng_state.capture()
    assert torch.equal(before["torch"], after["torch"])
    assert before["python"] == after["python"]


def test_probe_memory_survives_a_state_dict_round_trip(policy):
    a = Prober()
    a.probe(policy, SOLVER)
    a.probe(policy, PROPOSER)
    b = Prober()
    b.load_state_dict(copy.deepcopy(a.state_dict()))
    nudge(policy.model, 7)
    for req in (SOLVER, PROPOSER):
        assert a.probe(policy, req) == b.probe(policy, req)


def test_a_changed_probe_set_starts_over(policy):
    prober = Prober()
    prober.probe(policy, SOLVER)
    other = ProbeRequest("solver", ["1+1="], max_new_tokens=6)
    assert prober.probe(policy, other).kl_to_prev is None


def test_under_lora_the_reference_is_the_base_with_the_adapters_off(policy):
    from agents import lora

    model = lora.wrap(policy.model, lora.LoraConfig(enabled=True, r=4, alpha=8, target_modules=["q_proj", "v_proj"]))
    base = copy.deepcopy(policy.model)
    lora_policy = SimpleNamespace(model=model, ref=lora.frozen_reference(model), tokenizer=policy.tokenizer,
                                  backend=HFBackend(model, policy.tokenizer), chat_template=False, device="cpu",
                                  generation_batch_size=256, precision=contextlib.nullcontext)
    prober = Prober()
    assert prober.probe(lora_policy, SOLVER).kl_to_base == 0.0
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.add_(0.5 * torch.randn(p.shape, generator=torch.Generator().manual_seed(1)))
    seqs = prober.memories["solver"].sequences
    with model.disable_adapter():
        expected = independent_kl(model, base, seqs)  # adapters off: the base itself, KL 0
    assert expected == pytest.approx(0.0, abs=1e-9)
    assert prober.probe(lora_policy, SOLVER).kl_to_base == pytest.approx(independent_kl(model, base, seqs), rel=1e-4)
