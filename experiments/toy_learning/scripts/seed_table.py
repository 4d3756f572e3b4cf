"""Issue 2's must-show 2 as a table: per run, held-out solver pass@1 (T=1) of the base model
(step 0) and at the end, and the proposer's frontier fraction in the first and last quarter
of its steps. Usage: python seed_table.py RUN_DIR [RUN_DIR ...] (e.g. multirun/.../*)."""

from __future__ import annotations

import sys

from selfplay.inspect.rundir import RunDir, open_run, read_overrides
from selfplay.tracking.metrics import read_metrics


def quarter_means(values: list[float]) -> tuple[float, float]:
    q = max(1, len(values) // 4)
    return sum(values[:q]) / q, sum(values[-q:]) / q


def row(run: RunDir) -> str:
    lines = read_metrics(run.metrics_path)
    evals = [(r["step"], r["eval/solver_pass@1"]) for r in lines if "eval/solver_pass@1" in r]
    frontier = [r["curriculum/frontier_fraction"] for r in lines if "curriculum/frontier_fraction" in r]
    overrides = read_overrides(run)
    (_, base), (s1, final) = evals[0], evals[-1]
    best_step, best = max(evals[1:], key=lambda e: e[1])
    first, last = quarter_means(frontier)
    return (f"| {' '.join(overrides)} | {base:.3f} | {final:.3f} (step {s1}) | {100 * (final - base):+.1f} "
            f"| {best:.3f} (step {best_step}) | {first:.3f} | {last:.3f} |")


if __name__ == "__main__":
    print("| run | pass@1 base | pass@1 end | gain (points) | best | frontier 1st quarter | frontier last quarter |")
    print("|---|---|---|---|---|---|---|")
    for arg in sys.argv[1:]:
        print(row(open_run(arg)))
