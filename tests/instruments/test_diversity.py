"""Diversity and tails on hand-made inputs: every number below is worked out by hand."""

import math

import pytest

from selfplay.config import TaskConfig
from selfplay.instruments.diversity import (
    answer_diversity, distinct_n, entropy_bits, problem_diversity, step_diversity, vanished_kinds,
)
from selfplay.instruments.features import is_rare, kind
from selfplay.tasks import Problem, make_task
from selfplay.tracking.rollouts import RolloutRecord

TOY = make_task(TaskConfig())


def test_distinct_n_counts_character_ngrams():
    # "1+2": 1-grams 1,+,2; "1+3": 1,+,3 -> 4 distinct of 6. 2-grams: 1+,+2,1+,+3 -> 3 of 4.
    # 3-grams: 1+2, 1+3 -> 2 of 2.
    texts = ["1+2", "1+3"]
    assert distinct_n(texts, 1) == pytest.approx(4 / 6)
    assert distinct_n(texts, 2) == pytest.approx(3 / 4)
    assert distinct_n(texts, 3) == 1.0
    assert distinct_n(["11", "11"], 1) == 1 / 4  # duplicates lower it
    assert math.isnan(distinct_n(["ab"], 3))  # no 3-gram at all


def test_entropy_in_bits():
    assert entropy_bits(["a", "b"]) == pytest.approx(1.0)
    assert entropy_bits(["a", "a", "b", "c"]) == pytest.approx(1.5)  # 1/2, 1/4, 1/4
    assert entropy_bits(["a", "a"]) == 0.0
    assert math.isnan(entropy_bits([]))


def test_toy_features_and_tails():
    assert TOY.features(Problem("12+3", "15", 2)) == {"level": 2, "op": "+", "digits": "2x1"}
    assert TOY.features(Problem("3*45", "135", 3)) == {"level": 3, "op": "*", "digits": "2x1"}
    assert is_rare(TOY, TOY.features(Problem("12*34"))) and is_rare(TOY, TOY.features(Problem("123*45")))  # 4, 5
    assert not is_rare(TOY, TOY.features(Problem("12+34")))  # level 3
    assert kind({"op": "+", "level": 2}) == "level=2, op=+"


def test_problem_diversity_of_a_known_batch():
    # Two level-1 additions (one repeated), one level-4 product: kinds 1+1x1 (x3), 4*2x2 (x1).
    problems = [Problem(t) for t in ("1+2", "1+2", "3+4", "12*34")]
    m = problem_diversity(TOY, problems, "d")
    assert m["d/distinct_problems"] == 3
    h = -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))
    assert m["d/entropy_level"] == pytest.approx(h)
    assert m["d/entropy_op"] == pytest.approx(h)
    assert m["d/entropy_digits"] == pytest.approx(h)
    assert m["d/entropy_kind"] == pytest.approx(h)
    assert m["d/rare_share"] == 0.25
    # 1-grams: 1,+,2,1,+,2,3,+,4,1,2,*,3,4 -> distinct {1,+,2,3,4,*} = 6 of 14
    assert m["d/distinct_1"] == pytest.approx(6 / 14)
    assert problem_diversity(TOY, [], "d") == {}


def test_answer_diversity_per_problem_entropy_and_distinct_share():
    groups = [["4", "4", "5", None], ["7", "7", "7", "7"]]
    m = answer_diversity(groups, "a")
    # problem 1: 4 x2, 5, no answer -> 1/2, 1/4, 1/4: 1.5 bits; problem 2: 0 bits
    assert m["a/answer_entropy"] == pytest.approx(0.75)
    assert m["a/distinct_answers"] == pytest.approx(3 / 7)  # {4, 5, 7} of 7 answers
    assert m["a/distinct_1"] == pytest.approx(3 / 7)


def _rec(role, parsed, group="g", valid=True):
    return RolloutRecord(
        step=1, role=role, group_id=group, sample_idx=0, topic="add", prompt="", completion="", parsed=parsed,
        valid=valid, invalid_reason=None, reward=0.0, advantage=0.0, trained=False, agreement=None,
        majority_answer=None, ground_truth=None, correct=None, level=None, prompt_tokens=1, completion_tokens=1,
        source="selfplay", label=None,
    )


def test_step_diversity_reads_valid_problems_and_answer_groups():
    records = [_rec("proposer", "1+2"), _rec("proposer", "nope", valid=False), _rec("proposer", "12*34"),
               _rec("solver", "3", "a"), _rec("solver", "3", "a"), _rec("solver", "408", "b"), _rec("solver", "400", "b")]
    m = step_diversity(TOY, records)
    assert m["diversity/proposer/distinct_problems"] == 2
    assert m["diversity/proposer/rare_share"] == 0.5
    assert m["diversity/solver/answer_entropy"] == pytest.approx(0.5)  # 0 bits and 1 bit
    assert m["diversity/solver/distinct_answers"] == pytest.approx(3 / 4)


def test_a_tail_that_vanishes_is_found_and_one_that_stays_is_not():
    def lvl(n):
        return {"level": n}

    problems = (
        [(1, lvl(1)), (1, lvl(4)), (2, lvl(4)), (2, lvl(2)), (3, lvl(4))]  # level 4 in the early steps
        + [(4, lvl(1)), (5, lvl(1)), (6, lvl(1)), (7, lvl(2)), (8, lvl(1))]  # and never again
    )
    gone = vanished_kinds(problems, window=3)
    assert [(v.kind, v.early_count, v.last_seen) for v in gone] == [("level=4", 3, 3)]
    assert gone[0].early_share == pytest.approx(3 / 5)
    assert [v.kind for v in vanished_kinds(problems, window=4)] == ["level=4"]  # steps 1-4 vs 5-8
    assert vanished_kinds(problems, window=6) == []  # 8 steps cannot hold two windows of 6


def test_joint_kinds_vanish_too():
    a = {"op": "+", "level": 1}
    b = {"op": "*", "level": 1}
    problems = [(1, a), (1, b), (2, a), (3, a), (4, a)]
    gone = vanished_kinds(problems, window=2)
    assert [v.kind for v in gone] == ["level=1, op=*", "op=*"]
