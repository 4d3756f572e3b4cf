"""Task registry: ``task.name`` in the config picks one."""

from __future__ import annotations

from selfplay.tasks.base import ParsedProposal, Problem, Task


def make_task(cfg) -> Task:
    """Build the task named by a ``TaskConfig``."""
    if cfg.name == "toy_arithmetic":
        from selfplay.tasks.toy_arithmetic import ToyArithmeticTask

        return ToyArithmeticTask(
            topics=list(cfg.topics),
            answer_format=cfg.answer_format,
            equivalence=cfg.equivalence,
            eval_seed=cfg.eval_seed,
            eval_per_level=cfg.eval_per_level,
        )
    raise ValueError(f"task.name={cfg.name!r}: unknown task (known: toy_arithmetic)")


__all__ = ["ParsedProposal", "Problem", "Task", "make_task"]
