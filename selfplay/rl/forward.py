"""Response log-probabilities with each distinct prompt forwarded once.

A GRPO batch repeats every prompt N times (the group's samples), and the prompts are often
most of the tokens (a chat template around a short problem). ``response_logprobs`` runs the
prompts of a micro-batch once each, expands their key/value cache to the rows that share them, and runs only the responses on top. The output
layer, log-sum-exp and entropy are computed only where a response token is predicted, and
each forward is as wide as its own longest sequence. The result is laid out like
``token_logprobs``' (aligned with ``input_ids``, right-padded, 0 where not computed), so the
losses downstream are unchanged; gradients flow through the shared cache into the prompts.

Equal to ``token_logprobs`` at the response positions up to float rounding (the matmuls have
other shapes); ``tests/rl/test_rl_forward.py`` checks values and gradients.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from transformers.modeling_outputs import CausalLMOutputWithPast

from selfplay.rl.entropy import entropy_from_logits

# transformers 5.x renamed the cache argument and output from ``past_key_values`` to ``cache``.
CACHE_KEY = "cache" if "cache" in CausalLMOutputWithPast.__dataclass_fields__ else "past_key_values"


@dataclass
class ForwardWork:
    """What a forward pass computed, for FLOP accounting (``selfplay.rl.perf``): real tokens
    run through the decoder, rows of the output layer, and (query, key) pairs of attention."""

    tokens: int = 0
    logit_rows: int = 0
    attention_pairs: int = 0

    def __iadd__(self, other: ForwardWork) -> ForwardWork:
        self.tokens += other.tokens
        self.logit_rows += other.logit_rows
        self.attention_pairs += other.attention_pairs
        return self


@dataclass
class ForwardOutput:
    logprobs: Tensor  # [B, L], aligned with input_ids; 0 where not computed
    entropy: Tensor | None  # [B, L] or None
    work: ForwardWork


def response_spans(attention_mask: Tensor, response_mask: Tensor) -> tuple[list[int], list[int]]:
    """(start, end) per row: the first response token and the row's length (right-padded).
    Rows without a response token get start = end (nothing to compute)."""
    lengths = attention_mask.sum(-1).tolist()
    has = response_mask.sum(-1) > 0
    first = torch.where(has, response_mask.float().argmax(-1), attention_mask.sum(-1)).tolist()
    return [int(s) if h else int(n) for s, n, h in zip(first, lengths, has.tolist())], [int(n) for n in lengths]


def micro_batch_order(input_ids: Tensor, attention_mask: Tensor, response_mask: Tensor) -> list[int]:
    """Row order that puts rows sharing a prompt next to each other, groups of similar length
    together, and shorter responses first within a group: micro-batches cut from it share
    prompts and carry little padding. (Order inside one optimizer step does not change the
    gradient's value, only the order of its float sums.)"""
    starts, ends = response_spans(attention_mask, response_mask)
    prompts = [tuple(input_ids[b, : starts[b]].tolist()) for b in range(len(starts))]
    longest: dict[tuple, int] = {}
    for b, p in enumerate(prompts):
        longest[p] = max(longest.get(p, 0), ends[b])
    return sorted(range(len(starts)), key=lambda b: (longest[prompts[b]], prompts[b], ends[b] - starts[b], b))


def _positions(mask: Tensor) -> Tensor:
    """Position ids of a padded batch (left or right), as ``generate`` computes them."""
    return (mask.long().cumsum(-1) - 1).masked_fill(mask == 0, 0)


def _scaled(logits: Tensor, temperature: float) -> Tensor:
    """The sampler's distribution's logits, in float32 at least."""
    if logits.dtype in (torch.float16, torch.bfloat16):
        logits = logits.float()  # log-softmax in half precision loses the small probabilities
    return logits / temperature if temperature != 1.0 else logits


def _entropy(logits: Tensor, with_entropy: bool, entropy_grad: bool) -> Tensor | None:
    if not with_entropy:
        return None
    with torch.set_grad_enabled(entropy_grad and torch.is_grad_enabled()):
        return entropy_from_logits(logits)


def response_logprobs(
    model: torch.nn.Module,
    input_ids: Tensor,
    attention_mask: Tensor,
    response_mask: Tensor,
    *,
    temperature: float = 1.0,
    with_entropy: bool = False,
    entropy_grad: bool = True,
) -> ForwardOutput:
    """Log-probs (and entropies) of every token from each row's first response token to its
    end, for right-padded rows [B, L]; the rest is 0. A row's prompt is everything before its
    first response token; rows with equal prompts share one forward of it."""
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    batch, width = input_ids.shape
    device = input_ids.device
    starts, ends = response_spans(attention_mask, response_mask)
    rows = [b for b in range(batch) if ends[b] > starts[b]]
    if any(starts[b] == 0 for b in rows):
        raise ValueError("a response starts at position 0: nothing precedes it to predict it")
    work = ForwardWork()
    if not rows:
        out = torch.zeros(batch, width, device=device)
        return ForwardOutput(out, torch.zeros_like(out) if with_entropy else None, work)

    # Distinct prompts, right-padded: a left-padded row's pad positions would attend to
    # nothing, which eager attention turns into NaN gradients.
    prompt_index: dict[tuple, int] = {}
    row_prompt = []
    for b in rows:
        row_prompt.append(prompt_index.setdefault(tuple(input_ids[b, : starts[b]].tolist()), len(prompt_index)))
    prompts = list(prompt_index)
    p_lens = [len(p) for p in prompts]
    p_width = max(p_lens)
    p_ids = torch.zeros(len(prompts), p_width, dtype=input_ids.dtype, device=device)
    p_mask = torch.zeros_like(p_ids)
    for g, p in enumerate(prompts):
        p_ids[g, : len(p)] = torch.tensor(p, dtype=input_ids.dtype)
        p_mask[g, : len(p)] = 1
    lengths = [ends[b] - starts[b] for b in rows]  # response tokens per row, >= 1
    c_width = max(lengths) - 1  # the last response token predicts nothing we score
    use_cache = c_width > 0
    # Output layer only at the prompts' last positions (each distinct one, for every prompt).
    keep = sorted(set(n - 1 for n in p_lens))
    prompt_out = model(
        input_ids=p_ids,
        attention_mask=p_mask,
        position_ids=_positions(p_mask),
        logits_to_keep=torch.tensor(keep, device=device),
        use_cache=use_cache,
    )
    work += ForwardWork(sum(p_lens), len(prompts), sum(n * (n + 1) // 2 for n in p_lens))

    rp = torch.tensor(row_prompt, device=device)
    rows_t = torch.tensor(rows, device=device)
    starts_t = torch.tensor([starts[b] for b in rows], device=device)
    # First response token of each row: predicted by its prompt's last position (one
    # log-sum-exp per prompt, not per row).
    last_col = torch.tensor([keep.index(n - 1) for n in p_lens], device=device)
    last = _scaled(prompt_out.logits[torch.arange(len(prompts), device=device), last_col], temperature)
    lp_first = last[rp, input_ids[rows_t, starts_t]] - torch.logsumexp(last, dim=-1)[rp]
    ent_first = _entropy(last, with_entropy, entropy_grad)
    lp_parts = [lp_first[:, None]]
    ent_parts = [ent_first[rp][:, None]] if with_entropy else []

    if use_cache:
        cache = getattr(prompt_out, CACHE_KEY)
        cache.batch_select_indices(rp)  # each row gets its prompt's keys and values (differentiable)
        # Responses right-padded: c_ids[r, j] is token starts[b] + j; it predicts token j + 1.
        span = torch.arange(c_width + 1, device=device)
        c_len = torch.tensor(lengths, device=device)
        c_mask_full = span[None, :] < c_len[:, None]
        src = (starts_t[:, None] + span[None, :]).clamp_max(width - 1)
        c_ids_full = torch.where(c_mask_full, input_ids[rows_t[:, None], src], 0)
        c_ids, c_mask = c_ids_full[:, :-1], c_mask_full[:, :-1].long()
        # Positions continue each prompt's own count (the pad between them is masked).
        c_pos = starts_t[:, None] + span[None, :-1]
        resp_out = model(
            input_ids=c_ids,
            attention_mask=torch.cat([p_mask[rp], c_mask], dim=1),
            position_ids=c_pos,
            use_cache=True,
            **{CACHE_KEY: cache},
        )
        logits = _scaled(resp_out.logits, temperature)
        # gather + logsumexp: no [R, C, V] log-softmax tensor is kept for backward.
        lp_parts.append(logits.gather(-1, c_ids_full[:, 1:, None]).squeeze(-1) - torch.logsumexp(logits, dim=-1))
        if with_entropy:
            ent_parts.append(_entropy(logits, with_entropy, entropy_grad))
        n_rest = sum(c - 1 for c in lengths)
        pairs = sum(sum(starts[b] + j + 1 for j in range(c - 1)) for b, c in zip(rows, lengths))
        work += ForwardWork(n_rest, n_rest, pairs)

    # Scatter [R, C] back to the right-padded [B, L] layout.
    lp = torch.cat(lp_parts, dim=1)
    keep = torch.arange(lp.shape[1], device=device)[None, :] < torch.tensor(lengths, device=device)[:, None]
    r_idx, j_idx = keep.nonzero(as_tuple=True)
    dest = (rows_t[r_idx], starts_t[r_idx] + j_idx)
    out = lp.new_zeros(batch, width).index_put(dest, lp[r_idx, j_idx])
    ent_out = None
    if with_entropy:
        ent = torch.cat(ent_parts, dim=1)
        ent_out = ent.new_zeros(batch, width).index_put(dest, ent[r_idx, j_idx])
    return ForwardOutput(out, ent_out, work)


@torch.no_grad()
def batch_response_logprobs(
    model, input_ids: Tensor, attention_mask: Tensor, response_mask: Tensor, *, temperature: float, micro_batch_size: int
) -> tuple[Tensor, ForwardWork]:
    """``response_logprobs`` without autograd over a whole rollout batch, ``micro_batch_size``
    rows at a time (0: all at once), rows grouped by ``micro_batch_order``; rows come back
    in their original order."""
    order = micro_batch_order(input_ids, attention_mask, response_mask)
    size = micro_batch_size if micro_batch_size > 0 else max(len(order), 1)
    out: Tensor | None = None
    work = ForwardWork()
    for i in range(0, len(order), size):
        idx = torch.tensor(order[i : i + size], device=input_ids.device)
        res = response_logprobs(model, input_ids[idx], attention_mask[idx], response_mask[idx], temperature=temperature)
        if out is None:
            out = res.logprobs.new_zeros(input_ids.shape)
        out[idx] = res.logprobs
        work += res.work
    return (out if out is not None else torch.zeros(input_ids.shape, device=input_ids.device)), work

