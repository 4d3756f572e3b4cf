"""Exact linear forms and the unique solution of a 1x1 or 2x2 system."""

from fractions import Fraction as F

import pytest

from selfplay.tasks.linear_system import Linear, NonLinear, solve

x, y = Linear.var("x"), Linear.var("y")


def n(v) -> Linear:
    return Linear.number(F(v))


def test_forms_drop_cancelled_terms():
    form = n(3) * x + y - x * n(3)
    assert form.coef == {"y": F(1)} and form.const == 0
    assert (x / n(4)).coef == {"x": F(1, 4)}


def test_nonlinear_and_division_by_zero_raise():
    with pytest.raises(NonLinear):
        x * y
    with pytest.raises(NonLinear):
        n(1) / x
    with pytest.raises(ZeroDivisionError):
        x / n(0)


@pytest.mark.parametrize(
    "equations, solution",
    [
        ([(n(2) * x + n(1), n(8))], {"x": F(7, 2)}),
        ([(x + y, n(10)), (x - y, n(3))], {"x": F(13, 2), "y": F(7, 2)}),
        ([(x + y, n(1)), (n(2) * x + n(2) * y, n(2))], None),  # dependent
        ([(x + y, n(1)), (x + y, n(2))], None),  # inconsistent
        ([(x + y, n(1))], None),  # underdetermined
        ([(x, n(1)), (x, n(1))], None),  # more equations than unknowns
        ([(n(1), n(1))], None),  # no unknown
        ([], None),
    ],
)
def test_solve(equations, solution):
    assert solve(equations) == solution
