"""The sampler and the RL update must see the same distribution: generate's per-token
log-probs (left-padded batch) equal token_logprobs on the right-padded training batch."""

import torch
from testkit.models import llama_for_tokenizer as tiny_llama

from agents.generation import HFBackend
from selfplay.messages import SamplingParams
from selfplay.rl import token_logprobs
from selfplay.toyworld.tokenizer import build_tokenizer


def test_sampled_tokens_logprobs_match_training_logprobs():
    torch.manual_seed(0)
    tok = build_tokenizer()
    model = tiny_llama(tok, hidden=32, layers=2).eval()
    # Prompts of different lengths, so the generation batch is left-padded.
    prompts = [tok(t).input_ids for t in ("add:", "7+5=", "123+456=", "mul:")]
    width = max(map(len, prompts))
    ids = torch.full((len(prompts), width), tok.pad_token_id)
    mask = torch.zeros_like(ids)
    for i, p in enumerate(prompts):
        ids[i, width - len(p):] = torch.tensor(p)
        mask[i, width - len(p):] = 1
    temperature = 0.7
    out = model.generate(
        input_ids=ids, attention_mask=mask, do_sample=True, temperature=temperature, top_k=0, top_p=1.0,
        max_new_tokens=6, output_logits=True, return_dict_in_generate=True,
        pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
    )
    sampler_logits = torch.stack(out.logits, 1).float() / temperature
    new = out.sequences[:, width:]
    sampler_lp = torch.log_softmax(sampler_logits, -1).gather(-1, new.unsqueeze(-1)).squeeze(-1)
    for i, p in enumerate(prompts):
        completion = new[i].tolist()
        if tok.eos_token_id in completion:
            completion = completion[: completion.index(tok.eos_token_id) + 1]
        seq = torch.tensor([p + completion])
        lp, _ = token_logprobs(model, seq, torch.ones_like(seq), temperature=temperature)
        torch.testing.assert_close(lp[0, len(p):], sampler_lp[i, : len(completion)], atol=1e-5, rtol=0)


def test_backend_cuts_completions_at_eos_and_keeps_prompt_order():
    torch.manual_seed(1)
    tok = build_tokenizer()
    model = tiny_llama(tok, hidden=16, layers=1)
    prompts = [tok(t).input_ids for t in ("1+1=", "22+3=", "mul:")]
    groups = HFBackend(model, tok, batch_size=4).generate(prompts, SamplingParams(n=3, max_new_tokens=5))
    assert [len(g) for g in groups] == [3, 3, 3]
    for prompt, group in zip(prompts, groups):
        for g in group:
            assert g.prompt_ids == prompt
            assert tok.eos_token_id not in g.completion_ids[:-1]
            assert g.finished == (g.completion_ids[-1:] == [tok.eos_token_id])
            assert len(g.completion_ids) <= 5


def test_backend_prefills_each_prompt_once_with_the_same_draws():
    """n samples of a prompt from one prefill of it: the same completions, from the same
    random draws, as generate(num_return_sequences=n), which runs the prompt n times."""
    tok = build_tokenizer()
    torch.manual_seed(0)
    model = tiny_llama(tok, hidden=32, layers=2).eval()
    prompts = [tok(t).input_ids for t in ("add:", "7+5=", "123+456=", "mul:")]
    width = max(map(len, prompts))
    ids = torch.full((len(prompts), width), tok.pad_token_id)
    mask = torch.zeros_like(ids)
    for i, p in enumerate(prompts):
        ids[i, width - len(p):] = torch.tensor(p)
        mask[i, width - len(p):] = 1
    torch.manual_seed(5)
    plain = model.generate(
        input_ids=ids, attention_mask=mask, do_sample=True, temperature=0.9, top_k=0, top_p=1.0, max_new_tokens=8,
        num_return_sequences=3, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
    )[:, width:].tolist()
    torch.manual_seed(5)
    groups = HFBackend(model, tok, batch_size=64).generate(prompts, SamplingParams(n=3, max_new_tokens=8, temperature=0.9))
    got = [g.completion_ids for group in groups for g in group]
    assert [p[: len(g)] for p, g in zip(plain, got)] == got


def test_backend_returns_the_samplers_logprobs_equal_to_the_update_passes():
    from selfplay.rl import batch_response_logprobs

    tok = build_tokenizer()
    torch.manual_seed(2)
    model = tiny_llama(tok, hidden=32, layers=2).eval()
    prompts = [tok(t).input_ids for t in ("add:", "123+456=")]
    groups = HFBackend(model, tok, batch_size=64).generate(prompts, SamplingParams(n=3, max_new_tokens=6, temperature=0.8, logprobs=True))
    gens = [g for group in groups for g in group]
    width = max(len(g.prompt_ids) + len(g.completion_ids) for g in gens)
    ids = torch.zeros(len(gens), width, dtype=torch.long)
    attn, resp = torch.zeros_like(ids), torch.zeros_like(ids)
    for i, g in enumerate(gens):
        p, c = len(g.prompt_ids), len(g.completion_ids)
        ids[i, : p + c] = torch.tensor(g.prompt_ids + g.completion_ids)
        attn[i, : p + c] = 1
        resp[i, p : p + c] = 1
    lp, _ = batch_response_logprobs(model, ids, attn, resp, temperature=0.8, micro_batch_size=2)
    for i, g in enumerate(gens):
        assert len(g.logprobs) == len(g.completion_ids)
        p = len(g.prompt_ids)
        torch.testing.assert_close(lp[i, p : p + len(g.completion_ids)], torch.tensor(g.logprobs), atol=1e-5, rtol=0)
