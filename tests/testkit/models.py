"""Tiny models built from a config (no download), for the RL and generation tests."""

from __future__ import annotations

import torch
from transformers import LlamaConfig, LlamaForCausalLM

VOCAB = 20


def make_tiny_llama(seed: int = 0, dtype: torch.dtype = torch.float64) -> LlamaForCausalLM:
    """A 1-layer, hidden-16 Llama with a 20-token vocabulary, float64 for exact checks."""
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
        attn_implementation="eager",
    )
    return LlamaForCausalLM(config).to(dtype).eval()


def llama_for_tokenizer(tok, hidden: int, layers: int) -> LlamaForCausalLM:
    """A random Llama over ``tok``'s vocabulary and special tokens (e.g. the toy world's)."""
    return LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(tok), hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
            num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=64,
            bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
        )
    )
