"""A few self-play steps through Ray and the Hydra app, then a resume from its checkpoint."""

import os
import subprocess
import sys

import pandas as pd
import pytest
from testkit.runs import REPO, read_metrics, run_selfplay

pytestmark = pytest.mark.slow


def test_selfplay_runs_logs_and_resumes(tmp_path, toy_cache):
    run_dir, cache = tmp_path / "run", toy_cache
    run_selfplay(run_dir, cache, "steps=3")

    rows = read_metrics(run_dir)
    assert [r["step"] for r in rows] == [0, 1, 2, 3]
    for key in ("eval/solver_pass@1", "eval/solver_maj@4", "eval/solver_greedy", "eval/level_1/pass@1"):
        assert key in rows[0] and key in rows[2]
    for key in (
        "curriculum/agreement_mean", "curriculum/frontier_fraction", "curriculum/label_accuracy",
        "curriculum/valid_fraction", "train/solver/reward_mean", "train/solver/loss", "train/solver/kl",
        "train/solver/entropy", "train/solver/grad_norm", "train/solver/clip_fraction",
        "train/solver/response_length", "train/proposer/reward_mean", "time/step_s", "time/generate_s",
        "time/verify_s", "time/train_s", "throughput/tokens_per_s",
    ):
        assert key in rows[1], key
    assert "train/proposer/loss" in rows[2] and "train/proposer/loss" not in rows[1]

    for step in (1, 2, 3):
        df = pd.read_parquet(run_dir / "rollouts" / f"step_{step:06d}.parquet")
        assert set(df.role) == {"proposer", "solver"}
        assert (df.step == step).all()
        proposer = df[df.role == "proposer"]
        assert len(proposer) == 4 * 4
        solver = df[df.role == "solver"]
        assert len(solver) == 4 * proposer.valid.sum()
        assert solver.trained.all() and not solver.advantage.isna().any()
        assert proposer.trained.all() == (step % 2 == 0)

    assert (run_dir / "checkpoints" / "step_000003" / "COMPLETE").exists()
    assert list((run_dir / "tb").glob("events.*"))

    # Same command, same run dir, more steps: resumes from step 3's checkpoint.
    proc = run_selfplay(run_dir, cache, "steps=5")
    assert "Resuming from" in proc.stdout + proc.stderr
    assert [r["step"] for r in read_metrics(run_dir)] == [0, 1, 2, 3, 4, 5]
    assert (run_dir / "rollouts" / "step_000005.parquet").exists()


def test_bad_config_value_is_refused_before_any_work(tmp_path):
    env = {**os.environ, "SELFPLAY_CACHE": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "selfplay", f"hydra.run.dir={tmp_path / 'run'}", "selfplay.attempts_per_problem=0"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "selfplay.attempts_per_problem" in proc.stderr
    assert not (tmp_path / "cache").exists()
