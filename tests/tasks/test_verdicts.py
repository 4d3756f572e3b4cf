"""The answer tasks' judge (``vote``) and the curriculum on a graded task's mean score."""

import pytest

from selfplay.config import CurriculumConfig, TaskConfig
from selfplay.curriculum import rewards as R
from selfplay.curriculum.controller import CurriculumController
from selfplay.messages import ProblemOutcome
from selfplay.tasks import Problem, make_task
from selfplay.tasks.verdicts import vote
from verifiers import numeric_equivalent


def test_vote_scores_the_majority_cluster_and_reads_ground_truth_only_for_correct():
    v = vote(["4", "4.0", "5", None], numeric_equivalent, truth="5", min_majority=2)
    assert v.scores == (1.0, 1.0, 0.0, 0.0) and v.label == "4" and v.majority == "4"
    assert v.clusters == (0, 0, 1, -1) and (v.agree, v.n, v.rate) == (2, 4, 0.5)
    assert v.correct == (False, False, True, False) and v.majority_correct is False
    assert v.outcome("q") == ProblemOutcome("q", 2, 4, None)


def test_vote_without_a_majority_labels_nothing_and_scores_zero():
    tie = vote(["1", "2", "2", "1"], numeric_equivalent, truth=None, min_majority=2)
    assert tie.label is None and tie.majority == "1" and tie.scores == (0.0,) * 4
    assert tie.correct == (None,) * 4 and tie.majority_correct is None
    small = vote(["1", "2", "3", "3"], numeric_equivalent, truth="3", min_majority=3)
    assert small.label is None and small.majority == "3" and small.majority_correct is True


def test_toy_task_judge_extracts_then_votes():
    task = make_task(TaskConfig())
    [v] = task.judge([Problem("2+2", "4", 1)], [["<answer>4</answer>", "4", "<answer>4</answer>"]], min_majority=2)
    assert v.answers == ("4", None, "4") and v.scores == (1.0, 0.0, 1.0) and v.correct == (True, False, True)


@pytest.mark.parametrize("mean,band,unc,learn", [(0.0, 0.0, 0.0, 0.0), (0.25, 1.0, 0.5, 0.75),
                                                 (0.5, 1.0, 1.0, 0.5), (1.0, 0.0, 0.0, 0.0)])
def test_curriculum_rewards_on_a_mean_score(mean, band, unc, learn):
    cfg = CurriculumConfig()
    o = ProblemOutcome("p", 0, 4, mean)
    assert R.REWARDS.get("band")(o, cfg) == band  # SQLM's code rule: 1 iff 0 < mean < 1
    assert R.REWARDS.get("uncertainty")(o, cfg) == pytest.approx(unc)
    assert R.REWARDS.get("learnability")(o, cfg) == pytest.approx(learn)


def test_band_on_a_mean_score_ignores_vote_counts():
    # One attempt passing 1 test of 5 out of 4 attempts: a vote's band (1 < agree < 4) would
    # say no; the mean score 0.05 is inside SQLM's 0 < mean < 1.
    c = CurriculumController(CurriculumConfig(reward="band"), ["t"], attempts=4, seed=0)
    s = c.score([ProblemOutcome("p", 0, 4, 0.05), ProblemOutcome("q", 4, 4, 1.0)])
    assert s.rewards == [1.0, 0.0] and s.in_band == [True, False]
    assert s.metrics["curriculum/agreement_mean"] == pytest.approx((0.05 + 1.0) / 2)
