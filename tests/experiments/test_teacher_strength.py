"""experiments/teacher_strength/scripts: arms, gaps, data quality, contrasts and the plot from a
synthetic multirun."""
import json
import math
import sys
from pathlib import Path

import pytest
from inspect_synth import write_hydra, write_metrics, write_rollouts

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "experiments" / "teacher_strength" / "scripts"))

from gain_plot import gain_figure  # noqa: E402
from teacher_arms import OVERALL, load_teacher_arms, split_arm  # noqa: E402
from teacher_table import contrasts, load_distance, main  # noqa: E402

LEVELS = (1, 2, 3, 4)
STRENGTH = {"weak": -0.2, "same": 0.0, "strong": 0.1, "very_strong": 0.2}  # teacher's greedy accuracy - student's


def _accuracy(shift: float) -> dict:
    return {f"level_{k}": {"greedy": 0.5 + shift, "pass@1_t1": 0.3 + shift / 2} for k in LEVELS}


def _eval(base: float, step: int, gain: float) -> dict:
    row = {"step": step, "eval/solver_pass@1": base + gain}
    row.update({f"eval/level_{k}/pass@1": base + gain for k in LEVELS})
    return row


def _job(sweep: Path, num: int, arm: str, seed: int, gain: float, valid: float) -> None:
    run = sweep / str(num)
    write_hydra(run, [f"seed={seed}", f"+arm={arm}", "steps=2"])
    teacher, labels = split_arm(arm)
    train = {"curriculum/valid_fraction": valid, "curriculum/label_accuracy": 0.8,
             "curriculum/labeled_fraction": 0.9}
    if labels == "teacher":
        train["labels/teacher_agreement_mean"] = 0.6
    write_metrics(run, [_eval(0.3, 0, 0.0), {"step": 1, **train}, {"step": 2, **train, "curriculum/valid_fraction": 1.0},
                        _eval(0.3, 2, gain)])
    solver = [{"step": 1, "role": "solver", "group_id": "s1-t0-p0", "sample_idx": j, "valid": True,
               "level": 2, "reward": r, "label": "4"} for j, r in enumerate([1.0, 0.0, 0.0, 0.0])]
    proposer = {"step": 1, "role": "proposer", "group_id": "s1-t0", "sample_idx": 0, "valid": True,
                "level": 2, "label": "4", "ground_truth": "4" if seed == 0 else "5", "correct": True}
    write_rollouts(run, 1, [proposer, *solver])
    roles = {"solver": {"role": "solver", "name": "toy", "path": "x", "base_accuracy": _accuracy(0.0)},
             "proposer": {"role": "proposer", "name": teacher, "path": "y",
                          "base_accuracy": _accuracy(STRENGTH[teacher])}}
    (run / "role_models.json").write_text(json.dumps(roles))


@pytest.fixture
def sweep(tmp_path):
    jobs = [("very_strong_majority", 0.01), ("strong_majority", 0.03), ("strong_teacher", 0.05),
            ("same_majority", 0.02), ("weak_teacher", 0.00)]
    num = 0
    for arm, gain in jobs:
        for seed in (0, 1):
            # the weak teacher's arm in a second multirun, as an arm added later would be
            sweep = tmp_path / ("multirun_2" if arm.startswith("weak") else "multirun")
            _job(sweep, num, arm, seed, gain + 0.01 * seed, valid=0.5 if arm.startswith("weak") else 0.9)
            num += 1
    running = tmp_path / "multirun" / str(num)  # a job still running: evaluated at step 0 only
    write_hydra(running, ["seed=2", "+arm=strong_teacher", "steps=2"])
    write_metrics(running, [_eval(0.3, 0, 0.0), {"step": 1, "curriculum/valid_fraction": 1.0}])
    (tmp_path / "distance.json").write_text(json.dumps({"student": "toy", "distances": [
        {"teacher": "toy_strong", "kl_teacher_student": 0.25, "kl_student_teacher": 0.3, "greedy_disagreement": 0.1,
         "probes": 64}]}))
    return tmp_path


