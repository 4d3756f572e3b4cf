"""Must-show 2: crash safety. The run is SIGKILLed at five moments (SELFPLAY_FAULT, see
selfplay/faults.py), each time rerun with the same command; then a checkpoint is damaged on
disk. The run that finally completes equals the uninterrupted reference run exactly, which
it could not if any step were lost, doubled, or resumed from a bad checkpoint."""

import signal
import uuid

import pytest
from testkit.runs import EXACT_RUN, EXACT_STEPS, assert_actors_gone, assert_same_run, read_metrics, run_selfplay

from selfplay.checkpoint import problem

pytestmark = pytest.mark.slow

# (fault point, the checkpoint the next run must resume from)
KILLS = [
    ("step.generate@3", 2),  # mid-step, while the worker generates
    ("checkpoint.parts_written@4", 2),  # inside checkpoint writing: weights and optimizer written, no marker
    ("checkpoint.done@4", 4),  # right after a checkpoint, before older ones are pruned
    ("eval.generate@6", 4),  # during evaluation
    ("metrics_written@5", 4),  # after a step's metrics line is written (the next run redoes the step)
]


def assert_consistent(run_dir):
    """What a killed run leaves: a gapless log from step 0, rollouts for exactly its steps, and
    every checkpoint in place intact (a half-written one only under a temporary name)."""
    steps = [r["step"] for r in read_metrics(run_dir)]
    assert steps == list(range(len(steps)))
    rollouts = sorted(int(p.stem.split("_")[1]) for p in (run_dir / "rollouts").glob("step_*.parquet"))
    assert rollouts == steps[1:]
    for ckpt in (run_dir / "checkpoints").glob("step_*"):
        assert problem(ckpt) is None, ckpt


def resumed_from(proc, run_dir):
    out = proc.stdout + proc.stderr
    found = [s for s in range(EXACT_STEPS + 1) if f"Resuming from {run_dir / 'checkpoints' / f'step_{s:06d}'} " in out]
    return found[0] if found else None


def test_sigkill_at_five_moments_then_resume(tmp_path, toy_cache, reference_run):
    run_dir = tmp_path / "run"
    args = (f"steps={EXACT_STEPS}", *EXACT_RUN)
    expected_resume = None  # the first run starts fresh
    for fault, next_resume in KILLS:
        tag = uuid.uuid4().hex
        proc = run_selfplay(run_dir, toy_cache, *args, fault=fault, expect_rc=-signal.SIGKILL, tag=tag)
        assert resumed_from(proc, run_dir) == expected_resume, fault
        assert_consistent(run_dir)
        if fault.startswith("checkpoint.parts_written"):
            (tmp,) = (run_dir / "checkpoints").glob(".tmp_step_000004_*")  # the kill was inside the writing
            assert (tmp / "policy" / "model").is_dir() and not (tmp / "COMPLETE").exists()
        assert_actors_gone(tag)
        expected_resume = next_resume

    # A checkpoint damaged after the fact (a truncated weights file) is skipped, not loaded.
    weights = run_dir / "checkpoints" / "step_000004" / "policy" / "model" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    proc = run_selfplay(run_dir, toy_cache, *args)
    assert "skipping checkpoint" in proc.stdout + proc.stderr and resumed_from(proc, run_dir) == 2

    assert_same_run(run_dir, reference_run)
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["step_000004", "step_000006"]
