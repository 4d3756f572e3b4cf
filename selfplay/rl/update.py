"""One RL update over a rollout batch: epochs -> shuffled mini-batches (one optimizer step
each) -> micro-batches (gradient accumulation). The role-agnostic core of a policy worker."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F
from torch import Tensor

from selfplay.rl.aggregation import aggregate_loss
from selfplay.rl.config import AlgoConfig
from selfplay.rl.entropy import entropy_from_logits
from selfplay.rl.forward import ForwardWork, micro_batch_order, response_logprobs
from selfplay.rl.kl import kl_penalty
from selfplay.rl.policy_loss import policy_loss
from selfplay.rl.rollout_correction import LogprobGap, tis_weights

log = logging.getLogger(__name__)


def token_logprobs(
    model: torch.nn.Module,
    input_ids: Tensor,
    attention_mask: Tensor,
    *,
    temperature: float = 1.0,
    with_entropy: bool = False,
    entropy_grad: bool = True,
) -> tuple[Tensor, Tensor | None]:
    """logprobs[b, t] = log p(input_ids[b, t] | input_ids[b, :t]) from logits / temperature.

    Both outputs are [B, L] and aligned with input_ids; position 0 (nothing predicts it) is 0.
    entropy[b, t] is the entropy of the distribution that token t was drawn from. Sequences
    are right-padded, so default position ids are correct. entropy_grad=False computes the
    entropy without autograd (a diagnostic that should not hold the [B, L, V] graph).
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    logits = model(input_ids=input_ids, attention_mask=attention_mask).logits[:, :-1]
    if logits.dtype in (torch.float16, torch.bfloat16):
        logits = logits.float()  # log-softmax in half precision loses the small probabilities
    if temperature != 1.0:
        logits = logits / temperature  # the sampler's distribution, so ratios are on-policy
    targets = input_ids[:, 1:].unsqueeze(-1)
    # gather + logsumexp: no [B, L, V] log-softmax tensor is kept for backward.
    logprobs = logits.gather(-1, targets).squeeze(-1) - torch.logsumexp(logits, dim=-1)
    logprobs = F.pad(logprobs, (1, 0))
    entropy = None
    if with_entropy:
        with torch.set_grad_enabled(entropy_grad and torch.is_grad_enabled()):
            entropy = F.pad(entropy_from_logits(logits), (1, 0))
    return logprobs, entropy


@torch.no_grad()
def chunked_logprobs(
    model: torch.nn.Module, input_ids: Tensor, attention_mask: Tensor, *, temperature: float, micro_batch_size: int
) -> Tensor:
    """token_logprobs without autograd, ``micro_batch_size`` rows at a time (0: all at once).

    For the old-policy and reference passes over a whole rollout batch: their [B, L, V]
    float32 logits (1.4 GB at 32 x 224 tokens and a 49k vocabulary) set the worker's peak
    memory unless cut to the micro-batch the update's own forward passes use.
    """
    rows = _chunks(input_ids.shape[0], micro_batch_size)
    return torch.cat([token_logprobs(model, input_ids[r], attention_mask[r], temperature=temperature)[0] for r in rows])


@dataclass
class TrainBatch:
    """One role's rollout batch, right-padded: prompt, response, pad. All [B, L] except advantages [B]."""

    input_ids: Tensor  # long
    attention_mask: Tensor
    response_mask: Tensor  # 1 on the response tokens to train on (0 on prompt, pad, masked samples)
    # token_logprobs of the policy that sampled (same temperature); None when the update is
    # exactly on-policy (is_on_policy): the current log-probs, detached, are the same numbers.
    old_logprobs: Tensor | None
    ref_logprobs: Tensor | None  # reference model's token_logprobs, None without a reference
    advantages: Tensor  # float, one per sequence
    # The sampler's own log-prob of each response token (same temperature; 0 elsewhere), where
    # the generation backend reports them (vLLM): for the mismatch metrics and algo.tis_cap.
    sampler_logprobs: Tensor | None = None

    def __post_init__(self) -> None:
        shape = tuple(self.input_ids.shape)
        for f in ("attention_mask", "response_mask", "old_logprobs", "ref_logprobs", "sampler_logprobs"):
            t = getattr(self, f)
            if t is not None and tuple(t.shape) != shape:
                raise ValueError(f"TrainBatch.{f} has shape {tuple(t.shape)}, expected input_ids' {shape}")
        if tuple(self.advantages.shape) != shape[:1]:
            raise ValueError(f"TrainBatch.advantages has shape {tuple(self.advantages.shape)}, expected ({shape[0]},)")

    def __len__(self) -> int:
        return self.input_ids.shape[0]

    def select(self, indices: Tensor | slice | list[int]) -> TrainBatch:
        """Rows `indices` of every field (a new batch; tensors are indexed, not copied by hand)."""
        return TrainBatch(**{f.name: _rows(getattr(self, f.name), indices) for f in fields(self)})

    def to(self, device: torch.device | str) -> TrainBatch:
        return TrainBatch(**{f.name: _to(getattr(self, f.name), device) for f in fields(self)})


