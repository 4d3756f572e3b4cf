"""The toy world's text formats: what the proposer and the solver read and write.

Kept in one place because the pretraining corpus, the task's parsers and the evaluation
must agree on them to the character.
"""

from __future__ import annotations

from selfplay.toyworld.arithmetic import ArithProblem


def proposer_prompt(topic: str) -> str:
    return f"{topic}:"


def proposer_completion(problem: ArithProblem) -> str:
    return problem.text


def solver_prompt(problem_text: str) -> str:
    return f"{problem_text}="


def solver_completion(answer: int | str) -> str:
    return f"<answer>{answer}</answer>"
