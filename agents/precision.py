"""Mixed precision for a policy worker (``model.autocast``): matmuls in a half dtype under
``torch.autocast`` while the weights, their gradients and the optimizer stay in the model's
own dtype (float32 master weights). Log-softmax and everything after it runs in float32
(``selfplay.rl.forward`` upcasts the logits). The same context wraps sampling, the log-prob
passes and the update, so the sampler and the update see the same arithmetic.

On CPUs with AVX512-BF16 (or AMX), bfloat16 matmuls run about 2x faster per core; see
experiments/performance/README.md for the effect on the sampler/update log-prob mismatch.
"""

from __future__ import annotations

import contextlib

import torch

AUTOCAST_DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16}


def check(name: str | None) -> None:
    if name is not None and name not in AUTOCAST_DTYPES:
        raise ValueError(f"model.autocast={name!r}: must be null or one of {sorted(AUTOCAST_DTYPES)}")


def autocast(name: str | None, device: str):
    """A context running matmuls in ``name`` (None: a no-op context)."""
    check(name)
    if name is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=AUTOCAST_DTYPES[name])


def compute_dtype(name: str | None, model: torch.nn.Module) -> torch.dtype:
    """The dtype the matmuls run in: the autocast dtype, else the weights'."""
    return AUTOCAST_DTYPES[name] if name is not None else next(model.parameters()).dtype