def test_arms_sorted_with_gaps_and_quality(sweep):
    arms, left_out = load_teacher_arms([sweep / "multirun", sweep / "multirun_2"])
    assert [a.name for a in arms] == ["weak_teacher", "same_majority", "strong_majority", "strong_teacher",
                                      "very_strong_majority"]
    assert [j.run.path.name for j in left_out] == ["10"]
    strong = arms[3]
    assert (strong.teacher, strong.labels) == ("strong", "teacher")
    assert [s.result.gains[OVERALL] for s in strong.seeds] == pytest.approx([0.05, 0.06])
    seed = strong.seeds[0]
    assert seed.gap["greedy"] == pytest.approx(0.1) and seed.gap["pass@1_t1"] == pytest.approx(0.05)
    assert seed.quality["valid_fraction"] == pytest.approx(0.95) and seed.quality["teacher_agreement"] == 0.6
    assert math.isnan(arms[1].seeds[0].quality["teacher_agreement"])  # majority labels: not logged
    assert arms[0].seeds[0].gap["greedy"] == pytest.approx(-0.2)


def test_split_arm_and_contrasts():
    assert split_arm("very_strong_oracle") == ("very_strong", "oracle")
    with pytest.raises(ValueError):
        split_arm("level_2")
    pairs = contrasts({"strong_majority", "very_strong_majority", "strong_teacher", "same_majority"})
    assert pairs == [("strong_majority", "very_strong_majority"), ("strong_majority", "same_majority"),
                     ("strong_teacher", "strong_majority")]


def test_table_cli_writes_the_tables(sweep, capsys):
    out = sweep / "tables.md"
    assert main([str(sweep / "multirun"), str(sweep / "multirun_2"), "--distance", str(sweep / "distance.json"), "--out", str(out)]) == 0
    text = out.read_text()
    printed = capsys.readouterr()
    assert text.strip() == printed.out.strip() and "multirun/10 (+arm=strong_teacher" in printed.err
    assert ("| strong | toy_strong | 0.60 0.60 0.60 0.60 | 0.35 0.35 0.35 0.35 | +10.0 ± 0.0 | +5.0 ± 0.0 | 0.250 "
            "| 0.300 | 0.100 |") in text
    assert "| same | toy | 0.50 0.50 0.50 0.50 | 0.30 0.30 0.30 0.30 | +0.0 ± 0.0 | +0.0 ± 0.0 | — | — | — |" in text
    assert "| strong_teacher | 0: +5.0, 1: +6.0 |" in text
    assert "| strong_teacher | 2 | 2 | +5.5 ± 0.7 |" in text
    assert "| weak_teacher | 0.750 ± 0.000 | 0.800 ± 0.000 | 0.900 ± 0.000 | 0.600 ± 0.000 |" in text
    # label accuracy is the label against the ground truth (not the rollouts' `correct`): 1 then 0 over seeds
    assert "| strong_teacher | 0.000 ± 0.000 | — | — | 1.000 ± 0.000 | 0.500 ± 0.707 | 0.188 ± 0.000 |" in text
    # seed for seed the differences are exactly 2 points: no spread left once paired
    assert "| strong_majority − very_strong_majority | +2.0 ± 0.7 [+1.0, +3.0] | +2.0 ± 0.0 [+2.0, +2.0] (n=2) |" in text
    assert "| strong_teacher − strong_majority | +2.0 ± 0.7 [+1.0, +3.0] | +2.0 ± 0.0 [+2.0, +2.0] (n=2) |" in text


def test_gain_figure_has_both_panels(sweep):
    arms, _ = load_teacher_arms([sweep / "multirun", sweep / "multirun_2"])
    fig = gain_figure(arms, load_distance(sweep / "distance.json"), "pass@1")
    left, right = fig.axes
    assert len(left.lines) >= 2  # majority and teacher labels
    assert right.get_legend() is not None  # the strong teacher has a KL
