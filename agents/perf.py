"""FLOP accounting of the policy's forward passes and this machine's matmul peak, for the
``perf/mfu`` metric: achieved FLOP/s over the peak that a short matmul probe measures once
per process (per dtype and thread count).

FLOPs count what the passes computed on real tokens (``selfplay.rl.forward.ForwardWork``):
2 per weight per token in the decoder's linear layers, 2 per output-layer weight per row of
logits, 4 per (query, key) pair per attention channel (scores and the weighted sum).
Padding, norms, activations and the softmaxes are not counted. A training pass costs the
forward plus its backward: the input gradients (1x the forward) and the weight gradients of
the trainable share of the weights (up to 1x more).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from selfplay.rl.forward import ForwardWork


@dataclass(frozen=True)
class ModelFlops:
    linear_params: int  # weights of the linear layers every token passes (output layer excluded)
    output_params: int  # output layer weights (hidden x vocabulary)
    attention_width: int  # layers x heads x head_dim
    trainable_fraction: float  # share of the linear + output weights that get gradients

    @classmethod
    def of(cls, model: torch.nn.Module) -> ModelFlops:
        out = model.get_output_embeddings()
        linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear) and m is not out]
        linear = sum(m.weight.numel() for m in linears)
        output = out.weight.numel()
        trainable = sum(m.weight.numel() for m in linears if m.weight.requires_grad)
        trainable += output if out.weight.requires_grad else 0
        cfg = model.config
        heads = cfg.num_attention_heads
        head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // heads
        return cls(linear, output, cfg.num_hidden_layers * heads * head_dim, trainable / max(linear + output, 1))

    def forward(self, work: ForwardWork) -> float:
        return (
            2.0 * self.linear_params * work.tokens
            + 2.0 * self.output_params * work.logit_rows
            + 4.0 * self.attention_width * work.attention_pairs
        )

    def train(self, work: ForwardWork) -> float:
        return self.forward(work) * (2.0 + self.trainable_fraction)


_PEAKS: dict[tuple, float] = {}


def matmul_peak(dtype: torch.dtype, device: str = "cpu", size: int = 1024, calls: int = 8) -> float:
    """FLOP/s of the fastest of ``calls`` square matmuls of ``dtype`` on ``device`` at torch's
    current thread count (``_clock``); measured once per process and key (about 0.2 s on a CPU
    core)."""
    key = (dtype, str(device), torch.get_num_threads(), size)
    if key not in _PEAKS:
        # A generator of its own: the probe runs at a process's first update, which on a resumed
        # run is another step than on an uninterrupted one; drawing from the global stream
        # there would shift every later sample (exact resume).
        g = torch.Generator(device=device).manual_seed(0)
        a = torch.randn(size, size, device=device, generator=g).to(dtype)
        b = torch.randn(size, size, device=device, generator=g).to(dtype)
        torch.mm(a, b)  # warm-up: first-call allocation and kernel selection
        best = float("inf")
        for _ in range(calls):
            _sync(device)
            t = _clock(device)
            torch.mm(a, b)
            _sync(device)
            best = min(best, _clock(device) - t)
        _PEAKS[key] = 2.0 * size**3 / max(best, 1e-9)  # a tiny probe can read 0 on a coarse clock
    return _PEAKS[key]


def _clock(device: str) -> float:
    """Seconds for the probe. On a CPU, the process's CPU time over torch's thread count: what
    the matmul takes on that many cores of its own, also on a shared machine, where wall time
    counts the other processes' turns and a peak measured by it comes out low (MFU over 1)."""
    if torch.device(device).type == "cuda":
        return time.perf_counter()
    return time.process_time() / torch.get_num_threads()


def _sync(device: str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()
