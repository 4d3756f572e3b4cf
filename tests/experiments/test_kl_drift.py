"""experiments/kl_drift/scripts: phase pairs, drift, phase-2 gains and the correlation, from two
synthetic multiruns."""
import sys
from pathlib import Path

import pytest
from inspect_synth import write_hydra, write_metrics

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "experiments" / "kl_drift" / "scripts"))

from kl_pairs import load_pairs  # noqa: E402
from kl_stats import centred, correlation  # noqa: E402
from kl_table import main  # noqa: E402

KLS = (0.0, 1.0)
DRIFT = {0.0: 0.02, 1.0: 0.005}


def _eval(step: int, known: float, target: float, drift: float | None = None) -> dict:
    row = {"step": step, "eval/solver_pass@1": (known + target) / 2}
    row.update({f"eval/level_{k}/pass@1": known for k in (1, 2)})
    row.update({f"eval/level_{k}/pass@1": target for k in (3, 4)})
    if drift is not None:
        row.update({"drift/solver/kl_to_base": drift, "drift/solver/changed_vs_base": 10 * drift})
    return row


def _sweeps(root: Path, swap_phase2: bool = False) -> tuple[Path, Path]:
    one, two = root / "phase1", root / "phase2"
    for num, (seed, kl) in enumerate((s, k) for s in (0, 1) for k in KLS):
        drift = DRIFT[kl] + 0.001 * seed
        write_hydra(one / str(num), ["+phase=first", f"seed={seed}", f"algo.kl_loss_coef={kl:g}"])
        write_metrics(one / str(num), [_eval(0, 0.5, 0.2, 0.0), {"step": 1, "train/solver/loss": 0.1},
                                       _eval(2, 0.55, 0.21, drift)])
        gain = 0.1 - 2 * drift  # less drift, more learning: the claim, exactly
        pkl = KLS[1 - KLS.index(kl)] if swap_phase2 else kl
        write_hydra(two / str(num), ["+phase=second", f"seed={seed}", f"algo.kl_loss_coef={pkl:g}"])
        write_metrics(two / str(num), [_eval(0, 0.55, 0.21, 0.0), _eval(2, 0.54, 0.21 + gain / 2, 0.01),
                                       _eval(4, 0.53, 0.21 + gain, 3 * drift)])
    running = two / "4"  # a phase-2 job without its phase 1 and evaluated at step 0 only
    write_hydra(running, ["+phase=second", "seed=2", "algo.kl_loss_coef=0"])
    write_metrics(running, [_eval(0, 0.5, 0.2)])
    return one, two


def _control(root: Path, swap: bool = False) -> Path:
    """The control's phase 2: KL 0.3 for all (in the config), phase 1's KL in +phase1_kl; gain
    0.02 + 2 * drift, the claim's opposite."""
    common = root / "phase2_common"
    for num, (seed, kl) in enumerate((s, k) for s in (0, 1) for k in KLS):
        drift = DRIFT[kl] + 0.001 * seed
        gain = 0.02 + 2 * drift
        claimed = KLS[1 - KLS.index(kl)] if swap else kl
        write_hydra(common / str(num), ["+phase=second_common", f"seed={seed}", f"+phase1_kl='{claimed:g}'"],
                    {"seed": seed, "algo": {"kl_loss_coef": 0.3}})
        write_metrics(common / str(num), [_eval(0, 0.55, 0.21, 0.0), _eval(2, 0.55, 0.21 + gain / 2, 0.01),
                                          _eval(4, 0.55, 0.21 + gain, 0.005 + drift)])
    return common


def test_pairs_drift_and_gains(tmp_path):
    pairs, left_out = load_pairs(*_sweeps(tmp_path))
    assert left_out == [4] and [p.num for p in pairs] == [0, 1, 2, 3]
    p = pairs[2]  # seed 1, KL 0
    assert (p.kl, p.seed) == (0.0, "1") and p.drift_kl == pytest.approx(0.021)
    assert p.drift_changed == pytest.approx(0.21)
    assert p.p1_gain_known == pytest.approx(0.05) and p.p1_gain_target == pytest.approx(0.01)
    assert p.p2_steps == (2, 4) and p.p2_gain == pytest.approx(0.1 - 0.042)
    assert p.p2_gain_mid == pytest.approx((0.1 - 0.042) / 2)
    assert p.p2_auc == pytest.approx(0.75 * (0.1 - 0.042))
    assert p.p2_gain_known == pytest.approx(-0.02) and p.p2_drift_kl == pytest.approx(0.063)


