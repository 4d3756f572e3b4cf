"""Held-out evaluation of the solver against ground truth, per difficulty level.

pass@1 is the mean correctness of samples at the training temperature, greedy the
accuracy of greedy decoding, maj@N whether the majority answer of N samples is right (a
graded task, code, has no vote: its maj@N is 0). Correctness comes from the task's judge
(``Task.judge``), the same one training uses.
Ground truth is read here and in diagnostics only; it never reaches a reward.

A task whose held-out set is a named benchmark (``eval_benchmark``, e.g. ``humaneval``) has
its metrics repeated under ``eval/<name>/``, with pass@k by the unbiased estimator:
``pass@1`` and ``pass@K`` (K = the samples per problem) at the sampling temperature,
``greedy_pass@1``, and ``problems`` (how many were evaluated), so a run's numbers cannot be
mistaken for another set's.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

from selfplay.messages import Generation, SamplingParams
from selfplay.tasks import Problem, Task

Generate = Callable[[list[str], SamplingParams], list[list[Generation]]]


@dataclass
class Evaluation:
    """An evaluation's metrics and, per held-out problem, what the solver answered (for the
    instruments, selfplay/instruments/)."""

    metrics: dict[str, float]
    problems: list[Problem]
    greedy: list[str | None]  # the extracted greedy answer
    greedy_correct: list[bool]
    samples: list[list[str | None]]  # the extracted sampled answers


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chen et al. (2021)'s unbiased estimate of pass@k from ``n`` samples, ``c`` of them correct:
    1 - C(n - c, k) / C(n, k), computed as a product (no large binomials)."""
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if k == 1:
        return c / n  # the same value, exactly as the plain mean computes it
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def evaluate(generate: Generate, task: Task, *, samples: int, temperature: float, max_new_tokens: int) -> dict[str, float]:
    return evaluate_in_detail(generate, task, samples=samples, temperature=temperature, max_new_tokens=max_new_tokens).metrics


def evaluate_in_detail(generate: Generate, task: Task, *, samples: int, temperature: float, max_new_tokens: int) -> Evaluation:
    problems = task.eval_problems()
    prompts = [task.solver_prompt(p) for p in problems]
    greedy = generate(prompts, SamplingParams(greedy=True, max_new_tokens=max_new_tokens))
    sampled = generate(prompts, SamplingParams(temperature=temperature, n=samples, max_new_tokens=max_new_tokens))
    # The task's judge, as in training; correctness against ground truth is its diagnostic part.
    greedy_verdicts = task.judge(problems, [[g[0].text] for g in greedy], min_majority=1)
    sampled_verdicts = task.judge(problems, [[g.text for g in group] for group in sampled], min_majority=1)
    scores: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for problem, g, s in zip(problems, greedy_verdicts, sampled_verdicts):
        row = (sum(map(bool, s.correct)) / len(s.correct), float(bool(g.correct[0])), float(bool(s.majority_correct)))
        scores["all"].append(row)
        if problem.level is not None:
            scores[f"level_{problem.level}"].append(row)
    metrics: dict[str, float] = {}
    for key, rows in scores.items():
        prefix = "eval/solver_" if key == "all" else f"eval/{key}/"
        n = len(rows)
        metrics[f"{prefix}pass@1"] = sum(r[0] for r in rows) / n
        metrics[f"{prefix}greedy"] = sum(r[1] for r in rows) / n
        metrics[f"{prefix}maj@{samples}"] = sum(r[2] for r in rows) / n
    if benchmark := getattr(task, "eval_benchmark", None):
        metrics.update(_benchmark_metrics(benchmark, greedy_verdicts, sampled_verdicts, samples))
    return Evaluation(metrics, problems, [g.answers[0] for g in greedy_verdicts], [bool(r[1]) for r in scores["all"]],
                      [list(s.answers) for s in sampled_verdicts])


def _benchmark_metrics(name: str, greedy, sampled, samples: int) -> dict[str, float]:
    def mean(xs: list[float]) -> float:
        return sum(xs) / len(xs) if xs else math.nan

    out = {f"eval/{name}/pass@{k}": mean([pass_at_k(len(s.correct), sum(map(bool, s.correct)), k) for s in sampled])
           for k in sorted({1, samples})}
    out[f"eval/{name}/greedy_pass@1"] = mean([float(bool(g.correct[0])) for g in greedy])
    out[f"eval/{name}/problems"] = float(len(greedy))
    return out
