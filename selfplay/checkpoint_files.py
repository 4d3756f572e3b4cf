"""Whether a checkpoint's files read back: each opened the way its loader will open it, and the
tensors that training updates (weights, optimizer state) checked for NaN/inf.

The marker's sha256 catches damage after writing; this catches what no hash can: a file that
was already unreadable or non-finite when written, or one under an older, size-only marker.
One check per file suffix; a file of any other kind is covered by its hash alone.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any, Callable

import torch
import yaml


def _non_finite(tree: Any, where: str = "") -> str | None:
    """The first floating-point tensor in a nested structure holding NaN or inf."""
    if isinstance(tree, torch.Tensor):
        if tree.is_floating_point() and not bool(torch.isfinite(tree).all()):
            return f"non-finite values in {where or 'a tensor'}"
        return None
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, (list, tuple)) else ()
    for key, value in items:
        if (why := _non_finite(value, f"{where}.{key}" if where else str(key))) is not None:
            return why
    return None


def _safetensors(path: Path) -> str | None:
    from safetensors import safe_open

    # Opening parses and bounds-checks the header; tensors are read one at a time (memory-mapped).
    with safe_open(str(path), framework="pt") as f:
        for name in f.keys():
            if (why := _non_finite(f.get_tensor(name), name)) is not None:
                return why
    return None


# Torch files whose tensors training updates: NaN/inf there means a diverged or damaged state.
# Others (the drift probes' memory) may hold -inf legitimately: a log-prob of a zero-mass bucket.
TRAINED_STATE = ("trainer_state.pt",)


def _torch_pickle(path: Path) -> str | None:
    # mmap: a large optimizer state is paged in as it is checked, not copied into memory.
    state = torch.load(path, map_location="cpu", weights_only=False, mmap=True)
    return _non_finite(state) if path.name in TRAINED_STATE else None


def _pickle(path: Path) -> str | None:
    pickle.loads(path.read_bytes())
    return None


def _json(path: Path) -> str | None:
    json.loads(path.read_bytes())
    return None


def _yaml(path: Path) -> str | None:
    yaml.safe_load(path.read_bytes())
    return None


CHECKS: dict[str, Callable[[Path], str | None]] = {
    ".safetensors": _safetensors,
    ".pt": _torch_pickle,
    ".pkl": _pickle,
    ".json": _json,
    ".yaml": _yaml,
}


def problem(path: Path) -> str | None:
    """Why ``path`` does not read back as its kind of file; None when it does (or is of no kind here)."""
    check = CHECKS.get(path.suffix)
    if check is None:
        return None
    try:
        return check(path)
    except Exception as e:  # noqa: BLE001 - whatever a loader raises on this file is the finding
        return f"does not load ({type(e).__name__}: {str(e)[:200]})"