def _rows(t: Tensor | None, indices) -> Tensor | None:
    if t is None:
        return None
    if isinstance(indices, Tensor):
        indices = indices.to(t.device)
    return t[indices]


def _to(t: Tensor | None, device) -> Tensor | None:
    return None if t is None else t.to(device)


def build_optimizer(model: torch.nn.Module, cfg: AlgoConfig) -> torch.optim.Optimizer:
    """AdamW with the config's lr and weight decay (verl's and SQLM's optimizer)."""
    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def warmup_lr(cfg: AlgoConfig, update: int) -> float:
    """The learning rate of the ``update``-th call of the update (0-based): linear warm-up."""
    if cfg.lr_warmup_steps <= 0:
        return cfg.lr
    return cfg.lr * min(1.0, (update + 1) / cfg.lr_warmup_steps)


def is_on_policy(cfg: AlgoConfig, batch_size: int) -> bool:
    """Whether the update takes exactly one optimizer step from the sampling policy: one epoch,
    one mini-batch. Then the old policy *is* the current one at every forward, the ratio is 1,
    and a separate old-policy pass would only recompute the current log-probs (verl skips it
    the same way)."""
    return cfg.ppo_epochs == 1 and (cfg.ppo_mini_batch_size == 0 or cfg.ppo_mini_batch_size >= batch_size)


