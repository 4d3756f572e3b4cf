"""Nothing a model writes may crash or stall a step: the tasks' parsers, answer extraction
and equivalence never raise on any text, and the math-verify path stays within its bound."""

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfplay.tasks import linear_equations, multiply
from verifiers import majority_vote
from verifiers.math_verify_client import get_client, math_verify_stats

FRAGMENTS = [
    "Selected Question:", "selected question :", "**", "\n", "\n\n", "Answer:", "Solution:", " ", "?", ".",
    "x", "y", "a", "=", "==", "+", "-", "*", "/", "×", "÷", "\u2212", "\\times", "\\cdot", "(", ")", "((", "))",
    "0", "1", "7", "12", "345", "1,234", "0.5", "999999999999", "times", "multiplied by", "divided by", "plus",
    "^", "%", "_", "\\frac{", "}", "{", "$", "\\(", "\\)", "<answer>", "</answer>", "\\boxed{", "for", "Solve", "What is",
]
model_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(FRAGMENTS), max_size=120).map("".join),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=60).map("".join),
)
PARSE_BOUND_S = 0.5  # one parse of any text, in this thread's CPU time (a loaded machine stretches wall time, and
# other threads of the test process, process time); measured ~1-8 ms
fast = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(model_text)
def test_proposal_parsers_never_raise_and_stay_fast(multiply, linear, text):
    for task in (multiply, linear):
        t0 = time.thread_time()
        parsed = task.parse_proposal(text)
        assert time.thread_time() - t0 < PARSE_BOUND_S
        assert parsed.valid != (parsed.invalid_reason is not None)
        if parsed.valid:
            assert parsed.problem.text and parsed.problem.text == parsed.problem.text.strip()


@fast
@given(model_text)
def test_solvers_return_a_solution_or_none(text):
    for solve in (multiply.solve, linear_equations.solve):
        out = solve(text)
        assert out is None or out.value.denominator > 0


def test_long_nested_input_is_bounded():
    for text in ("(" * 5000 + "1" + ")" * 5000, "1*" * 50_000 + "1", "x+" * 20_000 + "x = 1"):
        for solve in (multiply.solve, linear_equations.solve):
            t0 = time.thread_time()
            assert solve(text) is None
            assert time.thread_time() - t0 < PARSE_BOUND_S


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(model_text, min_size=1, max_size=4))
def test_extraction_and_vote_never_raise_within_the_bound(linear, completions):
    """Extraction plus majority vote with the math-verify judge: any answers, no exception,
    each pairwise comparison within the task's timeout."""
    get_client().warm_up()
    answers = [linear.extract_answer(c) for c in completions]
    calls = math_verify_stats().calls
    t0 = time.perf_counter()
    result = majority_vote(answers, linear.equivalent)
    comparisons = max(1, math_verify_stats().calls - calls)
    assert time.perf_counter() - t0 < comparisons * (linear.equivalence_timeout_s + 0.5)
    assert result.n == len(answers)


def test_pathological_answer_is_cut_off_at_the_task_timeout(linear):
    """Two solver answers that make sympy compute towers of powers for minutes."""
    get_client().warm_up()
    answers = ["\\boxed{4}", "<answer>4</answer>", "<answer>9^{9^{9^{9^9}}}</answer>", "<answer>10^{10^{10^{10}}}</answer>"]
    extracted = [linear.extract_answer(a) for a in answers]
    before = math_verify_stats().timeouts
    t0 = time.perf_counter()
    assert not linear.equivalent(extracted[2], extracted[3])
    assert time.perf_counter() - t0 < linear.equivalence_timeout_s + 0.5
    assert math_verify_stats().timeouts == before + 1
    # The vote over all four still finishes: the two 4s agree, the towers are singletons. (The
    # 4s come first and form one cluster, so the vote meets three timeouts, not five.)
    vote = majority_vote(extracted, linear.equivalent)
    assert vote.label == "4" and vote.majority_size == 2 and vote.cluster_of == (0, 0, 1, 2)
    assert math_verify_stats().timeouts == before + 4


@pytest.mark.parametrize("task_name", ["multiply", "linear"])
def test_answer_extraction_on_adversarial_outputs(request, task_name):
    task = request.getfixturevalue(task_name)
    cases = {
        "<answer>12</answer> wait, no: <answer>13</answer>": "13",
        "<answer><answer>5</answer></answer>": "5",
        "\\boxed{\\frac{1}{2}} and then \\boxed{": None,  # truncated last box: no answer
        "<answer>\\boxed{3}</answer>": "3",
        "<answer>   </answer>": None,
        "</answer>7<answer>": None,
        "\\boxed 42": "42",
        "x" * 200_000 + "<answer>8</answer>": "8",
    }
    for completion, answer in cases.items():
        assert task.extract_answer(completion) == answer, completion[:60]
