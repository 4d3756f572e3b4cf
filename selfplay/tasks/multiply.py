"""SQLM's arithmetic task: multiplication of three-digit numbers, proposed in free text.

The proposer is asked for a product of two three-digit numbers; the value of a proposal is
computed when its question holds exactly one arithmetic expression (``123 * 456``,
``123 x 456``, ``123 times 456``, ``123 \\times 456``, any + - * / and brackets). Evaluation
levels: level d multiplies two d-digit numbers; SQLM's evaluation is level 3.
"""

from __future__ import annotations

import random

from selfplay.tasks import expr
from selfplay.tasks.base import Problem
from selfplay.tasks.free_text import FreeTextTask, Solution, from_config
from selfplay.tasks.proposal_text import MARKER

PROMPTS = {
    "three_digit_multiplication": (
        "Generate a three-digit multiplication problem: the product of two three-digit numbers. "
        "Make sure the numbers are not similar and appear unpredictable. Do not solve the problem. "
        f"Write the problem on one line after '{MARKER}'."
    ),
    "multiplication_word_problem": (
        "Write a short word problem whose answer is the product of two three-digit numbers. "
        "Make sure the numbers are not similar and appear unpredictable. Do not solve the problem. "
        f"Write the problem on one line after '{MARKER}'."
    ),
}
LEVELS = [1, 2, 3]
_KINDS = frozenset({"num", "op", "lp", "rp"})


def solve(question: str) -> Solution | None:
    """The value of the one arithmetic expression in ``question``; None if there is not
    exactly one, or the text uses notation this parser does not evaluate."""
    node = _expression(question)
    if node is None:
        return None
    try:
        value = expr.evaluate(node, lambda leaf: leaf[1])
    except ZeroDivisionError:
        return None
    return Solution(value, _level(node))


def features(problem: Problem) -> dict:
    """A question's kind (selfplay/instruments/): level, operators, operand digits (longest
    first); ``op=none`` where the question holds no one readable expression."""
    node = _expression(problem.text)
    if node is None:
        return {"level": problem.level, "op": "none"}
    ops = sorted(set(_operators(node)))
    digits = sorted((len(str(abs(int(leaf[1])))) for leaf in expr.leaves(node)), reverse=True)
    return {"level": _level(node), "op": "".join(ops), "digits": "x".join(map(str, digits))}


def _expression(question: str) -> expr.Node | None:
    """The one arithmetic expression (with a binary operator) in ``question``, if exactly one."""
    tokens = expr.lex(question, word_ops=True)
    if any(t.kind == "unknown" for t in tokens):
        return None
    found = []
    for run in expr.runs(tokens, _KINDS):
        if not any(t.kind == "op" for t in run):
            continue  # a lone number ("Round to 10"), not an expression
        try:
            node = expr.parse(run)
        except expr.ParseError:
            return None  # an expression we cannot read: the question's value is unknown
        if _has_binary(node):
            found.append(node)
    return found[0] if len(found) == 1 else None


def _operators(node: expr.Node) -> list[str]:
    if node[0] in ("num", "var"):
        return []
    own = [node[0]] if node[0] in ("+", "-", "*", "/") else []
    return own + [op for child in node[1:] if isinstance(child, tuple) for op in _operators(child)]


def _has_binary(node: expr.Node) -> bool:
    if node[0] in ("neg", "paren"):
        return _has_binary(node[1])
    return node[0] in ("+", "-", "*", "/")


def _level(node: expr.Node) -> int:
    """Digits of the longest integer part among the operands."""
    return max(len(str(abs(int(leaf[1])))) for leaf in expr.leaves(node))


def _bounds(d: int) -> tuple[int, int]:
    return (2, 9) if d == 1 else (10 ** (d - 1), 10**d - 1)


def _problem(a: int, b: int, d: int) -> Problem:
    return Problem(f"What is {a} * {b}?", str(a * b), d)


def eval_set(seed: int, per_level: int, levels: list[int]) -> list[Problem]:
    """``per_level`` distinct products of two d-digit numbers for each level d."""
    problems = []
    for d in levels:
        rng = random.Random(seed * 1_000 + d)
        lo, hi = _bounds(d)
        pairs: dict[tuple[int, int], None] = {}  # insertion-ordered set
        while len(pairs) < min(per_level, (hi - lo + 1) ** 2):
            pairs[(rng.randint(lo, hi), rng.randint(lo, hi))] = None
        problems += [_problem(a, b, d) for a, b in pairs]
    return problems


def sample_level(rng: random.Random, d: int) -> Problem:
    """One product of two d-digit numbers, worded as the evaluation's."""
    lo, hi = _bounds(d)
    return _problem(rng.randint(lo, hi), rng.randint(lo, hi), d)


def make(cfg) -> FreeTextTask:
    return from_config(
        cfg, name="multiply", prompts=PROMPTS, solve=solve, make_eval_set=eval_set, levels=LEVELS,
        sample_level=sample_level, describe=features,
    )
