"""Drift probes on a policy worker: how far a policy has moved from its frozen reference and
from its previous probe, on fixed prompts (the driver's side: selfplay/instruments/drift.py).

On its first call for a name the worker answers the prompts with its reference (greedy, or
samples from a fixed seed) and keeps those answers. Every probe then scores them, teacher-
forced, under the policy and the reference: ``kl_to_base`` is KL(policy || reference) of the
full next-token distributions at each answer token (temperature 1), averaged over the
tokens. The direction is the training loss's KL penalty's.

For ``kl_to_prev`` a probe keeps a snapshot of the policy's distribution at each position:
its ``top_k`` tokens plus one bucket for the rest of the vocabulary (a full snapshot would be
tokens x vocabulary floats in every checkpoint). The next probe's KL to it is taken over that
partition: a lower bound of the full KL (merging outcomes never increases a KL), and exactly
the full KL when the vocabulary has at most ``top_k`` tokens (the toy world's).

Everything random runs on a private random state (seeded, then put back): probing never
shifts the worker's sampling stream, so a run with probes trains exactly as one without.
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from agents.generation import HFBackend
from agents.models import encode_prompts
from selfplay import rng_state
from selfplay.messages import ProbeRequest, ProbeResult, SamplingParams

ROWS = 64  # sequences per forward pass


@contextmanager
def private_rng(seed: int) -> Iterator[None]:
    """Run a block on a random state seeded with ``seed``; the process's state is put back after."""
    saved = rng_state.capture()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        rng_state.restore(saved)


@dataclass
class Snapshot:
    """The policy's distribution at each answer token: its top tokens and the log-mass of the rest."""

    index: torch.Tensor  # [T, K] long
    logp: torch.Tensor  # [T, K]
    rest: torch.Tensor  # [T]; -inf where the top tokens hold the whole vocabulary


@dataclass
class Memory:
    key: tuple
    sequences: list[tuple[list[int], list[int]]]  # (prompt ids, reference answer ids) per probe answer
    base_greedy: list[str]
    prev_greedy: list[str] | None = None
    prev: Snapshot | None = None


def full_kl(logp: torch.Tensor, ref_logp: torch.Tensor) -> torch.Tensor:
    """KL(p || q) per row of two [T, V] log-distributions."""
    return (logp.exp() * (logp - ref_logp)).sum(-1)


def snapshot(logp: torch.Tensor, top_k: int) -> Snapshot:
    k = min(top_k, logp.shape[-1])
    top = logp.topk(k, dim=-1)
    return Snapshot(top.indices, top.values, _rest(logp, top.indices))


def partition_kl(logp: torch.Tensor, snap: Snapshot) -> torch.Tensor:
    """KL(p || q) per row over the partition {each of q's top tokens} + {the rest}: p is the
    full [T, V] log-distribution, q the snapshot."""
    p_top = logp.gather(-1, snap.index)
    top = (p_top.exp() * (p_top - snap.logp)).sum(-1)
    p_rest = _rest(logp, snap.index)
    # 0 * log(0 / q) = 0: where p has no mass outside the top tokens the term vanishes.
    rest = torch.where(torch.isinf(p_rest), torch.zeros_like(p_rest), p_rest.exp() * (p_rest - snap.rest))
    return top + rest


