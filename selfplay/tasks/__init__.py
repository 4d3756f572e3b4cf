"""Task registry: ``task.name`` in the config picks one."""

from __future__ import annotations

import importlib

from selfplay.tasks.base import ParsedProposal, Problem, Task

# task name -> module whose ``make(cfg)`` builds it from a ``TaskConfig``
TASKS = {
    "toy_arithmetic": "selfplay.tasks.toy_arithmetic",
    "multiply": "selfplay.tasks.multiply",
    "linear_equations": "selfplay.tasks.linear_equations",
}


def make_task(cfg) -> Task:
    """Build the task named by a ``TaskConfig``."""
    if cfg.name not in TASKS:
        raise ValueError(f"task.name={cfg.name!r}: unknown task (known: {', '.join(TASKS)})")
    return importlib.import_module(TASKS[cfg.name]).make(cfg)


__all__ = ["TASKS", "ParsedProposal", "Problem", "Task", "make_task"]
