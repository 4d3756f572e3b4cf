"""experiments/difficulty_levels/scripts: gains, signals and contrasts from a synthetic multirun."""
import math

import pytest
from arms import LEVELS, OVERALL, load_arms
from effects import effect, fmt_points
from inspect_synth import write_hydra, write_metrics, write_rollouts
from table import arm_name, main


def _eval(base: float, step: int, gain: float) -> dict:
    row = {"step": step, "eval/solver_pass@1": base + gain}
    row.update({f"eval/level_{k}/pass@1": base + gain * k for k in LEVELS})
    return row


def _job(sweep, num: int, arm: str, seed: int, gain: float) -> None:
    run = sweep / str(num)
    write_hydra(run, [f"seed={seed}", f"+arm={arm}", "steps=2"])
    write_metrics(run, [_eval(0.3 + 0.01 * seed, 0, 0.0), {"step": 1, "train/solver/loss": 0.1},
                        _eval(0.3 + 0.01 * seed, 1, gain / 2), _eval(0.3 + 0.01 * seed, 2, gain)])
    level = int(arm[-1])
    solver = [{"step": 1, "role": "solver", "group_id": "s1-t0-p0", "sample_idx": j, "valid": True,
               "level": level, "reward": r, "label": "4"} for j, r in enumerate([1.0, 1.0, 0.0, 0.0])]
    proposer = {"step": 1, "role": "proposer", "group_id": "s1-t0", "sample_idx": 0, "valid": True,
                "level": level, "label": "4", "ground_truth": "4" if seed == 0 else "5"}
    write_rollouts(run, 1, [proposer, *solver])


@pytest.fixture
def sweep(tmp_path):
    for num, (arm, seed, gain) in enumerate([("level_1", 0, 0.00), ("level_1", 1, 0.02),
                                             ("level_2", 0, 0.05), ("level_2", 1, 0.07)]):
        _job(tmp_path, num, arm, seed, gain)
    running = tmp_path / "4"  # a job still running: evaluated at step 0 only
    write_hydra(running, ["seed=2", "+arm=level_2", "steps=2"])
    write_metrics(running, [_eval(0.3, 0, 0.0), {"step": 1, "train/solver/loss": 0.1}])
    return tmp_path


def test_load_arms_gains_and_signals(sweep):
    (one, two), left_out = load_arms(sweep)
    assert [j.run.path.name for j in left_out] == ["4"]
    assert [arm_name(one.label), arm_name(two.label)] == ["level_1", "level_2"]
    assert [s.seed for s in two.seeds] == ["0", "1"] and {s.last_step for s in two.seeds} == {2}
    assert two.seeds[1].gains[OVERALL] == pytest.approx(0.07)
    assert two.seeds[1].gains["level_3"] == pytest.approx(0.21)
    signal = two.seeds[0].signals[2]
    assert signal.reward_variance == pytest.approx(0.25) and signal.label_accuracy == 1.0
    assert two.seeds[1].signals[2].label_accuracy == 0.0 and 1 not in two.seeds[0].signals


def test_effect_difference_se_and_bootstrap():
    e = effect([0.01, 0.02, 0.03], [0.0, 0.0, 0.0])
    assert e.diff == pytest.approx(0.02) and e.se == pytest.approx(0.01 / math.sqrt(3))
    assert 0.01 <= e.low <= e.diff <= e.high <= 0.03
    against_zero = effect([0.01, 0.03], [0.0])
    assert against_zero.se == pytest.approx(math.sqrt(0.0002 / 2))
    assert fmt_points(e).startswith("+2.0 ± 0.6 [")


def test_table_cli_writes_the_tables(sweep, tmp_path, capsys):
    out = tmp_path / "tables.md"
    assert main([str(sweep), "--out", str(out)]) == 0
    text = out.read_text()
    printed = capsys.readouterr()
    assert text.strip() == printed.out.strip() and "left out" in printed.err and "4 (+arm=level_2" in printed.err
    # level_k's gain is k times the overall one in the synthetic runs; points, mean ± std over 2 seeds
    assert "| level_2 | 2 | 2 | +6.0 ± 1.4 | +12.0 ± 2.8 | +18.0 ± 4.2 | +24.0 ± 5.7 | +6.0 ± 1.4 |" in text
    # label accuracy 1 then 0 over the seeds; only the trained-on level has a signal
    assert "| level_1 | 0.500 ± 0.707 | 0.250 ± 0.000 | — | — | — | — | — | — |" in text
    assert "| level_2 − level_1 | +5.0 ± 1.4 [+3.0, +7.0] |" in text
    assert "| level_1 − zero | +1.0 ± 1.0 [+0.0, +2.0] |" in text
    assert "level_4 − zero" not in text  # contrasts of arms the sweep lacks are left out


def test_gains_at_an_earlier_evaluation(sweep):
    (_, two), left_out = load_arms(sweep, step=1)
    assert [s.last_step for s in two.seeds] == [1, 1] and two.seeds[1].gains[OVERALL] == pytest.approx(0.035)
    assert [j.run.path.name for j in left_out] == ["4"]
    assert load_arms(sweep, step=3)[0] == []  # nobody evaluated there
