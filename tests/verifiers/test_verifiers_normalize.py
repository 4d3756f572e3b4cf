from fractions import Fraction

import pytest

from verifiers.normalize import normalize_answer, parse_number


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  42  ", "42"),
        ("$42$", "42"),
        ("$$ 42 $$", "42"),
        ("\\(42\\)", "42"),
        ("42.", "42"),
        ("\\boxed{42}", "42"),
        ("$\\boxed{x = 3}$.", "3"),
        ("\\text{yes}", "yes"),
        ("\\text{New York}", "New York"),
        ("\\left( 1, 2 \\right)", "(1,2)"),
        ("x + 1", "x+1"),
        ("1,234", "1234"),
        ("-1,234,567.5", "-1234567.5"),
        ("1{,}234", "1234"),
        ("1\\,234", "1234"),
        ("(1,2)", "(1,2)"),
        ("12,34", "12,34"),
        ("x = 5", "5"),
        ("\\theta = \\pi", "\\pi"),
        ("y=2x+1", "2x+1"),
        ("x = y = 1", "x=y=1"),  # only a single assignment is stripped
        ("x==5", "x==5"),
        ("\\dfrac{1}{2}", "\\frac{1}{2}"),
        ("90^\\circ", "90"),
        ("50\\%", "50%"),
        ("\\$5", "5"),
        ("\u22123", "-3"),
        ("\\rightarrow", "\\rightarrow"),
        ("\\boxed{1}+\\boxed{2}", "\\boxed{1}+\\boxed{2}"),
        ("X", "X"),
        ("", ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize_answer(raw) == expected


def test_normalize_is_idempotent_on_examples():
    for s in ["$\\boxed{x = 1,234}$.", "\\text{\\textbf{a}} b", "\\left[1,2\\right)"]:
        once = normalize_answer(s)
        assert normalize_answer(once) == once


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("3", Fraction(3)),
        ("+4", Fraction(4)),
        ("-7", Fraction(-7)),
        ("-0", Fraction(0)),
        ("3.0", Fraction(3)),
        ("0.1", Fraction(1, 10)),
        (".5", Fraction(1, 2)),
        ("5.", Fraction(5)),
        ("1,000", Fraction(1000)),
        ("1e3", Fraction(1000)),
        ("2.5E-2", Fraction(1, 40)),
        ("2.5 \\times 10^{3}", Fraction(2500)),
        ("3\\cdot10^2", Fraction(300)),
        ("1/2", Fraction(1, 2)),
        ("-6/4", Fraction(-3, 2)),
        ("1.5/3", Fraction(1, 2)),
        ("\\frac{1}{2}", Fraction(1, 2)),
        ("\\dfrac{3}{4}", Fraction(3, 4)),
        ("\\tfrac12", Fraction(1, 2)),
        ("-\\frac{1}{2}", Fraction(-1, 2)),
        ("\\frac{-1}{2}", Fraction(-1, 2)),
        ("$\\boxed{\\frac{10}{4}}$", Fraction(5, 2)),
        ("x = -2", Fraction(-2)),
        ("0.1" + "0" * 500, Fraction(1, 10)),
    ],
)
def test_parse_number(raw, expected):
    assert parse_number(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "", "abc", "1/0", "\\frac{1}{0}", "50%", "1 1/2", "2\\frac{1}{2}", "\\sqrt{2}", "\\pi",
        "inf", "nan", "(5)", "10^3", "1e100000", "1e-5000", "1" * 2000, "\u0663", "1_000",
        "--1", "1..2", "1/2/3", "x",
    ],
)
def test_not_a_number(raw):
    assert parse_number(raw) is None


def test_non_strings():
    assert normalize_answer(None) == ""  # type: ignore[arg-type]
    assert parse_number(None) is None  # type: ignore[arg-type]
