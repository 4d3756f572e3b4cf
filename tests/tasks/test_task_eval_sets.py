"""Held-out sets: regenerated identically from their seed, distinct problems, correct ground
truth (cross-checked against the proposal parser wherever it can read the problem)."""

from fractions import Fraction

import pytest

from selfplay.tasks import linear_equations, multiply


@pytest.mark.parametrize("module", [multiply, linear_equations])
def test_same_seed_same_set_other_seed_other_set(module):
    a = module.eval_set(1234, 12, [1, 2, 3])
    assert a == module.eval_set(1234, 12, [1, 2, 3])
    assert a != module.eval_set(99, 12, [1, 2, 3])
    # A level's problems do not depend on which other levels are asked for.
    assert [p for p in a if p.level == 3] == module.eval_set(1234, 12, [3])


@pytest.mark.parametrize("module", [multiply, linear_equations])
def test_levels_sizes_and_distinct_problems(module):
    problems = module.eval_set(7, 20, [1, 2, 3])
    for level in (1, 2, 3):
        texts = [p.text for p in problems if p.level == level]
        assert len(texts) == 20 and len(set(texts)) == 20
    assert all(p.ground_truth is not None for p in problems)


def test_multiply_truth_and_digits():
    for p in multiply.eval_set(3, 30, [1, 2, 3]):
        a, b = (int(x) for x in p.text.removeprefix("What is ").removesuffix("?").split(" * "))
        assert int(p.ground_truth) == a * b
        assert len(str(a)) == len(str(b)) == p.level
        assert multiply.solve(p.text).value == a * b


def test_linear_truth_matches_the_parser_and_the_level():
    problems = linear_equations.eval_set(5, 40, [1, 2, 3])
    parsed = 0
    for p in problems:
        truth = Fraction(p.ground_truth)
        assert (truth.denominator == 1) == (p.level != 2) or p.level == 3
        solution = linear_equations.solve(p.text)
        if p.text.startswith("Solve"):  # the equation forms are written for the parser
            assert solution is not None and solution.value == truth and solution.level == p.level, p
            parsed += 1
        else:  # word problems are prose: no value is computed
            assert solution is None
    assert parsed == len(problems) // 2


def test_task_eval_problems_follow_the_config(multiply, linear):
    assert {p.level for p in multiply.eval_problems()} == {1, 2, 3}
    assert len(linear.eval_problems()) == 3 * 16
    assert multiply.eval_problems() == multiply.eval_problems()
