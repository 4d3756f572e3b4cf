import pytest
import torch
from testkit.models import VOCAB, make_tiny_llama
from transformers import LlamaForCausalLM


@pytest.fixture
def tiny_model() -> LlamaForCausalLM:
    return make_tiny_llama()


# Helpers reach the tests as fixtures, so no test imports conftest (works in any import mode).
@pytest.fixture
def make_llama():
    return make_tiny_llama


@pytest.fixture
def padded_batch():
    return right_padded_batch


def right_padded_batch(prompt_lens, response_lens, total_len, seed=0):
    """input_ids / attention_mask / response_mask for right-padded prompt+response rows."""
    g = torch.Generator().manual_seed(seed)
    b = len(prompt_lens)
    input_ids = torch.zeros(b, total_len, dtype=torch.long)
    attention_mask = torch.zeros(b, total_len, dtype=torch.long)
    response_mask = torch.zeros(b, total_len, dtype=torch.long)
    for i, (p, r) in enumerate(zip(prompt_lens, response_lens, strict=True)):
        input_ids[i, : p + r] = torch.randint(3, VOCAB, (p + r,), generator=g)
        attention_mask[i, : p + r] = 1
        response_mask[i, p : p + r] = 1
    return input_ids, attention_mask, response_mask
