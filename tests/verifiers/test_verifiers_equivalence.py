import pytest

from verifiers.equivalence import equivalence_fn, is_equivalent
from verifiers.ground_truth import check_against_ground_truth

HALVES = ["1/2", "0.5", "\\frac{1}{2}", "2/4", "\\dfrac{2}{4}", ".50", "$0.5$", "5e-1"]


@pytest.mark.parametrize("a", HALVES)
@pytest.mark.parametrize("b", HALVES)
def test_halves_are_numerically_equal(a, b):
    assert is_equivalent(a, b)


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("3", "3.0", True),
        ("-0", "0", True),
        ("1,000", "1000", True),
        ("x = 5", "5", True),
        ("\\boxed{7}", "7", True),
        ("0.333333", "1/3", False),  # exact rationals, no rounding
        ("2", "-2", False),
        ("10^3", "1000", False),  # powers are not numbers in numeric mode
        ("yes", "yes", True),  # non-numbers: normalised string equality
        ("\\text{yes}", "yes", True),
        ("x+1", "x + 1", True),
        ("x+1", "1+x", False),
        ("Yes", "yes", False),
        ("5", "5 cm", False),
    ],
)
def test_numeric_mode(a, b, expected):
    assert is_equivalent(a, b, mode="numeric") is expected
    assert is_equivalent(b, a, mode="numeric") is expected


def test_exact_mode_compares_normalised_strings():
    assert is_equivalent("$3$", "3.", mode="exact")
    assert not is_equivalent("3", "3.0", mode="exact")
    assert not is_equivalent("1/2", "0.5", mode="exact")


@pytest.mark.parametrize("mode", ["exact", "numeric", "math_verify"])
def test_none_and_empty_are_equivalent_to_nothing(mode):
    assert not is_equivalent(None, None, mode=mode)
    assert not is_equivalent(None, "1", mode=mode)
    assert not is_equivalent("1", None, mode=mode)
    assert not is_equivalent("", "", mode=mode)
    assert not is_equivalent("$ $", "$$", mode=mode)
    assert not is_equivalent(3, 3, mode=mode)  # type: ignore[arg-type]


def test_unknown_mode_raises():
    with pytest.raises(ValueError):
        is_equivalent("1", "1", mode="fuzzy")
    with pytest.raises(ValueError):
        equivalence_fn("fuzzy")


def test_equivalence_fn_and_ground_truth():
    judge = equivalence_fn("exact")
    assert judge("4", "$4$") and not judge("4", "4.0")
    assert check_against_ground_truth("\\frac{6}{3}", "2")
    assert not check_against_ground_truth(None, "2")
    assert not check_against_ground_truth("3", "2")