def _chunks(n: int, size: int) -> list[slice]:
    size = size if size > 0 else max(n, 1)
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def ppo_update(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    batch: TrainBatch,
    cfg: AlgoConfig,
    *,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
    work: ForwardWork | None = None,
) -> dict[str, float]:
    """Train `model` on `batch`; returns metrics averaged over the update.

    Forward passes share each micro-batch's distinct prompts and compute the output layer
    only at response positions (``selfplay.rl.forward``); micro-batches are cut from each
    mini-batch in ``micro_batch_order`` (same rows per optimizer step, less padding).
    ``batch.old_logprobs=None`` is allowed when ``is_on_policy``: the current log-probs,
    detached, stand in. ``work`` (optional) accumulates what the forward passes computed.

    loss, pg_loss, grad_norm: means over optimizer steps (grad_norm before clipping);
    kl, entropy, clip fractions, approx_kl: means over every response token seen;
    kl: cfg.kl_loss_type estimate of KL(policy || ref), also logged when the KL is not in
        the loss (0.0 without ref_logprobs);
    rollout_logprob_diff_mean/_max (only with ``batch.sampler_logprobs``): |sampler - trainer|
        log-prob over response tokens, the trainer's being the old policy's (on-policy: the
        first forward's, the same weights); tis_weight_mean with ``cfg.tis_cap``;
    num_tokens: response tokens in the batch (per epoch);
    time/forward_backward_s, time/optimizer_s: wall seconds of the passes and of the
        optimizer steps (clipping included).
    The model's train/eval mode is the caller's business (no dropout: ratios start at 1).
    """
    cfg.validate()
    if cfg.use_kl_loss and batch.ref_logprobs is None:
        raise ValueError("algo.use_kl_loss=True needs TrainBatch.ref_logprobs")
    n = len(batch)
    if cfg.tis_cap is not None and batch.sampler_logprobs is None:
        raise ValueError("algo.tis_cap needs the sampler's log-probs (TrainBatch.sampler_logprobs; backend=vllm reports them)")
    if batch.old_logprobs is None and not is_on_policy(cfg, n):
        raise ValueError(
            "TrainBatch.old_logprobs=None needs an on-policy update (algo.ppo_epochs=1 and one mini-batch); "
            f"got ppo_epochs={cfg.ppo_epochs}, ppo_mini_batch_size={cfg.ppo_mini_batch_size} for {n} rows"
        )
    device = next(model.parameters()).device
    work = work if work is not None else ForwardWork()
    t_passes = t_optimizer = 0.0
    # One norm_length for the whole update, so every mini/micro-batch divides by the same constant.
    norm_length = cfg.loss_agg_norm_length
    if norm_length is None:
        norm_length = max(int(batch.response_mask.sum(-1).max()), 1) if n else 1
    params = [p for g in optimizer.param_groups for p in g["params"]]

    totals = dict.fromkeys(
        ("kl", "entropy", "clip_fraction_low", "clip_fraction_high", "clip_fraction_dual", "approx_kl"), 0.0
    )
    seen_tokens = 0.0
    gap, tis_total = LogprobGap(), 0.0
    step_losses, step_pg_losses, grad_norms = [], [], []

    for _ in range(cfg.ppo_epochs):
        order = torch.randperm(n, generator=generator)
        for mini_rows in _chunks(n, cfg.ppo_mini_batch_size):
            mini = batch.select(order[mini_rows])
            token_count = mini.response_mask.sum()
            if token_count == 0:
                continue  # nothing to learn; a step would still move Adam's momentum
            seq_count = (mini.response_mask.sum(-1) > 0).sum()
            agg = dict(
                norm_length=norm_length,
                global_token_count=token_count.to(device),
                global_seq_count=seq_count.to(device),
            )
            optimizer.zero_grad(set_to_none=True)
            mini_loss = mini_pg = 0.0
            t0 = time.perf_counter()
            rows = torch.tensor(micro_batch_order(mini.input_ids, mini.attention_mask, mini.response_mask))
            for micro_rows in _chunks(len(mini), cfg.ppo_micro_batch_size):
                mb = mini.select(rows[micro_rows]).to(device)
                fwd = response_logprobs(
                    model,
                    mb.input_ids,
                    mb.attention_mask,
                    mb.response_mask,
                    temperature=temperature,
                    with_entropy=True,
                    entropy_grad=cfg.entropy_coeff > 0,
                )
                logp, entropy = fwd.logprobs, fwd.entropy
                work += fwd.work
                old = mb.old_logprobs if mb.old_logprobs is not None else logp.detach()
                weights = None
                if mb.sampler_logprobs is not None:
                    gap.add(mb.sampler_logprobs, old, mb.response_mask)
                    if cfg.tis_cap is not None:
                        weights = tis_weights(old, mb.sampler_logprobs, cfg.tis_cap)
                        tis_total += float((weights * mb.response_mask).sum())
                pg = policy_loss(
                    logp,
                    old,
                    mb.advantages,
                    mb.response_mask,
                    clip_ratio_low=cfg.clip_ratio_low,
                    clip_ratio_high=cfg.clip_ratio_high,
                    clip_ratio_c=cfg.clip_ratio_c,
                    loss_agg_mode=cfg.loss_agg_mode,
                    token_weights=weights,
                    **agg,
                )
                loss = pg.loss
                mask = mb.response_mask.to(logp.dtype)
                if mb.ref_logprobs is not None:
                    # Without the KL loss it is only a diagnostic: keep it off the graph.
                    kl = kl_penalty(logp if cfg.use_kl_loss else logp.detach(), mb.ref_logprobs, cfg.kl_loss_type)
                    if cfg.use_kl_loss:
                        loss = loss + cfg.kl_loss_coef * aggregate_loss(kl, mask, cfg.loss_agg_mode, **agg)
                    totals["kl"] += float((torch.where(mask > 0, kl.detach(), 0.0) * mask).sum())
                if cfg.entropy_coeff > 0:
                    # A bonus: maximising entropy, so it is subtracted from the loss.
                    loss = loss - cfg.entropy_coeff * aggregate_loss(entropy, mask, cfg.loss_agg_mode, **agg)
                if loss.requires_grad:  # a micro-batch without response tokens has nothing to run
                    loss.backward()

                micro_tokens = float(mask.sum())
                seen_tokens += micro_tokens
                totals["entropy"] += float((entropy.detach() * mask).sum())
                for k in ("clip_fraction_low", "clip_fraction_high", "clip_fraction_dual", "approx_kl"):
                    totals[k] += getattr(pg, k) * micro_tokens
                mini_loss += float(loss.detach())
                mini_pg += float(pg.loss.detach())
            t1 = time.perf_counter()
            t_passes += t1 - t0

            grad_norm = float(torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm))
            if math.isfinite(grad_norm):
                optimizer.step()
            else:
                log.warning("non-finite grad norm %s: optimizer step skipped", grad_norm)
            optimizer.zero_grad(set_to_none=True)
            t_optimizer += time.perf_counter() - t1
            step_losses.append(mini_loss)
            step_pg_losses.append(mini_pg)
            grad_norms.append(grad_norm)

    def mean(xs: list[float]) -> float:
        return sum(xs) / len(xs) if xs else 0.0

    per_token = {k: v / seen_tokens if seen_tokens else 0.0 for k, v in totals.items()}
    clip_fractions = ("clip_fraction_low", "clip_fraction_high", "clip_fraction_dual")
    mismatch = {}
    if batch.sampler_logprobs is not None:
        mismatch = gap.metrics()
        if cfg.tis_cap is not None:
            mismatch["tis_weight_mean"] = tis_total / seen_tokens if seen_tokens else 0.0
    return {
        **mismatch,
        "loss": mean(step_losses),
        "pg_loss": mean(step_pg_losses),
        "kl": per_token["kl"],
        "entropy": per_token["entropy"],
        "grad_norm": mean(grad_norms),
        "clip_fraction": sum(per_token[k] for k in clip_fractions),
        "clip_fraction_low": per_token["clip_fraction_low"],
        "clip_fraction_high": per_token["clip_fraction_high"],
        "approx_kl": per_token["approx_kl"],
        "num_tokens": float(batch.response_mask.sum()),
        "time/forward_backward_s": t_passes,
        "time/optimizer_s": t_optimizer,
    }
