"""The training signal per level (selfplay.inspect.levels) on hand-made rollouts whose answers are known."""
import math

import pytest
from inspect_synth import write_rollouts

from selfplay.inspect.levels import level_signals
from selfplay.inspect.rundir import open_run


def _problem(step: int, pid: str, level: int | None, rewards: list[float], label: str | None,
             label_correct: bool | None, valid: bool = True, truth: str | None = "",
             majority_correct: bool | None = None) -> list[dict]:
    # ``truth`` defaults to one the label matches or not as ``label_correct`` says; ``correct`` is
    # the solver majority's (step.py), which under teacher or oracle labels is not the label's.
    if truth == "":  # not given
        truth = None if label is None else label if label_correct else label + "0"
    proposer = {"step": step, "role": "proposer", "group_id": f"s{step}-t0", "sample_idx": 0, "valid": valid,
                "level": level, "label": label, "ground_truth": truth, "correct": majority_correct, "reward": 0.0}
    if not valid:
        return [proposer]
    solver = [{"step": step, "role": "solver", "group_id": f"s{step}-{pid}", "sample_idx": j, "valid": True,
               "level": level, "label": label, "correct": None, "reward": r} for j, r in enumerate(rewards)]
    return [proposer, *solver]


@pytest.fixture
def run(tmp_path):
    write_rollouts(tmp_path, 1, [
        *_problem(1, "p0", 1, [1, 1, 1, 1], "7", True),  # all agree: labelled, right, no variance
        *_problem(1, "p1", 1, [1, 1, 1, 0], "8", False),  # labelled wrong; variance 3/16
        *_problem(1, "p2", 3, [0, 0, 0, 0], None, None),  # no majority: unlabelled
        *_problem(1, "p3", 3, [], None, None, valid=False),  # invalid: never solved, not counted
    ])
    write_rollouts(tmp_path, 2, [
        *_problem(2, "p0", 3, [1, 1, 0, 0], "5", True),  # variance 1/4
        *_problem(2, "p1", None, [1, 0, 0, 0], "5", True),  # a task without levels: left out
    ])
    return open_run(tmp_path)


def test_level_signals_per_level(run):
    by_level = {s.level: s for s in level_signals(run)}
    assert sorted(by_level) == [1, 3]
    one, three = by_level[1], by_level[3]
    assert one.problems == 2 and one.labeled_fraction == 1.0 and one.label_accuracy == 0.5
    assert one.reward_variance == pytest.approx((0 + 3 / 16) / 2) and one.signal_fraction == 0.5
    assert three.problems == 2 and three.labeled_fraction == 0.5 and three.label_accuracy == 1.0
    assert three.reward_variance == pytest.approx(1 / 8) and three.signal_fraction == 0.5


def test_level_signals_step_range_and_unlabelled_level(run):
    (three,) = level_signals(run, first_step=1, last_step=1)[1:]
    assert three.level == 3 and three.problems == 1 and math.isnan(three.label_accuracy)
    assert level_signals(run, first_step=3) == []


def test_label_accuracy_is_the_labels_not_the_majoritys(tmp_path):
    """Under teacher or oracle labels the label is not the solver's majority: a right label on a
    problem whose majority was wrong counts as right ("3.5" equals "7/2"); no ground truth, no count."""
    write_rollouts(tmp_path, 1, [
        *_problem(1, "p0", 2, [0, 0, 0, 0], "3.5", None, truth="7/2", majority_correct=False),
        *_problem(1, "p1", 2, [1, 1, 1, 1], "9", False, majority_correct=True),
    ])
    write_rollouts(tmp_path, 2, [*_problem(2, "p2", 2, [1, 0, 0, 0], "5", None, truth=None)])
    (two,) = level_signals(open_run(tmp_path))
    assert two.problems == 3 and two.labeled_fraction == 1.0 and two.label_accuracy == 0.5
