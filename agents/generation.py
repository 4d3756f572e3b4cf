"""The CPU generation backend: Hugging Face ``generate`` on the policy's own module.

It samples from the full softmax at the given temperature (``top_k=0``, ``top_p=1`` unless
set), the distribution the RL update's log-probabilities are computed under. Because it
generates with the very module the optimizer updates, pushing weights after an update
costs nothing here: ``update_weights`` only advances the version the worker reports.
The vLLM backend (``agents/vllm_backend.py``) has to copy the weights instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class SamplingParams:
    temperature: float = 1.0
    max_new_tokens: int = 16
    n: int = 1
    top_p: float = 1.0
    greedy: bool = False


@dataclass(frozen=True)
class Generation:
    """One sampled completion. ``completion_ids`` ends with EOS when the model stopped.

    ``logprobs``: where the backend reports them (vLLM; HFBackend leaves None), the sampler's
    log-probability of each completion token, aligned with ``completion_ids``: log-softmax of
    logits / temperature (after top-p, which renormalises over the nucleus); greedy: temperature 1.
    """

    prompt_ids: list[int]
    completion_ids: list[int]
    text: str
    finished: bool
    logprobs: list[float] | None = None


def make_generation(prompt: list[int], ids: list[int], tokenizer, logprobs: list[float] | None = None) -> Generation:
    """A completion cut after its first EOS (kept: it is a sampled token the update trains on)."""
    finished = tokenizer.eos_token_id in ids
    if finished:
        ids = ids[: ids.index(tokenizer.eos_token_id) + 1]
        logprobs = None if logprobs is None else logprobs[: len(ids)]
    text_ids = ids[:-1] if finished else ids
    return Generation(
        prompt_ids=list(prompt),
        completion_ids=ids,
        text=tokenizer.decode(text_ids, skip_special_tokens=True),
        finished=finished,
        logprobs=logprobs,
    )


class HFBackend:
    def __init__(self, model: torch.nn.Module, tokenizer, batch_size: int = 256):
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = batch_size
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
        was_training = self.model.training
        self.model.eval()
        device = next(self.model.parameters()).device
        seqs = self.model.generate(
            input_ids=input_ids.to(device),
            attention_mask=attention.to(device),
            max_new_tokens=params.max_new_tokens,
            num_return_sequences=params.n,
            pad_token_id=tok.pad_token_id,
            eos_token_id=tok.eos_token_id,
            **sampling,
        )
        self.model.train(was_training)
        new = seqs[:, width:].tolist()
        return [[make_generation(p, new[i * params.n + j], tok) for j in range(params.n)] for i, p in enumerate(prompts)]
