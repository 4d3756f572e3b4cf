"""experiments/too_hard/scripts: skill and shortcut changes, label accuracy and the contrasts
(including the four-arm interaction) from a synthetic multirun."""
import math
import sys
from pathlib import Path

import pytest
from inspect_synth import write_hydra, write_metrics, write_rollouts

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "experiments" / "too_hard" / "scripts"))

from interaction import interaction  # noqa: E402
from too_hard_arms import BASE_SOLVED, GREEDY, PASS1, label_accuracy, load_arms  # noqa: E402
from too_hard_table import contrasts, main  # noqa: E402

from selfplay.inspect.levels import LevelSignal  # noqa: E402

LENGTH, TOP = "skills/answer_length_ratio", "skills/top_answer_share"


def _eval(step: int, drop: float, seed: int) -> dict:
    """An evaluation `drop` x step below the base on the skills, the length ratio falling with it."""
    row = {"step": step, BASE_SOLVED: 1.0 - drop * step, LENGTH: 1.0 - drop * step, TOP: 0.1 + drop * step,
           "skills/repeated_answer_share": 0.2, "skills/copied_operand_fraction": 0.0}
    for name, base in (("pass@1", 0.3 + 0.01 * seed), ("greedy", 0.6)):
        row[f"eval/solver_{name}"] = base + 0.01 * step
        row.update({f"eval/level_{k}/{name}": base for k in (1, 2, 3, 4)})
    return row


def _job(sweep: Path, num: int, arm: str, kl: str, seed: int, drop: float) -> None:
    run = sweep / str(num)
    write_hydra(run, [f"seed={seed}", f"+arm={arm}", f"algo.kl_loss_coef={kl}", "steps=2"])
    write_metrics(run, [_eval(0, drop, seed), {"step": 1, "train/solver/loss": 0.1},
                        _eval(1, drop, seed), _eval(2, drop, seed)])
    rows = []
    for i, level in enumerate([4, 4] if arm == "level_4" else [1, 4]):
        right = level == 1 or seed == 0  # level 4's label is right for seed 0 only
        rows.append({"step": 1, "role": "proposer", "group_id": f"s1-t{i}", "sample_idx": 0, "valid": True,
                     "level": level, "label": "4", "ground_truth": "4" if right else "5"})
        rows += [{"step": 1, "role": "solver", "group_id": f"s1-t{i}-p0", "sample_idx": j, "valid": True,
                  "level": level, "reward": r, "label": "4"} for j, r in enumerate([1.0, 0.0, 0.0, 0.0])]
    write_rollouts(run, 1, rows)


@pytest.fixture
def sweep(tmp_path):
    num = 0
    for kl in ("0.3", "0.0"):
        for arm in ("level_4", "uniform"):
            for seed in (0, 1):
                # the level_4 arm without KL loses 0.1 a step, with KL 0.02; the mix 0.01 either way
                drop = {("level_4", "0.0"): 0.1, ("level_4", "0.3"): 0.02}.get((arm, kl), 0.01) + 0.005 * seed
                _job(tmp_path, num, arm, kl, seed, drop)
                num += 1
    running = tmp_path / str(num)  # still running: evaluated at step 0 only
    write_hydra(running, ["seed=2", "+arm=level_4", "algo.kl_loss_coef=0.0", "steps=2"])
    write_metrics(running, [_eval(0, 0.1, 2)])
    return tmp_path


def test_load_arms_changes_and_labels(sweep):
    arms, left_out = load_arms(sweep)
    assert [a.name for a in arms] == ["level_4, KL 0.3", "uniform, KL 0.3", "level_4, KL 0", "uniform, KL 0"]
    assert [j.run.path.name for j in left_out] == ["8"]
    hard = arms[2].seeds[1]
    assert hard.last_step == 2 and hard.base[BASE_SOLVED] == 1.0
    assert hard.changes[BASE_SOLVED] == pytest.approx(-0.21) and hard.changes[TOP] == pytest.approx(0.21)
    assert hard.changes[PASS1] == pytest.approx(0.02) and hard.changes[GREEDY] == pytest.approx(0.02)
    assert hard.label_accuracy == 0.0 and arms[2].seeds[0].hard_label_accuracy == 1.0
    assert arms[3].seeds[1].label_accuracy == 0.5  # level 1 right, level 4 wrong
    assert load_arms(sweep, step=1)[0][0].seeds[0].changes[BASE_SOLVED] == pytest.approx(-0.02)


def test_label_accuracy_weights_levels_by_labelled_problems():
    signals = [LevelSignal(1, 30, 1.0, 0.9, 0.1, 0.5), LevelSignal(4, 10, 0.5, 0.2, 0.0, 0.1)]
    assert label_accuracy(signals) == pytest.approx((27 + 1) / 35)
    assert label_accuracy(signals, 4) == pytest.approx(0.2) and math.isnan(label_accuracy(signals, 2))


def test_interaction_difference_of_differences():
    e = interaction([1.0, 3.0], [0.0, 0.0], [0.5, 0.5], [0.0, 0.0], draws=500)
    assert e.diff == pytest.approx(1.5) and e.se == pytest.approx(1.0)  # var 2 over 2 seeds
    assert e.low == pytest.approx(0.5) and e.high == pytest.approx(2.5)


def test_contrasts_and_table(sweep, tmp_path, capsys):
    by_label = dict(contrasts(load_arms(sweep)[0], BASE_SOLVED, draws=200))  # few draws: a fast test
    # level_4 − uniform: -0.2 without KL (drops 0.1 vs 0.01 a step, 2 steps, mean over seeds), -0.02 with it
    assert by_label["level_4, KL 0 − uniform, KL 0"].diff == pytest.approx(-0.18)
    assert by_label["level_4, KL 0.3 − uniform, KL 0.3"].diff == pytest.approx(-0.02)
    assert by_label["(level_4, KL 0 − uniform, KL 0) − (level_4, KL 0.3 − uniform, KL 0.3)"].diff == pytest.approx(-0.16)
    out = tmp_path / "tables.md"
    assert main([str(sweep), "--out", str(out), "--draws", "200"]) == 0
    text = out.read_text()
    assert text.strip() == capsys.readouterr().out.strip()
    assert "| level_4, KL 0 | 2 | 2 | -20.5 ± 0.7 | -20.5 ± 0.7 | +20.5 ± 0.7 | +0.0 ± 0.0 |" in text
    assert "| level_4, KL 0 | 1 | 0.897 |" in text  # the curve: mean base-solved accuracy at step 1
    assert "| base-solved acc | level_4, KL 0 − uniform, KL 0 | -18.0 ± 0.7 [" in text
