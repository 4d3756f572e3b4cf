"""Kinds of problems: what a task knows about a problem beyond its text.

A task may define ``features(problem) -> dict`` (the toy world's: level, operator, operand
digits) and a ``tails`` attribute, ``{feature: values}``: its rare kinds (the toy world's
hardest level and beyond). Both are optional; without ``features`` a problem's kind is its
level, where known.
"""

from __future__ import annotations

from typing import Any

from selfplay.tasks import Problem, Task

Features = dict[str, Any]


def features(task: Task, problem: Problem) -> Features:
    if hasattr(task, "features"):
        return dict(task.features(problem))
    return {} if problem.level is None else {"level": problem.level}


def has_tails(task: Task) -> bool:
    return bool(getattr(task, "tails", None))


def is_rare(task: Task, feats: Features) -> bool:
    """Whether a problem of these features is one of the task's tails (any feature in its tail values)."""
    tails = getattr(task, "tails", None) or {}
    return any(feats.get(name) in values for name, values in tails.items())


def kind(feats: Features) -> str:
    """A kind's name: ``level=4, op=*`` (features in name order)."""
    return ", ".join(f"{k}={feats[k]}" for k in sorted(feats))
