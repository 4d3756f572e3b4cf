"""Arithmetic problems of the toy world, with exact ground truth and difficulty levels.

A problem is ``<a><op><b>`` with non-negative operands of at most three digits and
``op`` in ``+`` or ``*``. Its difficulty level follows from the operator and the operand
lengths, so any problem the proposer invents gets a level, not only the ones in the
pretraining corpus. Levels 1-4 are the evaluated ones; level 5 holds what lies beyond.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

OPERATORS = ("+", "*")
TOPICS = {"add": "+", "mul": "*"}
MAX_DIGITS = 3
EVAL_LEVELS = (1, 2, 3, 4)

# (op, digits of the longer operand, digits of the shorter one) -> level
_LEVEL_OF = {
    ("+", 1, 1): 1, ("*", 1, 1): 1,
    ("+", 2, 1): 2,
    ("+", 2, 2): 3, ("*", 2, 1): 3,
    ("+", 3, 1): 4, ("+", 3, 2): 4, ("+", 3, 3): 4, ("*", 2, 2): 4, ("*", 3, 1): 4,
}
BEYOND_LEVEL = 5

# Templates the corpus and the evaluation sets draw from: every (op, len a, len b) with a level.
TEMPLATES: dict[int, list[tuple[str, int, int]]] = {}
for (_op, _hi, _lo), _level in _LEVEL_OF.items():
    TEMPLATES.setdefault(_level, []).append((_op, _hi, _lo))
    if _hi != _lo:
        TEMPLATES[_level].append((_op, _lo, _hi))

_PROBLEM_RE = re.compile(r"(0|[1-9]\d{0,2})([+*])(0|[1-9]\d{0,2})")


@dataclass(frozen=True)
class ArithProblem:
    a: int
    op: str
    b: int

    @property
    def text(self) -> str:
        return f"{self.a}{self.op}{self.b}"

    @property
    def answer(self) -> int:
        return self.a + self.b if self.op == "+" else self.a * self.b

    @property
    def level(self) -> int:
        da, db = len(str(self.a)), len(str(self.b))
        return _LEVEL_OF.get((self.op, max(da, db), min(da, db)), BEYOND_LEVEL)


def parse_problem(text: str) -> ArithProblem | None:
    """The problem a proposal states, or None if it is not exactly one well-formed problem."""
    m = _PROBLEM_RE.fullmatch(text.strip())
    if m is None:
        return None
    return ArithProblem(int(m.group(1)), m.group(2), int(m.group(3)))


def _operand(rng: random.Random, digits: int) -> int:
    low = 0 if digits == 1 else 10 ** (digits - 1)
    return rng.randint(low, 10**digits - 1)


def sample_problem(rng: random.Random, level: int, op: str | None = None) -> ArithProblem:
    templates = [t for t in TEMPLATES[level] if op is None or t[0] == op]
    t_op, da, db = rng.choice(templates)
    return ArithProblem(_operand(rng, da), t_op, _operand(rng, db))


def sample_mix(rng: random.Random, n: int, level_mix: dict[int, float], ops: set[str]) -> list[ArithProblem]:
    """``n`` problems with levels drawn by ``level_mix`` (level -> weight; empty: the evaluated
    levels uniformly), each of an operator in ``ops``."""
    mix = dict(level_mix) or {lvl: 1.0 for lvl in EVAL_LEVELS}
    levels = [lvl for lvl, w in sorted(mix.items()) if w > 0]
    lacking = [lvl for lvl in levels if lvl not in TEMPLATES or not any(t[0] in ops for t in TEMPLATES[lvl])]
    if lacking:
        raise ValueError(
            f"level_mix={mix}: no problems of level(s) {lacking} with operators {sorted(ops)} "
            f"(levels: {sorted(TEMPLATES)}; + has 1-4, * has 1, 3, 4)"
        )
    op = next(iter(ops)) if len(ops) == 1 else None
    picks = rng.choices(levels, weights=[mix[lvl] for lvl in levels], k=n)
    return [sample_problem(rng, lvl, op) for lvl in picks]


def levels_with(op: str) -> list[int]:
    return [lvl for lvl in EVAL_LEVELS if any(t[0] == op for t in TEMPLATES[lvl])]


def eval_set(seed: int, per_level: int) -> list[ArithProblem]:
    """Held-out problems, ``per_level`` of each evaluated level, identical for a given seed."""
    rng = random.Random(seed)
    problems: list[ArithProblem] = []
    for level in EVAL_LEVELS:
        seen: set[ArithProblem] = set()
        while len(seen) < per_level:
            seen.add(sample_problem(rng, level))
        problems.extend(sorted(seen, key=lambda p: p.text))
    return problems
