import random

import pytest

from selfplay.config import TaskConfig
from selfplay.tasks import make_task
from selfplay.toyworld import arithmetic


@pytest.fixture
def task():
    return make_task(TaskConfig())


@pytest.mark.parametrize(
    "text,problem",
    [("12+34", "12+34"), (" 7*8 ", "7*8"), ("0+5", "0+5"), ("999*999", "999*999")],
)
def test_parse_valid_proposals(task, text, problem):
    parsed = task.parse_proposal(text)
    assert parsed.valid and parsed.problem.text == problem


@pytest.mark.parametrize("text", ["", "12+", "+3", "1+2+3", "012+3", "1000+1", "12-3", "12 + 3", "a+b", "12+34=46", "1+2\n3"])
def test_parse_invalid_proposals(task, text):
    parsed = task.parse_proposal(text)
    assert not parsed.valid and parsed.problem is None and parsed.invalid_reason


def test_ground_truth_and_levels():
    assert arithmetic.parse_problem("12+34").answer == 46
    assert arithmetic.parse_problem("13*7").answer == 91
    assert arithmetic.parse_problem("3+4").level == 1
    assert arithmetic.parse_problem("3+45").level == 2
    assert arithmetic.parse_problem("23+45").level == 3
    assert arithmetic.parse_problem("23*45").level == 4
    assert arithmetic.parse_problem("123*456").level == arithmetic.BEYOND_LEVEL


def test_eval_set_is_fixed_by_seed_and_covers_levels():
    a, b = arithmetic.eval_set(7, 10), arithmetic.eval_set(7, 10)
    assert a == b
    assert [p.level for p in a].count(1) == 10
    assert {p.level for p in a} == set(arithmetic.EVAL_LEVELS)
    assert arithmetic.eval_set(8, 10) != a


def test_sampled_problems_have_their_level():
    rng = random.Random(0)
    for level in arithmetic.EVAL_LEVELS:
        for _ in range(50):
            assert arithmetic.sample_problem(rng, level).level == level


def test_task_extracts_answer_tag_and_compares_numerically(task):
    assert task.extract_answer("<answer>46</answer>") == "46"
    assert task.extract_answer("46") is None
    assert task.equivalent("46", "46.0") and not task.equivalent("46", "47")
    problems = task.eval_problems()
    assert all(p.ground_truth == str(arithmetic.parse_problem(p.text).answer) for p in problems)


def test_unknown_topic_is_rejected():
    with pytest.raises(ValueError, match="unknown"):
        make_task(TaskConfig(topics=["div"]))
