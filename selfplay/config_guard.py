"""Resuming with a different config: which differences are refused, which are fine.

A checkpoint stores the resolved config of the run that wrote it. On resume, every key that
differs falls in one of three classes:

- inert: cannot change anything the run computes (how long it runs, where and how often it
  logs, evaluates or saves, what resources Ray gets, what its instruments measure).
  Evaluation draws from a copy of the solver's random state, so ``eval_every`` does not shift
  training either. Allowed.
- numeric: the same experiment, but floating-point summation order or how sampling is
  batched changes, so the rest of the run is no longer bit-identical to an uninterrupted
  one. Allowed, with a warning.
- everything else (seed, model, task, algorithm, curriculum, self-play sizes, ...): would
  change the result. Refused, naming the keys, unless ``resume_allow_config_change=true``.

Keys are matched with shell-style patterns. A key the checkpoint predates (an option added to
the code since) is no change when it holds its schema default, since a new option's default
is the old behaviour; set to anything else it is result-changing until listed here.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

INERT = (
    "steps", "resume", "resume_allow_config_change", "eval_every", "checkpoint_every", "keep_checkpoints",
    "logging.*", "cluster.*", "instruments.*",
)
# model.toyworld.threads: the toy base model's build threads, not in its cache key (a cached
# model is reused as is; a rebuilt one that differs is caught by the reference fingerprint).
# backend.* but its name: the vLLM engine's memory, compilation and block size change how it
# batches and computes, not which policy it samples (backend.name, the sampler itself, is refused).
# task.sandbox.workers: programs run at once; results come back in order, but more programs
# at once can push a slow one past its wall-clock limit.
NUMERIC = ("cluster.torch_threads", "cluster.generation_batch_size", "model.device", "model.toyworld.threads",
           "backend.kv_cache_gib", "backend.enforce_eager", "backend.max_model_len", "backend.block_size",
           "backend.verify_push", "task.sandbox.workers")

OVERRIDE_FLAG = "resume_allow_config_change"


class ConfigChangedError(ValueError):
    pass


@dataclass(frozen=True)
class Change:
    key: str
    saved: Any
    current: Any

    def __str__(self) -> str:
        return f"{self.key}: {self.saved!r} -> {self.current!r}"


def flatten(tree: dict, prefix: str = "") -> dict[str, Any]:
    """Dotted keys to leaf values (lists are leaves)."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def diff(saved: dict, current: dict, defaults: dict | None = None) -> list[Change]:
    """Keys whose values differ; one absent from ``saved`` and at its ``defaults`` value is not."""
    a, b, d = flatten(saved), flatten(current), flatten(defaults or {})
    missing = object()
    return [
        Change(k, a.get(k, "<absent>"), b.get(k, "<absent>"))
        for k in sorted(a.keys() | b.keys())
        if a.get(k, missing) != b.get(k, missing) and not (k not in a and k in d and d[k] == b[k])
    ]


def _matches(key: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(key, p) for p in patterns)


def classify(change: Change) -> str:
    if _matches(change.key, NUMERIC):
        return "numeric"
    return "inert" if _matches(change.key, INERT) else "result"


def check(saved: dict, current: dict, *, allow: bool, where: str, defaults: dict | None = None) -> list[str]:
    """Raise ``ConfigChangedError`` on a result-changing difference (unless ``allow``);
    return warnings for the differences let through. ``defaults``: the schema's defaults."""
    changes = diff(saved, current, defaults)
    result = [c for c in changes if classify(c) == "result"]
    numeric = [c for c in changes if classify(c) == "numeric"]
    if result and not allow:
        listed = "\n  ".join(str(c) for c in result)
        raise ConfigChangedError(
            f"refusing to resume from {where}: the config differs in keys that change the result:\n  {listed}\n"
            f"Rerun with the checkpoint's values, start a new run directory (or resume=never), "
            f"or pass {OVERRIDE_FLAG}=true to continue with the new values anyway."
        )
    warnings = []
    if result:
        warnings.append(f"resuming with a changed config ({OVERRIDE_FLAG}=true): " + "; ".join(map(str, result)))
    if numeric:
        warnings.append(
            "resuming with changed " + "; ".join(map(str, numeric)) + ": the run continues, but is no longer "
            "bit-identical to an uninterrupted one"
        )
    return warnings
