"""``metrics.jsonl`` (one JSON object per logged step) and its TensorBoard mirror."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path


class MetricsLog:
    def __init__(self, run_dir: Path, tensorboard: bool, resume_step: int | None):
        self.path = run_dir / "metrics.jsonl"
        if resume_step is not None:
            truncate_after(self.path, resume_step)
        elif self.path.exists():
            self.path.unlink()  # a fresh run in a reused folder starts a fresh log
        self.writer = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            # purge_step drops events a crashed run wrote past the checkpoint it resumes from.
            purge = None if resume_step is None else resume_step + 1
            self.writer = SummaryWriter(str(run_dir / "tb"), purge_step=purge)

    def log(self, step: int, metrics: dict[str, float]) -> None:
        row = {"step": step, **{k: _finite(v) for k, v in sorted(metrics.items())}}
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")
            f.flush()
            os.fsync(f.fileno())
        if self.writer is not None:
            for k, v in metrics.items():
                if v is not None and math.isfinite(v):
                    self.writer.add_scalar(k, v, step)
            self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _finite(v: float) -> float | None:
    # JSON has no NaN; a missing value is null.
    return float(v) if v is not None and math.isfinite(v) else None


def read_metrics(path: Path) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a torn last line from a killed run
    return rows


def truncate_after(path: Path, step: int) -> None:
    """Keep only whole lines of steps <= ``step`` (what a checkpoint at ``step`` has seen)."""
    rows = [r for r in read_metrics(path) if r["step"] <= step]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    tmp.replace(path)
