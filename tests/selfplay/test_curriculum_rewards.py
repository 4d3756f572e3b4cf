import math

import pytest

from selfplay.config import CurriculumConfig
from selfplay.curriculum import rewards as R
from selfplay.curriculum.controller import CurriculumController
from selfplay.messages import ProblemOutcome


@pytest.mark.parametrize("agree,expected", [(0, 0.0), (1, 0.0), (2, 1.0), (3, 1.0), (4, 0.0)])
def test_band_reward_is_sqlm_rule_for_n4(agree, expected):
    assert R.band_reward(agree, 4) == expected


def test_band_reward_custom_band():
    # 2 < agree < 6 of 8
    assert [R.band_reward(a, 8, 2, 6) for a in range(9)] == [0, 0, 0, 1, 1, 1, 0, 0, 0]


@pytest.mark.parametrize("agree,n,expected", [(2, 4, 1.0), (4, 4, 0.0), (1, 4, 0.5), (3, 4, 0.5), (5, 10, 1.0), (8, 10, 0.4)])
def test_uncertainty_reward(agree, n, expected):
    assert R.uncertainty_reward(agree, n) == pytest.approx(expected)


@pytest.mark.parametrize("agree,n,expected", [(4, 4, 0.0), (3, 4, 0.25), (2, 4, 0.5), (1, 4, 0.75), (0, 4, 0.0)])
def test_learnability_reward(agree, n, expected):
    assert R.learnability_reward(agree, n) == pytest.approx(expected)


def test_rewards_with_no_attempts_are_zero():
    assert R.uncertainty_reward(0, 0) == 0.0 and R.learnability_reward(0, 0) == 0.0


def test_repetition_penalty_is_cluster_share():
    assert R.repetition_penalties(["1+2", "1+2 ", "3*4", "1+2"]) == [0.75, 0.75, 0.25, 0.75]


def _controller(**kw):
    return CurriculumController(CurriculumConfig(**kw), ["add", "mul"], attempts=4, seed=0)


def test_controller_invalid_proposals_get_format_penalty_and_are_counted():
    c = _controller(reward="band", format_penalty=-1.0)
    out = [ProblemOutcome("1+2", 3, 4), ProblemOutcome(None, 0, 0), ProblemOutcome("5*5", 4, 4)]
    scores = c.score(out)
    assert scores.rewards == [1.0, -1.0, 0.0]
    assert scores.in_band == [True, False, False]
    assert scores.metrics["curriculum/valid_fraction"] == pytest.approx(2 / 3)
    assert scores.metrics["curriculum/frontier_fraction"] == pytest.approx(1 / 2)
    assert scores.metrics["curriculum/agreement_mean"] == pytest.approx((0.75 + 1.0) / 2)


def test_controller_uncertainty_with_repetition_penalty():
    c = _controller(reward="uncertainty", repetition_penalty=1.0)
    scores = c.score([ProblemOutcome("1+2", 2, 4), ProblemOutcome("1+2", 2, 4)])
    assert scores.rewards == [0.0, 0.0]  # 1 - 2|0.5-0.5| - 2/2


def test_controller_topics_are_reproducible_and_resumable():
    a, b = _controller(), _controller()
    assert a.topic_prompts(10) == b.topic_prompts(10)
    state = a.state_dict()
    first = a.topic_prompts(5)
    b.load_state_dict(state)
    assert b.topic_prompts(5) == first


def test_learnability_and_band_agree_on_extremes():
    for n in (4, 8):
        assert R.learnability_reward(n, n) == 0.0 and R.band_reward(n, n) == 0.0
        assert not math.isnan(R.uncertainty_reward(n, n))
