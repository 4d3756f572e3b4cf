"""Skills the base model had, and the signatures of shortcuts, on the held-out problems.

- ``skills/base_solved_accuracy``: greedy accuracy on the held-out problems the run's step-0
  model (the base, or a phase's starting weights) answered right greedily; 1 at step 0. Does
  training on the frontier (or beyond it) erode what the model could already do?
- Shortcut signatures of the greedy answers (majority vote pays agreement, not correctness,
  and an answer that is easy to agree on is a cheap one):
  ``answer_length_ratio``: mean answer length / mean true answer length (characters);
  ``top_answer_share``: the most common answer's share of the answers;
  ``repeated_answer_share``: share of answers whose value was given to problems with different
  true answers (an answer reused across problems; coinciding true answers do not count);
  ``copied_operand_fraction``: share of answers equal to a number of the problem's text
  while the true answer is not.
Answers compare as numbers where they are numbers (``7/2`` = ``3.5``), else as stripped text.
Only answered problems count (an attempt with no extractable answer is in the eval accuracy).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from fractions import Fraction

from selfplay.tasks import Problem

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def canonical(text: str) -> str:
    """A value's comparison key: the number it spells (``1,200`` = ``1200.0``), else the stripped text."""
    s = text.strip().replace(",", "")
    try:
        return str(Fraction(s))
    except (ValueError, ZeroDivisionError):
        return s


def operands(problem: Problem) -> set[str]:
    """The numbers written in a problem's text."""
    return {canonical(m) for m in _NUMBER.findall(problem.text)}


def base_solved(correct: list[bool]) -> list[int]:
    """Indices of the held-out problems answered right (at step 0: the base model's skills)."""
    return [i for i, ok in enumerate(correct) if ok]


def base_solved_accuracy(solved: list[int], correct: list[bool]) -> float:
    return sum(correct[i] for i in solved) / len(solved) if solved else math.nan


def shortcut_metrics(problems: list[Problem], answers: list[str | None], prefix: str = "skills") -> dict[str, float]:
    """The shortcut signatures of ``answers`` (one per problem; None: no answer)."""
    pairs = [(p, canonical(a)) for p, a in zip(problems, answers) if a is not None and a.strip()]
    if not pairs:
        return {}
    out = {f"{prefix}/top_answer_share": Counter(a for _, a in pairs).most_common(1)[0][1] / len(pairs)}
    known = [(p, a, canonical(p.ground_truth)) for p, a in pairs if p.ground_truth is not None]
    if not known:
        return out
    out[f"{prefix}/answer_length_ratio"] = sum(len(a) for _, a, _ in known) / max(1, sum(len(t) for _, _, t in known))
    truths_of: dict[str, set[str]] = defaultdict(set)
    for _, a, t in known:
        truths_of[a].add(t)
    out[f"{prefix}/repeated_answer_share"] = sum(len(truths_of[a]) > 1 for _, a, _ in known) / len(known)
    out[f"{prefix}/copied_operand_fraction"] = sum(a != t and a in operands(p) for p, a, t in known) / len(known)
    return out
