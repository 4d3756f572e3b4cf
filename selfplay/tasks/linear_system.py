"""Linear forms over exact rationals, and the unique solution of a small linear system."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction


class NonLinear(ValueError):
    pass


@dataclass(frozen=True)
class Linear:
    """``sum(coef[v] * v) + const``; zero coefficients are never stored."""

    coef: dict[str, Fraction] = field(default_factory=dict)
    const: Fraction = Fraction(0)

    @staticmethod
    def var(name: str) -> Linear:
        return Linear({name: Fraction(1)})

    @staticmethod
    def number(value: Fraction) -> Linear:
        return Linear({}, Fraction(value))

    @property
    def variables(self) -> set[str]:
        return set(self.coef)

    def _combine(self, other: Linear, sign: int) -> Linear:
        coef = dict(self.coef)
        for v, c in other.coef.items():
            coef[v] = coef.get(v, Fraction(0)) + sign * c
        return Linear({v: c for v, c in coef.items() if c != 0}, self.const + sign * other.const)

    def _scale(self, k: Fraction) -> Linear:
        return Linear({v: c * k for v, c in self.coef.items() if c * k != 0}, self.const * k)

    def __add__(self, other: Linear) -> Linear:
        return self._combine(other, 1)

    def __sub__(self, other: Linear) -> Linear:
        return self._combine(other, -1)

    def __neg__(self) -> Linear:
        return self._scale(Fraction(-1))

    def __mul__(self, other: Linear) -> Linear:
        if self.coef and other.coef:
            raise NonLinear("product of two unknowns")
        return other._scale(self.const) if not self.coef else self._scale(other.const)

    def __truediv__(self, other: Linear) -> Linear:
        if other.coef:
            raise NonLinear("division by an unknown")
        if other.const == 0:
            raise ZeroDivisionError("division by zero")
        return self._scale(1 / other.const)

    def at(self, values: dict[str, Fraction]) -> Fraction:
        return self.const + sum((c * values[v] for v, c in self.coef.items()), Fraction(0))


def solve(equations: list[tuple[Linear, Linear]]) -> dict[str, Fraction] | None:
    """The unique solution of ``lhs = rhs`` equations in one or two unknowns, with as many
    equations as unknowns; None when there is none, more than one, or another shape."""
    forms = [lhs - rhs for lhs, rhs in equations]  # each form = 0
    unknowns = sorted(set().union(*(f.variables for f in forms))) if forms else []
    if len(unknowns) not in (1, 2) or len(forms) != len(unknowns):
        return None
    if len(unknowns) == 1:
        (v,), (f,) = unknowns, forms
        return {v: -f.const / f.coef[v]} if f.coef.get(v) else None
    x, y = unknowns
    (a, b, c), (d, e, g) = [(f.coef.get(x, 0), f.coef.get(y, 0), -f.const) for f in forms]
    det = a * e - b * d
    if det == 0:
        return None
    return {x: Fraction(c * e - b * g) / det, y: Fraction(a * g - c * d) / det}