def _rest(logp: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """log of the mass outside ``index`` in each row (-inf when ``index`` covers the row)."""
    return logp.scatter(-1, index, float("-inf")).logsumexp(-1)


@torch.no_grad()
def answer_log_probs(
    model: Any, sequences: list[tuple[list[int], list[int]]], pad_id: int, device: str
) -> torch.Tensor:
    """[T, V] log-softmax of ``model``'s next-token distribution at every answer token of
    ``sequences`` (the position before it), answers concatenated in order."""
    out = []
    for start in range(0, len(sequences), ROWS):
        chunk = sequences[start : start + ROWS]
        width = max(len(p) + len(c) for p, c in chunk)
        ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        attn = torch.zeros_like(ids)
        at = torch.zeros((len(chunk), width), dtype=torch.bool)  # positions that predict an answer token
        for i, (p, c) in enumerate(chunk):
            ids[i, : len(p) + len(c)] = torch.tensor(p + c)
            attn[i, : len(p) + len(c)] = 1
            at[i, len(p) - 1 : len(p) + len(c) - 1] = True
        logits = model(input_ids=ids.to(device), attention_mask=attn.to(device)).logits
        out.append(F.log_softmax(logits[at.to(device)].float(), dim=-1).cpu())
    return torch.cat(out)


class Prober:
    """A worker's probe memories by name: the reference's answers and the last snapshot."""

    def __init__(self) -> None:
        self.memories: dict[str, Memory] = {}

    def probe(self, policy: Any, req: ProbeRequest) -> ProbeResult:
        """``policy``: a PolicyWorker (its model, reference, tokenizer, backend)."""
        with private_rng(req.seed):
            prompts = encode_prompts(policy.tokenizer, req.prompts, policy.chat_template)
            key = (tuple(req.prompts), req.max_new_tokens, req.ref_samples, req.temperature, req.seed)
            memory = self.memories.get(req.name)
            if memory is None or memory.key != key:
                memory = self.memories[req.name] = self._start(policy, prompts, req, key)
            greedy_params = SamplingParams(greedy=True, max_new_tokens=req.max_new_tokens)
            greedy = _texts(policy.backend.generate(prompts, greedy_params))
            samples = []
            if req.samples > 0:
                torch.manual_seed(req.seed)  # the same draws at every probe: changes come from the policy
                params = SamplingParams(temperature=req.temperature, n=req.samples, max_new_tokens=req.max_new_tokens)
                samples = [[g.text for g in group] for group in policy.backend.generate(prompts, params)]
            was_training = policy.model.training
            policy.model.eval()  # as when sampling (under LoRA the reference is this module too)
            logp = answer_log_probs(policy.model, memory.sequences, policy.tokenizer.pad_token_id, policy.device)
            ref_logp = answer_log_probs(policy.ref, memory.sequences, policy.tokenizer.pad_token_id, policy.device)
            policy.model.train(was_training)
        tokens = logp.shape[0]
        result = ProbeResult(
            kl_to_base=_mean(full_kl(logp, ref_logp)),
            kl_to_prev=_mean(partition_kl(logp, memory.prev)) if memory.prev is not None else None,
            changed_vs_base=_changed(greedy, memory.base_greedy),
            changed_vs_prev=_changed(greedy, memory.prev_greedy) if memory.prev_greedy is not None else None,
            tokens=tokens,
            greedy=greedy,
            samples=samples,
        )
        if req.keep:
            memory.prev_greedy, memory.prev = greedy, snapshot(logp, req.top_k)
        return result

    def _start(self, policy: Any, prompts: list[list[int]], req: ProbeRequest, key: tuple) -> Memory:
        greedy = SamplingParams(greedy=True, max_new_tokens=req.max_new_tokens)
        base_greedy = _reference_generate(policy, prompts, greedy)
        if req.ref_samples > 0:
            torch.manual_seed(req.seed)
            params = SamplingParams(temperature=req.temperature, n=req.ref_samples, max_new_tokens=req.max_new_tokens)
            answers = _reference_generate(policy, prompts, params)
        else:
            answers = base_greedy
        sequences = [(list(g.prompt_ids), list(g.completion_ids)) for group in answers for g in group]
        return Memory(key, sequences, _texts(base_greedy))

    def reset(self) -> None:
        self.memories.clear()

    def state_dict(self) -> dict:
        return {
            name: {
                "key": m.key, "sequences": m.sequences, "base_greedy": m.base_greedy, "prev_greedy": m.prev_greedy,
                "prev": None if m.prev is None else {"index": m.prev.index, "logp": m.prev.logp, "rest": m.prev.rest},
            }
            for name, m in self.memories.items()
        }

    def load_state_dict(self, state: dict) -> None:
        self.memories = {
            name: Memory(
                tuple(s["key"]), [(list(p), list(c)) for p, c in s["sequences"]], list(s["base_greedy"]),
                s["prev_greedy"], None if s["prev"] is None else Snapshot(**s["prev"]),
            )
            for name, s in state.items()
        }


def _reference_generate(policy: Any, prompts: list[list[int]], params: SamplingParams):
    """Generate with the frozen reference: its own module, or under LoRA the base with the adapters off."""
    if isinstance(policy.ref, torch.nn.Module):
        return HFBackend(policy.ref, policy.tokenizer, policy.generation_batch_size).generate(prompts, params)
    # The module itself, not the worker's backend: a vLLM engine holds the adapters merged in
    # and knows nothing of disable_adapter().
    with policy.model.disable_adapter():
        return HFBackend(policy.model, policy.tokenizer, policy.generation_batch_size, policy.precision).generate(prompts, params)


def _texts(groups) -> list[str]:
    return [group[0].text for group in groups]


def _mean(x: torch.Tensor) -> float:
    return float(x.mean()) if x.numel() else float("nan")


def _changed(now: list[str], before: list[str]) -> float:
    return sum(a != b for a, b in zip(now, before)) / len(now) if now else float("nan")
