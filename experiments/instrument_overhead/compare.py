"""Instrument overhead and non-interference: runs of the default experiment without the
instruments (main's commit) and with them (this branch), read back.

    python experiments/instrument_overhead/compare.py BASE_RUN [BASE_RUN ...] -- INSTR_RUN [INSTR_RUN ...]

Prints, per run, the median `time/step_s`, the sum of step and eval times and the wall time
(from wall.txt, written by run.sh), then the ratio of medians over runs; then whether every
run's metrics, minus wall-clock ones (time/, throughput/) and minus the instruments' (drift/,
skills/, diversity/), are equal to the first base run's, value for value.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from selfplay.tracking.metrics import read_metrics

TIMING = ("time/", "throughput/")
INSTRUMENTS = ("drift/", "skills/", "diversity/")


def core(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if not k.startswith(TIMING + INSTRUMENTS)} for r in rows]


def timing(run: Path) -> dict[str, float]:
    rows = read_metrics(run / "metrics.jsonl")
    steps = [r["time/step_s"] for r in rows if "time/step_s" in r]
    evals = [r["time/eval_s"] for r in rows if "time/eval_s" in r]
    wall = float((run / "wall.txt").read_text()) if (run / "wall.txt").exists() else float("nan")
    return {
        "median_step_s": statistics.median(steps), "sum_step_s": sum(steps), "sum_eval_s": sum(evals), "wall_s": wall,
    }


def main(argv: list[str]) -> int:
    split = argv.index("--")
    groups = {"base": [Path(p) for p in argv[:split]], "instruments": [Path(p) for p in argv[split + 1 :]]}
    medians: dict[str, list[float]] = {}
    walls: dict[str, list[float]] = {}
    for name, runs in groups.items():
        for run in runs:
            t = timing(run)
            medians.setdefault(name, []).append(t["median_step_s"])
            walls.setdefault(name, []).append(t["wall_s"])
            print(f"{name:12s} {run}: " + ", ".join(f"{k} {v:.3f}" for k, v in t.items()))
    for what, values in (("median time/step_s", medians), ("wall time", walls)):
        b, i = statistics.median(values["base"]), statistics.median(values["instruments"])
        print(f"{what}: base {b:.3f} s, instruments {i:.3f} s, ratio {i / b:.3f}")
    reference = core(read_metrics(groups["base"][0] / "metrics.jsonl"))
    for runs in groups.values():
        for run in runs:
            rows = core(read_metrics(run / "metrics.jsonl"))
            same = rows == reference
            first = next((i for i, (a, b) in enumerate(zip(rows, reference)) if a != b), None)
            print(f"non-instrument metrics of {run} equal to {groups['base'][0]}: {same}"
                  + ("" if same else f" (first difference at row {first}, {len(rows)} vs {len(reference)} rows)"))
    rows = read_metrics(groups["instruments"][0] / "metrics.jsonl")
    extra = sorted({k for r in rows for k in r if k.startswith(INSTRUMENTS)})
    print(f"instrument keys logged: {len(extra)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