def test_mismatched_phases_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not a pair"):
        load_pairs(*_sweeps(tmp_path, swap_phase2=True))


def test_control_pairs_by_phase1_kl(tmp_path):
    one, _ = _sweeps(tmp_path)
    pairs, left_out = load_pairs(one, _control(tmp_path))
    assert left_out == [] and [(p.kl, p.p2_kl) for p in pairs] == [(0.0, 0.3), (1.0, 0.3)] * 2
    assert pairs[2].p2_gain == pytest.approx(0.02 + 2 * 0.021)
    with pytest.raises(ValueError, match=r"phase1_kl='1'\) are not a pair"):
        load_pairs(one, _control(tmp_path / "swapped", swap=True))


def test_correlation_and_centring():
    c = correlation([1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1], draws=500)
    assert c.r == pytest.approx(-1.0) and c.rho == pytest.approx(-1.0) and c.slope == pytest.approx(-1.0)
    assert c.high == pytest.approx(-1.0) and c.p_perm < 0.01
    noise = correlation([1, 2, 3, 4, 5, 6], [1, 3, 2, 3, 1, 2], draws=500)
    assert noise.low < 0 < noise.high and noise.p_perm > 0.3
    assert centred([1.0, 3.0, 10.0, 20.0], ["a", "a", "b", "b"]) == [-1.0, 1.0, -5.0, 5.0]


def test_table_cli(tmp_path, capsys):
    one, two = _sweeps(tmp_path)
    out, plot = tmp_path / "tables.md", tmp_path / "scatter.png"
    assert main([str(one), str(two), "--out", str(out), "--plot", str(plot)]) == 0
    text = out.read_text()
    printed = capsys.readouterr()
    assert text.strip() == printed.out.strip() and "jobs [4]" in printed.err
    assert plot.stat().st_size > 0
    # KL 0: drift 0.020 and 0.021; phase-2 gain 0.1 - 2 * drift = 6.0 and 5.8 points
    assert ("| 0 | 2 | 0.0205 ± 0.0007 | 0.205 ± 0.007 | +5.0 ± 0.0 | +1.0 ± 0.0 | +2.9 ± 0.1 | +5.9 ± 0.1 | +4.4 ± 0.1 "
            "| -2.0 ± 0.0 | +2.0 ± 0.1 | 0.0615 ± 0.0021 |") in text
    assert "| p2_gain vs drift_kl | all runs | r = -1.00 [-1.00, -1.00], Spearman -1.00" in text
    assert "| p2_gain vs p2_drift_kl | all runs | r = -1.00" in text
    assert "| p2_gain vs drift_kl | within arms | r = -1.00 [-1.00, -1.00], Spearman -1.00" in text
    assert "| KL 1 − KL 0 | +3.0 ± 0.1 [+2.8, +3.2] | +1.5 ± 0.1 [+1.4, +1.6] |" in text


def test_table_cli_control(tmp_path, capsys):
    one, two = _sweeps(tmp_path)
    out, plot = tmp_path / "tables.md", tmp_path / "control.png"
    assert main([str(one), str(two), "--control", str(_control(tmp_path)), "--out", str(out),
                 "--control-plot", str(plot)]) == 0
    text = out.read_text()
    main_part, control = text.split("## Control: phase 2 at one KL coefficient (0.3) for every arm")
    assert "| p2_gain vs drift_kl | all runs | r = -1.00" in main_part  # unchanged by --control
    assert "| p2_gain vs drift_kl | all runs | r = +1.00 [+1.00, +1.00]" in control
    assert "| p2_gain vs drift_kl | within arms | r = +1.00" in control
    assert "| P1 KL coef | seeds |" in control and "| P1 KL 1 − P1 KL 0 | -3.0 ± 0.1" in control
    # KL 0: own KL gains 6.0, 5.8 points; common KL 6.0, 6.2: own − common 0.0 and -0.4
    assert "| 0 | 2 | +5.9 ± 0.1 | +6.1 ± 0.1 | -0.2 ± 0.2 [" in control
    assert plot.stat().st_size > 0
