"""Task registry: ``task.name`` in the config picks one (each module's ``make(cfg)``)."""

from __future__ import annotations

from selfplay.registry import Registry
from selfplay.tasks.base import ParsedProposal, Problem, Task

# Lazy: a task module is imported only when chosen (linear_equations pulls in math-verify).
TASKS: Registry = Registry("task")
TASKS.add_lazy("toy_arithmetic", "selfplay.tasks.toy_arithmetic:make")
TASKS.add_lazy("multiply", "selfplay.tasks.multiply:make")
TASKS.add_lazy("linear_equations", "selfplay.tasks.linear_equations:make")
TASKS.add_lazy("code", "selfplay.tasks.code:make")
TASKS.add_lazy("code_io", "selfplay.tasks.code_io:make")


def make_task(cfg) -> Task:
    """Build the task named by a ``TaskConfig``."""
    return TASKS.get(cfg.name, "task.name")(cfg)


__all__ = ["TASKS", "ParsedProposal", "Problem", "Task", "make_task"]
