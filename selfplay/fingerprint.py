"""A content hash of a set of tensors: the identity of a model's weights, cheap to store."""

from __future__ import annotations

import hashlib

import torch


def fingerprint(tensors: dict[str, torch.Tensor], skip: str | None = None) -> str:
    """sha256 over names, dtypes, shapes and bytes, in name order; names containing ``skip`` are left out."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        if skip and skip in name:
            continue
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()
