"""Same seed, same bits: a worker's CPU update is repeatable even where many rows share one
prompt (their gradients meet in an indexing backward whose default CPU kernel adds from
several threads in no fixed order)."""

import hashlib

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from agents.policy_worker import start_process
from selfplay.rl.forward import response_logprobs


@pytest.fixture
def process_settings():
    """Restore what start_process changes, so other tests run as before."""
    saved = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(),
             torch.utils.deterministic.fill_uninitialized_memory)
    yield
    torch.set_num_threads(saved[0])
    torch.use_deterministic_algorithms(saved[1])
    torch.utils.deterministic.fill_uninitialized_memory = saved[2]


def one_prompt_batch(rows=64, width=40):
    """``rows`` responses of 1-15 tokens to one prompt (a proposer's batch has this shape)."""
    g = torch.Generator().manual_seed(1)
    prompt = torch.randint(3, 512, (14,), generator=g)
    ids, attn, resp = (torch.zeros(rows, width, dtype=torch.long) for _ in range(3))
    for i in range(rows):
        r = int(torch.randint(1, 16, (1,), generator=g))
        ids[i, :14], ids[i, 14 : 14 + r] = prompt, torch.randint(3, 512, (r,), generator=g)
        attn[i, : 14 + r], resp[i, 14 : 14 + r] = 1, 1
    return ids, attn, resp


def gradient_digests(repeats: int) -> set[str]:
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=512, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                                         num_attention_heads=4, num_key_value_heads=4, pad_token_id=0))
    batch = one_prompt_batch()
    digests = set()
    for _ in range(repeats):
        model.zero_grad()
        response_logprobs(model, *batch).logprobs.sum().backward()
        grads = torch.cat([p.grad.flatten() for p in model.parameters()])
        digests.add(hashlib.sha256(grads.numpy().tobytes()).hexdigest())
    return digests


def test_shared_prompt_gradients_repeat_bit_for_bit_on_cpu(process_settings):
    start_process(threads=2, seed=0, device="cpu")
    assert torch.are_deterministic_algorithms_enabled()
    assert len(gradient_digests(repeats=8)) == 1
