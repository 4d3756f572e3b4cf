"""The code task end to end (slow): SmolLM2-135M writes programs for 2 steps through the
Hydra app and Ray, the programs run in the sandbox, the held-out evaluation is HumanEval's
first problem (the experiment's eval_set, cut to 1), a proposal copied from a HumanEval
docstring is flagged as contaminated, and the rollouts render.

The problems are replayed from a hand-written run (problem_source=replay): SmolLM2-135M
rarely writes a proposal in the required format, and this test is about the solver's
programs reaching the sandbox and the rollouts, not about the proposer
(experiments/smollm2_cpu/README.md has a self-play run with the model proposing)."""

import subprocess
import sys

import pandas as pd
import pytest
from testkit.runs import REPO, read_metrics, run_app

from selfplay.paths import cache_root
from selfplay.tracking.rollouts import RolloutRecord, write_rollouts

pytestmark = pytest.mark.slow

PROPOSAL = ("Problem: Read an integer n from standard input and print n + 1.\nTests:\n"
            "1 ||| 2\n5 ||| 6\n-3 ||| -2\n10 ||| 11\n0 ||| 1")
# HumanEval/0's docstring (18 words in a row), with stdin tests
COPIED = ("Problem: Check if in given list of numbers, are any two numbers closer to each other than given "
          "threshold. Read the threshold, then the numbers on one line; print True or False.\nTests:\n"
          "0.5\\n1.0 2.0 3.0 ||| False\n0.3\\n1.0 2.8 3.0 ||| True\n1\\n1 5 ||| False\n1\\n1 1.5 ||| True\n"
          "0.1\\n5 ||| False")
TINY = [
    "experiment=cpu_smollm2_code", "problem_source=replay", "selfplay.topics_per_step=1",
    "selfplay.proposals_per_topic=2", "selfplay.attempts_per_problem=2", "task.eval_size=1",
    "eval_samples=1", "task.max_answer_tokens=96", "cluster.torch_threads=1",
    "logging.progress=false",
]


def _replayed_run(path):
    records = [RolloutRecord(step=1, role="proposer", group_id="s1-t0", sample_idx=k, topic="stdin_program",
                             prompt="", completion=text, parsed=None, valid=True, invalid_reason=None, reward=0.0,
                             advantage=0.0, trained=False, agreement=None, majority_answer=None, ground_truth=None,
                             correct=None, level=None, prompt_tokens=0, completion_tokens=0, source="hand",
                             label=None) for k, text in enumerate([PROPOSAL, COPIED])]
    write_rollouts(path, 1, records)
    return path


def test_code_task_runs_two_steps_on_smollm2_and_its_rollouts_render(tmp_path):
    pytest.importorskip("gguf")
    source = _replayed_run(tmp_path / "problems")
    run_dir = tmp_path / "run"
    run_app(run_dir, cache_root(), "steps=2", f"problem_source.run_dir={source}", base=TINY, timeout=900)
    rows = read_metrics(run_dir)
    assert [r["step"] for r in rows] == [0, 1, 2]
    assert "eval/solver_pass@1" in rows[0] and "train/solver/loss" in rows[1]
    for row in (rows[0], rows[2]):  # HumanEval at step 0 and at the end
        assert row["eval/humaneval/problems"] == 1
        assert {"eval/humaneval/pass@1", "eval/humaneval/greedy_pass@1"} <= set(row)
    assert rows[1]["contamination/humaneval_rate"] == 0.5 and rows[1]["contamination/humaneval_flagged"] == 1
    proposer = pd.read_parquet(run_dir / "rollouts" / "step_000001.parquet").query("role == 'proposer'")
    assert max(zip(proposer.overlap_words, proposer.overlap_with)) == (18, "HumanEval/0")
    solver = pd.read_parquet(run_dir / "rollouts" / "step_000001.parquet").query("role == 'solver'")
    assert len(solver) == 2 * 2
    # every attempt was judged: a program's per-test results, or no program at all
    assert all(d.startswith("test 1: ") or d.startswith("no program") for d in solver.details)
    assert set(solver.reward) <= {k / 5 for k in range(6)}
    assert rows[1]["train/solver/reward_mean"] == pytest.approx(solver.reward.mean())
    shown = subprocess.run([sys.executable, "-m", "selfplay.inspect", "rollouts", str(run_dir), "--step", "1", "--show"],
                           cwd=REPO, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "tests / inputs:\n    1 ||| 2\n    5 ||| 6\n" in shown.stdout and "  results:\n" in shown.stdout
    assert "benchmark overlap: 18 words in a row shared with HumanEval/0: contaminated (>= 13)" in shown.stdout
