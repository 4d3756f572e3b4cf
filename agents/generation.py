"""The CPU generation backend: Hugging Face ``generate`` on the policy's own module.

It samples from the full softmax at the given temperature (``top_k=0``, ``top_p=1`` unless
set), the distribution the RL update's log-probabilities are computed under. Because it
generates with the very module the optimizer updates, pushing weights after an update
costs nothing here: ``update_weights`` only advances the version the worker reports.
The vLLM backend (``agents/vllm_backend.py``) has to copy the weights instead.

With ``n`` samples per prompt, each prompt is run through the model once (all but its last
token, into a key/value cache that is then repeated ``n`` times) instead of ``n`` times, as
``generate(num_return_sequences=n)`` would: the same distribution, the same random draws.
"""

from __future__ import annotations

import contextlib

import torch

from selfplay.messages import Generation, SamplingParams
from selfplay.rl.forward import CACHE_KEY


def make_generation(
    prompt: list[int], ids: list[int], tokenizer, logprobs: list[float] | None = None
) -> Generation:
    """A completion cut after its first EOS (kept: it is a sampled token the update trains on),
    with the sampler's log-probs cut alike (both backends build their records here)."""
    finished = tokenizer.eos_token_id in ids
    if finished:
        ids = ids[: ids.index(tokenizer.eos_token_id) + 1]
    text_ids = ids[:-1] if finished else ids
    return Generation(
        prompt_ids=list(prompt),
        completion_ids=ids,
        text=tokenizer.decode(text_ids, skip_special_tokens=True),
        finished=finished,
        logprobs=None if logprobs is None else tuple(logprobs[: len(ids)]),
    )


def make_backend(cfg, model: torch.nn.Module, tokenizer, *, batch_size: int, precision) -> HFBackend:
    """``backend=hf`` (agents/backends.py): nothing of ``cfg`` applies."""
    return HFBackend(model, tokenizer, batch_size, precision=precision)


class HFBackend:
    def __init__(self, model: torch.nn.Module, tokenizer, batch_size: int = 256, precision=contextlib.nullcontext):
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.precision = precision  # a context factory: mixed precision (agents/precision.py)
        self.weights_version = 0

    def update_weights(self, version: int | None = None) -> int:
        """Nothing to copy (generate runs the module itself): the new version, ``version`` when
        given (a restored checkpoint's), else the previous one + 1."""
        self.weights_version = self.weights_version + 1 if version is None else version
        return self.weights_version

    @torch.no_grad()
    def generate(self, prompts: list[list[int]], params: SamplingParams) -> list[list[Generation]]:
        """``params.n`` completions for each prompt (given as token ids), in prompt order."""
        per_chunk = max(1, self.batch_size // params.n)
        out: list[list[Generation]] = []
        for start in range(0, len(prompts), per_chunk):
            out.extend(self._generate_chunk(prompts[start : start + per_chunk], params))
        return out

    def _generate_chunk(self, prompts: list[list[int]], params: SamplingParams) -> list[list[Generation]]:
        tok = self.tokenizer
        width = max(len(p) for p in prompts)
        # Left padding keeps every prompt's last token at the same position.
        input_ids = torch.full((len(prompts), width), tok.pad_token_id, dtype=torch.long)
        attention = torch.zeros_like(input_ids)
        for i, p in enumerate(prompts):
            input_ids[i, width - len(p) :] = torch.tensor(p, dtype=torch.long)
            attention[i, width - len(p) :] = 1
        sampling = (
            dict(do_sample=False)
            if params.greedy
            else dict(do_sample=True, temperature=params.temperature, top_p=params.top_p, top_k=0)
        )
        if params.min_new_tokens:
            sampling["min_new_tokens"] = params.min_new_tokens
        was_training = self.model.training
        self.model.eval()
        device = next(self.model.parameters()).device
        input_ids, attention = input_ids.to(device), attention.to(device)
        with self.precision():
            if params.n > 1 and width > 1:
                # Prefill each prompt once (all but its last token, which generate runs itself
                # to get the first logits), then one copy of its cache per sample.
                prefix = attention[:, :-1]
                positions = (prefix.cumsum(-1) - 1).masked_fill(prefix == 0, 0)
                cache = getattr(
                    self.model(input_ids=input_ids[:, :-1], attention_mask=prefix, position_ids=positions,
                               use_cache=True, logits_to_keep=1),
                    CACHE_KEY,
                )
                cache.batch_repeat_interleave(params.n)
                input_ids, attention = input_ids.repeat_interleave(params.n, 0), attention.repeat_interleave(params.n, 0)
                extra = {CACHE_KEY: cache}
            else:
                extra = dict(num_return_sequences=params.n)
            if params.logprobs:
                extra.update(output_logits=True, return_dict_in_generate=True)
            result = self.model.generate(
                input_ids=input_ids,
                attention_mask=attention,
                max_new_tokens=params.max_new_tokens,
                pad_token_id=tok.pad_token_id,
                eos_token_id=tok.eos_token_id,
                **extra,
                **sampling,
            )
        self.model.train(was_training)
        seqs = result.sequences if params.logprobs else result
        new = seqs[:, width:].tolist()
        sampled_lp = None
        if params.logprobs:
            logits = torch.stack(result.logits, 1).float() / (1.0 if params.greedy else params.temperature)
            sampled_lp = torch.log_softmax(logits, -1).gather(-1, seqs[:, width:, None]).squeeze(-1).tolist()
        return [
            [
                make_generation(p, new[i * params.n + j], tok, None if sampled_lp is None else sampled_lp[i * params.n + j])
                for j in range(params.n)
            ]
            for i, p in enumerate(prompts)
        ]
