"""Held-out evaluation of the solver against ground truth, per difficulty level.

pass@1 is the mean correctness of samples at the training temperature, greedy the
accuracy of greedy decoding, maj@N whether the majority answer of N samples is right.
Ground truth is read here and in diagnostics only; it never reaches a reward.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable

from selfplay.messages import Generation, SamplingParams
from selfplay.tasks import Problem, Task
from verifiers import majority_vote

Generate = Callable[[list[str], SamplingParams], list[list[Generation]]]


def evaluate(generate: Generate, task: Task, *, samples: int, temperature: float, max_new_tokens: int) -> dict[str, float]:
    problems = task.eval_problems()
    prompts = [task.solver_prompt(p) for p in problems]
    greedy = generate(prompts, SamplingParams(greedy=True, max_new_tokens=max_new_tokens))
    sampled = generate(prompts, SamplingParams(temperature=temperature, n=samples, max_new_tokens=max_new_tokens))
    scores: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for problem, g, group in zip(problems, greedy, sampled):
        row = _score(task, problem, g[0], group)
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
    return metrics


def _score(task: Task, problem: Problem, greedy: Generation, group: list[Generation]) -> tuple[float, float, float]:
    truth = problem.ground_truth

    def right(answer: str | None) -> bool:
        return answer is not None and task.equivalent(answer, truth)

    answers = [task.extract_answer(g.text) for g in group]
    majority = majority_vote(answers, task.equivalent)
    return (
        sum(right(a) for a in answers) / len(answers),
        float(right(task.extract_answer(greedy.text))),
        float(right(majority.label)),
    )
