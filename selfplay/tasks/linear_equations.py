"""Linear equations, as in OMEGA's algebra family: one or two unknowns, a unique rational
solution, posed as equations or as word problems.

A proposal's value is computed when its question writes the equations out
(``3x + 7 = 2x - 5``, ``2(a - 1) = b, a + b = 10``: runs of math separated by prose), they
form a system with exactly one solution, and the asked quantity is clear: the expression in
the unknowns written outside the equations (``for x``, ``what is a + b?``; two different
ones are ambiguous), else the only unknown. Word problems in prose get no value (None).

Evaluation levels: 1 one unknown with an integer solution, 2 one unknown with a
non-integer solution, 3 two unknowns. Each level alternates equation and word forms.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Callable

from selfplay.tasks import expr
from selfplay.tasks.base import Problem
from selfplay.tasks.free_text import FreeTextTask, Solution, from_config
from selfplay.tasks.linear_system import Linear, NonLinear, solve as solve_system
from selfplay.tasks.proposal_text import MARKER, format_rational

_ASK = "Do not solve the problem. " f"Write the problem on one line after '{MARKER}'."
PROMPTS = {
    "linear_equation": (
        "Generate a linear equation in one unknown that has exactly one solution, and ask for the "
        "value of the unknown. Make sure the coefficients are not similar and appear unpredictable. " + _ASK
    ),
    "linear_system": (
        "Generate a system of two linear equations in two unknowns that has exactly one solution, "
        "and ask for the value of one of the unknowns. Make sure the coefficients are not similar "
        "and appear unpredictable. " + _ASK
    ),
    "linear_word_problem": (
        "Write a short word problem that leads to a linear equation in one or two unknowns with "
        "exactly one solution, and ask for one number. " + _ASK
    ),
}
LEVELS = [1, 2, 3]
_KINDS = frozenset({"num", "var", "op", "lp", "rp", "eq"})


# -- a question's value ----------------------------------------------------------------------
def solve(question: str) -> Solution | None:
    tokens = expr.lex(question)
    if any(t.kind == "unknown" for t in tokens):
        return None
    equations: list[tuple[Linear, Linear]] = []
    asked: list[Linear] = []
    try:
        for run in expr.runs(tokens, _KINDS):
            sides = _split(run)
            if len(sides) > 2:
                return None  # a chain "x = y = 3": not read
            forms = [expr.evaluate(expr.parse(side, implicit_mul=True), _atom) for side in sides]
            if len(forms) == 2:
                equations.append((forms[0], forms[1]))
            elif forms[0].variables:
                asked.append(forms[0])
    except (expr.ParseError, NonLinear, ZeroDivisionError):
        return None  # math we cannot read: the question's value is unknown
    solution = solve_system(equations)
    if solution is None:
        return None
    targets = [a for a in asked if a.variables <= solution.keys()]
    if any(t != targets[0] for t in targets):
        return None  # asks for several things
    if targets:
        target = targets[0]
    elif len(solution) == 1:
        target = Linear.var(next(iter(solution)))
    else:
        return None  # two unknowns and no clear question
    value = target.at(solution)
    return Solution(value, _level(len(solution), value))


def _split(run: list[expr.Token]) -> list[list[expr.Token]]:
    sides: list[list[expr.Token]] = [[]]
    for t in run:
        if t.kind == "eq":
            sides.append([])
        else:
            sides[-1].append(t)
    return sides


def _atom(leaf: expr.Node) -> Linear:
    return Linear.number(leaf[1]) if leaf[0] == "num" else Linear.var(leaf[1])


def _level(unknowns: int, value: Fraction) -> int:
    if unknowns == 2:
        return 3
    return 1 if value.denominator == 1 else 2


# -- the held-out set -------------------------------------------------------------------------
_NAMES = "xyzabcnmkpqrstuvw"  # no e, i, l, o: they read as constants or digits


def _term(coef: int, name: str, first: bool) -> str:
    sign = "-" if coef < 0 else ("" if first else "+")
    mag = "" if abs(coef) == 1 else str(abs(coef))
    return f"{sign}{mag}{name}" if first else f" {sign} {mag}{name}"


def _const(value: int) -> str:
    return f" - {-value}" if value < 0 else f" + {value}"


def _nonzero(rng: random.Random, lo: int, hi: int) -> int:
    return rng.choice([k for k in range(lo, hi + 1) if k != 0])


def _one_unknown(rng: random.Random, integer: bool) -> tuple[str, Fraction]:
    """``a v + b = d v + f`` with an integer or a non-integer solution."""
    v = rng.choice(_NAMES)
    while True:
        a, d = _nonzero(rng, -12, 12), _nonzero(rng, -12, 12)
        b, f = rng.randint(-40, 40), rng.randint(-40, 40)
        if a == d:
            continue
        x = Fraction(f - b, a - d)
        if (x.denominator == 1) == integer:
            break
    text = f"Solve {_term(a, v, True)}{_const(b)} = {_term(d, v, True)}{_const(f)} for {v}."
    return text, x


def _two_unknowns(rng: random.Random) -> tuple[str, Fraction]:
    u, v = rng.sample(_NAMES, 2)
    while True:
        a, b, d, e = (_nonzero(rng, -9, 9) for _ in range(4))
        if a * e - b * d != 0:
            break
    # Integer solutions half the time (OMEGA's are mostly integers), arbitrary right-hand sides otherwise.
    if rng.random() < 0.5:
        x, y = rng.randint(-12, 12), rng.randint(-12, 12)
        c, g = a * x + b * y, d * x + e * y
    else:
        c, g = rng.randint(-40, 40), rng.randint(-40, 40)
    answer = solve_system([(Linear({u: Fraction(a), v: Fraction(b)}), Linear.number(c)),
                           (Linear({u: Fraction(d), v: Fraction(e)}), Linear.number(g))])
    assert answer is not None
    asked = rng.choice([u, v])
    text = (
        f"Solve the system {_term(a, u, True)}{_term(b, v, False)} = {c} and "
        f"{_term(d, u, True)}{_term(e, v, False)} = {g}. What is {asked}?"
    )
    return text, answer[asked]


def _word_integer(rng: random.Random) -> tuple[str, Fraction]:
    x, a, b = rng.randint(2, 40), rng.randint(2, 12), rng.randint(3, 60)
    if rng.random() < 0.5:
        return f"I think of a number, multiply it by {a} and add {b}. The result is {a * x + b}. What is the number?", Fraction(x)
    return (
        f"A taxi ride costs {b} dollars plus {a} dollars per mile. A ride cost {a * x + b} dollars in total. "
        "How many miles long was the ride?",
        Fraction(x),
    )


def _word_fraction(rng: random.Random) -> tuple[str, Fraction]:
    if rng.random() < 0.5:
        total, diff = rng.randint(10, 99), rng.randint(1, 9)
        if (total - diff) % 2 == 0:
            total += 1
        return (
            f"A rope {total} meters long is cut into two pieces, one of them {diff} meters longer than the "
            "other. How long, in meters, is the shorter piece?",
            Fraction(total - diff, 2),
        )
    while True:
        a, d, b, f = rng.randint(3, 12), rng.randint(2, 12), rng.randint(1, 30), rng.randint(1, 30)
        if a > d and Fraction(f + b, a - d).denominator != 1:
            break
    return (
        f"{a} times a number, minus {b}, equals {d} times the number, plus {f}. What is the number?",
        Fraction(f + b, a - d),
    )


def _word_two(rng: random.Random) -> tuple[str, Fraction]:
    if rng.random() < 0.5:
        big, small = sorted(rng.sample(range(1, 120), 2), reverse=True)
        if rng.random() < 0.5:
            return (f"The sum of two numbers is {big + small} and their difference is {big - small}. "
                    "What is the larger number?", Fraction(big))
        s, t = rng.randint(20, 150), rng.randint(1, 19)
        return (f"The sum of two numbers is {s} and their difference is {t}. What is the smaller number?",
                Fraction(s - t, 2))
    adult, child = rng.randint(6, 20), rng.randint(2, 5)
    na, nc = rng.randint(5, 80), rng.randint(5, 80)
    return (
        f"Adult tickets cost {adult} dollars and child tickets cost {child} dollars. {na + nc} tickets were "
        f"sold for {adult * na + child * nc} dollars in total. How many adult tickets were sold?",
        Fraction(na),
    )


_FORMS: dict[int, list[Callable[[random.Random], tuple[str, Fraction]]]] = {
    1: [lambda rng: _one_unknown(rng, integer=True), _word_integer],
    2: [lambda rng: _one_unknown(rng, integer=False), _word_fraction],
    3: [_two_unknowns, _word_two],
}


def eval_set(seed: int, per_level: int, levels: list[int]) -> list[Problem]:
    """``per_level`` distinct problems per level, equation and word forms alternating."""
    problems = []
    for level in levels:
        rng = random.Random(seed * 1_000 + level)
        seen: dict[str, Fraction] = {}
        while len(seen) < per_level:
            text, value = _FORMS[level][len(seen) % 2](rng)
            seen.setdefault(text, value)
        problems += [Problem(text, format_rational(value), level) for text, value in seen.items()]
    return problems


def sample_level(rng: random.Random, level: int) -> Problem:
    """One problem of ``level``, in the equation or the word form."""
    text, value = _FORMS[level][rng.randrange(2)](rng)
    return Problem(text, format_rational(value), level)


def make(cfg) -> FreeTextTask:
    return from_config(cfg, name="linear_equations", prompts=PROMPTS, solve=solve, make_eval_set=eval_set,
                       levels=LEVELS, sample_level=sample_level)
