"""Step time and learning of before/after runs, as a table: median step time (training steps,
evaluation excluded), its generate/train split, the solver's update breakdown where the run
logs it, and held-out pass@1 at step 0 and at the end.

    .venv/bin/python experiments/performance/scripts/step_table.py RUN_DIR [RUN_DIR ...]
"""

from __future__ import annotations

import statistics
import sys

from selfplay.inspect.rundir import RunDir, open_run
from selfplay.tracking.metrics import read_metrics


def median(lines: list[dict], key: str) -> float | None:
    values = [r[key] for r in lines if key in r]
    return statistics.median(values) if values else None


def fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


def row(run: RunDir) -> str:
    lines = [r for r in read_metrics(run.metrics_path)]
    steps = [r for r in lines if "time/step_s" in r]
    evals = [(r["step"], r["eval/solver_pass@1"]) for r in lines if "eval/solver_pass@1" in r]
    (_, base), (end_step, end) = evals[0], evals[-1]
    return (
        f"| {run.path.name} | {len(steps)} | {fmt(median(steps, 'time/step_s'))} | {fmt(median(steps, 'time/generate_s'))} "
        f"| {fmt(median(steps, 'time/train_s'))} | {fmt(median(steps, 'train/solver/time/forward_backward_s'))} "
        f"| {fmt(median(steps, 'train/solver/perf/mfu'), '.3f')} | {base:.3f} | {end:.3f} (step {end_step}) | {100 * (end - base):+.1f} |"
    )


if __name__ == "__main__":
    print("| run | steps | step s (median) | generate s | train s | solver fwd/bwd s | solver MFU | pass@1 step 0 | pass@1 end | gain (points) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for arg in sys.argv[1:]:
        print(row(open_run(arg)))
