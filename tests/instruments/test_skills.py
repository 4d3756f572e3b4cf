"""Skills and shortcut signatures on hand-made answers: every number below is worked out by hand."""

import math

import pytest

from selfplay.instruments.skills import base_solved, base_solved_accuracy, canonical, operands, shortcut_metrics
from selfplay.tasks import Problem

PROBLEMS = [Problem("12+34", "46"), Problem("3*4", "12"), Problem("5+7", "12"), Problem("14*3", "42")]


def test_copied_operand_fraction():
    # 12+34 -> 34 (copies an operand), 3*4 -> 12 (right), 5+7 -> 7 (copies), 14*3 -> 42 (right)
    m = shortcut_metrics(PROBLEMS, ["34", "12", "7", "42"])
    assert m["skills/copied_operand_fraction"] == 0.5


def test_a_right_answer_that_equals_an_operand_is_not_a_copy():
    m = shortcut_metrics([Problem("0+5", "5"), Problem("1*9", "9")], ["5", "9"])
    assert m["skills/copied_operand_fraction"] == 0.0


def test_answer_length_ratio():
    # answers 4 + 2 + 1 + 2 = 9 characters ("46" -> "4": the toy shortcut), truths 2 + 2 + 2 + 2 = 8
    m = shortcut_metrics(PROBLEMS, ["4", "12", "1", "42"])
    assert m["skills/answer_length_ratio"] == pytest.approx((1 + 2 + 1 + 2) / 8)


def test_repetition_counts_answers_reused_across_different_true_answers():
    # "12" is right for 3*4 and 5+7 (same truth: not a repetition); "4" answers 12+34 and 14*3.
    m = shortcut_metrics(PROBLEMS, ["4", "12", "12", "4"])
    assert m["skills/repeated_answer_share"] == 0.5
    assert m["skills/top_answer_share"] == 0.5
    collapsed = shortcut_metrics(PROBLEMS, ["4", "4", "4", "4"])
    assert collapsed["skills/repeated_answer_share"] == 1.0 and collapsed["skills/top_answer_share"] == 1.0
    right = shortcut_metrics(PROBLEMS, ["46", "12", "12", "42"])
    assert right["skills/repeated_answer_share"] == 0.0 and right["skills/top_answer_share"] == 0.5


def test_unanswered_problems_are_left_out_and_numbers_compare_as_numbers():
    m = shortcut_metrics(PROBLEMS, [None, "12.0", "  ", "42"])
    assert m["skills/answer_length_ratio"] == pytest.approx(4 / 4)  # "12", "42" vs "12", "42"
    assert canonical("1,200") == canonical("1200.0") == "1200" and canonical("7/2") == canonical("3.5")
    assert operands(Problem("What is 123 * 4.5?")) == {"123", "9/2"}
    assert shortcut_metrics(PROBLEMS, [None] * 4) == {}


def test_base_solved_accuracy_follows_the_step0_set():
    solved = base_solved([True, False, True, True])
    assert solved == [0, 2, 3]
    assert base_solved_accuracy(solved, [True, False, True, True]) == 1.0
    assert base_solved_accuracy(solved, [False, True, True, False]) == pytest.approx(1 / 3)  # gains elsewhere don't count
    assert math.isnan(base_solved_accuracy([], [True]))
