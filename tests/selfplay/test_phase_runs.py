"""Must-show 4 (phases): "learn A, then B" is two commands. A second run starts from the first
one's final weights (``init_from``), with a fresh optimizer, in its own directory, and the drift
probes are logged in both phases."""

import pytest
from testkit.runs import read_metrics, run_selfplay

pytestmark = pytest.mark.slow

KL = "drift/solver/kl_to_base"


def test_a_second_phase_starts_from_the_first_ones_weights(tmp_path, toy_cache):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    run_selfplay(a, toy_cache, "steps=2")
    rows_a = read_metrics(a)
    assert rows_a[0][KL] == 0.0 and rows_a[0]["drift/solver/changed_vs_base"] == 0.0  # the base is its reference
    assert rows_a[-1][KL] > 0 and "drift/solver/kl_to_prev" in rows_a[-1] and "drift/proposer/kl_to_prev" in rows_a[-1]

    # Phase 2, reference = the base: it starts exactly where phase 1 ended.
    run_selfplay(b, toy_cache, "steps=2", f"init_from={a}")
    rows_b = read_metrics(b)
    assert rows_b[0][KL] == pytest.approx(rows_a[-1][KL], rel=1e-6)
    assert rows_b[0]["eval/solver_greedy"] == rows_a[-1]["eval/solver_greedy"]
    assert rows_b[0]["drift/proposer/kl_to_base"] == pytest.approx(rows_a[-1]["drift/proposer/kl_to_base"], rel=1e-6)
    assert "drift/solver/kl_to_prev" not in rows_b[0] and "drift/solver/kl_to_prev" in rows_b[-1]  # probes start over
    assert rows_b[1]["train/solver/lr"] == rows_a[1]["train/solver/lr"]  # a fresh optimizer: the warm-up restarts
    assert (a / "checkpoints" / "step_000002").is_dir() and len(rows_a) == 3  # phase 1's run is untouched

    # Phase 2, reference = the phase start: no drift at its start; resuming it keeps that reference.
    run_selfplay(c, toy_cache, "steps=1", f"init_from={a / 'checkpoints' / 'step_000002'}", "init_reference=phase_start")
    proc = run_selfplay(c, toy_cache, "steps=2", f"init_from={a / 'checkpoints' / 'step_000002'}", "init_reference=phase_start")
    assert "Resuming from" in proc.stdout + proc.stderr
    rows_c = read_metrics(c)
    assert rows_c[0][KL] == 0.0 and rows_c[0]["eval/solver_greedy"] == rows_a[-1]["eval/solver_greedy"]
    assert [r["step"] for r in rows_c] == [0, 1, 2] and rows_c[-1][KL] > 0


def test_a_bad_source_is_refused_before_any_work(tmp_path, toy_cache):
    proc = run_selfplay(tmp_path / "run", toy_cache, "steps=1", f"init_from={tmp_path / 'nope'}", expect_rc=1)
    assert "init_from" in proc.stderr and "no such run directory" in proc.stderr
    assert not (tmp_path / "run" / "metrics.jsonl").exists()
