"""Proposal parsing on the kinds of text real models write: the question is cut after the
last "Selected Question:" marker, answers and solutions are cut off, and a value is computed
only when the question's math can be read unambiguously."""

import pytest


@pytest.mark.parametrize(
    "completion, question, truth",
    [
        ("Selected Question: What is 345 * 782?", "What is 345 * 782?", "269790"),
        ("Selected question:**What is 345 × 782?**", "What is 345 × 782?", "269790"),
        ("Let me think.\nSelected Question: 123 x 456\nSelected Question: 987 times 654", "987 times 654", "645498"),
        ("Selected Question: Calculate 1,234 \\times 567.\n\nAnswer: 699678", "Calculate 1,234 \\times 567.", "699678"),
        ("Selected Question: What is 123 multiplied by 456? Solution: 56088", "What is 123 multiplied by 456?", "56088"),
        ("Selected Question: $(120 + 3) \\cdot 4$", "$(120 + 3) \\cdot 4$", "492"),
        ("Selected Question: What is 250 / 4?", "What is 250 / 4?", "125/2"),
        ("What is 345 * 782?", "What is 345 * 782?", "269790"),  # no marker: the whole text
        ("Selected Question: A farm has 345 rows of 678 trees. How many trees?", None, None),
        ("Selected Question: compute 12 x 34, then 5 + 6", None, None),  # two expressions
        ("Selected Question: What is 3^2 * 5?", None, None),  # notation not evaluated
        ("Selected Question: What is 15% of 200 * 3?", None, None),
        ("Selected Question: What is 7 / 0 * 3?", None, None),
        ("Selected Question: What is (123 * 456?", None, "56088"),  # a dangling bracket is dropped
        ("Selected Question: What is 123 * (456 + 7?", None, None),  # unreadable: no value
    ],
)
def test_multiply_questions(multiply, completion, question, truth):
    parsed = multiply.parse_proposal(completion)
    assert parsed.valid, parsed.invalid_reason
    if question is not None:
        assert parsed.problem.text == question
    assert parsed.problem.ground_truth == truth


@pytest.mark.parametrize(
    "completion, reason",
    [
        ("", "empty"),
        ("Selected Question:", "nothing after"),
        ("Selected Question:   \n\n  ", "nothing after"),
        ("Selected Question: What is 123 * 456? <answer>56088</answer>", "contains an answer"),
        ("Selected Question: What is 123 * 456 = \\boxed{56088}", "contains an answer"),
        ("Selected Question: What is a big product?", "no number"),
        ("Selected Question: " + "9 * " * 400 + "9", "longer than"),
    ],
)
def test_invalid_proposals(multiply, linear, completion, reason):
    for task in (multiply, linear):
        parsed = task.parse_proposal(completion)
        assert not parsed.valid and reason in parsed.invalid_reason


@pytest.mark.parametrize(
    "question, truth, level",
    [
        ("Solve for x: 3x + 7 = 2x - 5", "-12", 1),
        ("Solve 4y - 3 = 2y + 8 for y.", "11/2", 2),
        ("2(x+1) = 8. Find x.", "3", 1),
        ("Solve $0.5k + 1.25 = 3$.", "7/2", 2),
        ("If 2a + 3b = 7 and 5a - b = 4, what is a?", "19/17", 3),
        ("If 2a + 3b = 7 and 5a - b = 4, what is a + b?", "46/17", 3),
        ("Solve the system x + y = 10, x - y = 2. Find y.", "4", 3),
        ("If x = 3, what is 2x + 1?", "7", 1),
        ("y = 2x + 1 and y = -x + 7. What is x?", "2", 3),
        ("x/4 = 3 − x", "12/5", 2),
        # Not computed: non-linear, underdetermined, inconsistent, ambiguous, prose.
        ("Solve x*y = 3, x + y = 4 for x", None, None),
        ("Solve 6/x = 3", None, None),
        ("Solve x + y = 3 for x", None, None),
        ("Solve x + 1 = x + 2", None, None),
        ("Solve 2x = 2x", None, None),
        ("x + y = 3 and x - y = 1", None, None),  # two unknowns, which one is asked?
        ("x = y = 3", None, None),
        ("Solve x^2 = 4 for x", None, None),
        ("Tom has 3 more apples than Ann; together they have 11. How many has Ann?", None, None),
        ("Solve 3x + 2 = 5 for x and 2y = 9 for y", None, None),  # two systems at once
    ],
)
def test_linear_questions(linear, question, truth, level):
    parsed = linear.parse_proposal(f"Here is one.\nSelected Question: {question}")
    assert parsed.valid, parsed.invalid_reason
    assert parsed.problem.text == question
    assert (parsed.problem.ground_truth, parsed.problem.level) == (truth, level)


@pytest.mark.parametrize(
    "completion, answer",
    [
        ("So 3 * 4 = 12. <answer>12</answer>", "12"),
        ("The answer is \\boxed{56,088}.", "56,088"),
        ("<answer>first</answer> then <answer>56088</answer>", "56088"),
        ("<answer>\\boxed{7/2}</answer>", "7/2"),
        ("I think <answer>12", None),  # unclosed tag, nothing else
        ("no answer here", None),
    ],
)
def test_answers_in_both_formats(multiply, completion, answer):
    assert multiply.extract_answer(completion) == answer


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("56088", "56,088", True),
        ("56088", "56088.0", True),
        ("7/2", "3.5", True),
        ("\\frac{7}{2}", "3.5", True),
        ("x = 7/2", "\\dfrac{7}{2}", True),
        ("-12", "\u221212", True),
        ("0.333", "1/3", False),
        ("12", "12 apples", False),
        ("56088", "56089", False),
    ],
)
def test_equivalence_of_numbers(multiply, linear, a, b, same):
    for task in (multiply, linear):
        assert task.equivalent(a, b) is same, (task.name, a, b)


def test_linear_equivalence_falls_back_to_math_verify(linear):
    # Not numbers: numeric mode would compare strings; math-verify sees the same value.
    assert linear.equivalent("\\frac{\\sqrt{4}}{2}", "1")
    assert not linear.equivalent("\\frac{\\sqrt{4}}{2}", "2")


@pytest.mark.parametrize(
    "completion, answer",
    [
        ("9 * 5 = 45\n\nThe answer is inside <answer> tags.", "45"),  # SmolLM2-135M, verbatim
        ("20 * 47 = 1040\n\nThe answer is 1040.", "1040"),
        ("So the total is 699,678 trees.", "699,678"),
        ("Therefore x = -3/4.", "-3/4"),
        ("It is 3.5 meters, not 4", "4"),  # the last number, whatever it means
        ("<answer>12</answer> and 13", "12"),  # the format still wins
        ("\\boxed{7} then 8", "7"),
        ("no digits at all", None),
    ],
)
def test_lenient_format_falls_back_to_the_last_number(completion, answer):
    from verifiers import extract_answer

    assert extract_answer(completion, "lenient") == answer
