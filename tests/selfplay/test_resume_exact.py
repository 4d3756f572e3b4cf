"""Must-show 1: resume is exact on CPU. 2k steps in one go == k steps, then the same command
with steps=2k in the same run directory: the same metrics lines (wall-clock ones aside), the
same rollouts, the same final weights and optimizer state."""

import pytest
from testkit.runs import EXACT_RUN, EXACT_STEPS, assert_same_run, read_metrics, run_selfplay

pytestmark = pytest.mark.slow


def test_resumed_run_equals_uninterrupted_run(tmp_path, toy_cache, reference_run):
    # k = 3: the short run's last checkpoint is one the long run never writes (they come every
    # 2), and the resume lands between two proposer updates (every 2).
    k = EXACT_STEPS // 2
    run_dir = tmp_path / "run"
    run_selfplay(run_dir, toy_cache, f"steps={k}", *EXACT_RUN)
    assert [r["step"] for r in read_metrics(run_dir)] == list(range(k + 1))
    proc = run_selfplay(run_dir, toy_cache, f"steps={EXACT_STEPS}", *EXACT_RUN)
    assert f"Resuming from {run_dir / 'checkpoints' / f'step_{k:06d}'}" in proc.stdout + proc.stderr
    assert_same_run(run_dir, reference_run)


def test_resume_off_the_evaluation_and_checkpoint_cadences_equals_uninterrupted_run(tmp_path, toy_cache, reference_run):
    """Runs of 1, then 5, then 6 steps (evaluated every 3, checkpointed every 2): each run
    evaluates and checkpoints at its last step, off both cadences; the extended run must log
    what an uninterrupted run logs there, which has no evaluation at steps 1 and 5."""
    run_dir = tmp_path / "run"
    for k in (1, 5):
        run_selfplay(run_dir, toy_cache, f"steps={k}", *EXACT_RUN)
        assert "eval/solver_pass@1" in read_metrics(run_dir)[k]  # the end of a run is evaluated
    proc = run_selfplay(run_dir, toy_cache, f"steps={EXACT_STEPS}", *EXACT_RUN)
    assert f"Resuming from {run_dir / 'checkpoints' / 'step_000005'}" in proc.stdout + proc.stderr
    assert_same_run(run_dir, reference_run)
