"""`rollouts` and `summary` subcommands, called through main(argv) and once as a subprocess."""
import subprocess
import sys
from pathlib import Path

import pytest

from selfplay.inspect.cli import main

REPO = Path(__file__).resolve().parents[2]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_rollouts_table_fixed_width(capsys, run_dir):
    code, out, _ = run(capsys, "rollouts", run_dir, "--step", "2", "--width", "300")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["step", "role", "group", "#"]
    body = lines[2:-1]
    assert len(body) == 8 + 8 * 4  # 8 proposals, 4 attempts each (no invalid ones on step 2)
    assert all(len(line) <= 300 for line in lines)
    assert all(line.split()[0] == "2" for line in body)
    assert "\x1b" not in out and "\\x1b[31m" in out  # escape codes defanged
    assert lines[-1] == "40 rows (steps 2–2)"


def test_rollouts_filters_and_limit(capsys, run_dir):
    code, out, _ = run(capsys, "rollouts", run_dir, "--steps", "1:6", "--role", "proposer", "--invalid")
    body = out.splitlines()[2:-1]
    assert code == 0 and len(body) == 4  # steps 3 and 6, one invalid proposal per topic
    assert all("no_probl" in line for line in body)
    _, out, _ = run(capsys, "rollouts", run_dir, "--role", "solver", "--limit", "5")
    assert len(out.splitlines()) == 2 + 5 + 1 and "--limit 0 shows all" in out
    _, out, _ = run(capsys, "rollouts", run_dir, "--min-agreement", "2")
    assert out.startswith("no rollout rows match")


def test_rollouts_show_groups_attempts_under_problems(capsys, run_dir):
    code, out, _ = run(capsys, "rollouts", run_dir, "--step", "last", "--show", "--limit", "2")
    assert code == 0
    blocks = out.split("\n\n")
    assert len(blocks) == 2 and "… 2 of" in blocks[-1]
    first = blocks[0]
    assert first.startswith("=== step 12 · proposer · group s12-t0 · sample 0 ===")
    for field in ("prompt:", "completion:", "parsed problem:", "reward:", "advantage:",
                  "agreement:", "majority:", "ground truth:"):
        assert field in first
    assert first.count("  [") == 4  # the problem's 4 solver attempts follow it
    assert first.index("parsed problem:") < first.index("solver attempt")


def test_rollouts_show_solver_only(capsys, run_dir):
    _, out, _ = run(capsys, "rollouts", run_dir, "--step", "5", "--role", "solver", "--show",
                    "--group", "s5-t1-p2")
    assert out.startswith("=== step 5 · solver group s5-t1-p2 ===") and out.count("  [") == 4


@pytest.mark.parametrize("argv", [["--steps", "5"], ["--steps", "9:3"], ["--step", "x"]])
def test_bad_step_arguments_exit_2(capsys, run_dir, argv):
    code, out, err = run(capsys, "rollouts", run_dir, *argv)
    assert code == 2 and err.startswith("error: --step")


def test_missing_run_dir(capsys, tmp_path):
    code, _, err = run(capsys, "summary", tmp_path / "nope")
    assert code == 2 and "not a directory" in err


def test_summary(capsys, run_dir):
    code, out, _ = run(capsys, "summary", run_dir, "--every", "5")
    assert code == 0
    assert "overrides: seed=0" in out and "metrics: steps 0–12 (13 logged)" in out
    assert "rollouts: steps 1–12 (12 files)" in out
    eval_rows = {line.split()[0]: line.split() for line in out.splitlines()
                 if line.startswith(("pass@1", "maj@4"))}
    assert eval_rows["pass@1"][2] == "12"  # last eval at the final step
    table = out[out.index("step  pass@1"):].split("\n\n")[0].splitlines()  # the instruments follow
    steps = [int(line.split()[0]) for line in table[2:]]
    assert steps == [0, 4, 5, 8, 10, 12]  # every 5th, plus eval steps and the last
    assert "(no instrument metrics logged)" in out and "vanished problem kinds" in out


def test_module_entry_point(run_dir):
    proc = subprocess.run([sys.executable, "-m", "selfplay.inspect", "summary", str(run_dir)],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "pass@1" in proc.stdout
