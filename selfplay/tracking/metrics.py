"""``metrics.jsonl``: one JSON object per logged step, forwarded to the mirrors (TensorBoard, W&B)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Callable

from selfplay.tracking.mirrors import Mirror


class MetricsLog:
    def __init__(self, run_dir: Path, keep_upto: int, mirrors: list[Mirror], tags: dict[str, float] | None = None):
        """Rows after step ``keep_upto`` (the checkpoint resumed from; -1 on a fresh start) go.
        ``tags``: constant metrics every row carries (``labels/source_oracle``: 1.0)."""
        self.path = run_dir / "metrics.jsonl"
        truncate_after(self.path, keep_upto)
        self.rows = len(read_metrics(self.path))  # the log's position, kept in checkpoints
        self.mirrors = mirrors
        self.tags = dict(tags or {})

    def log(self, step: int, metrics: dict[str, float]) -> None:
        metrics = {**metrics, **self.tags}
        row = {"step": step, **{k: _finite(v) for k, v in sorted(metrics.items())}}
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.rows += 1
        for mirror in self.mirrors:
            mirror.log(step, metrics)

    def close(self) -> None:
        for mirror in self.mirrors:
            mirror.close()


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
    _write_rows(path, [r for r in read_metrics(path) if r["step"] <= step])


def rewrite_row(path: Path, step: int, edit: Callable[[dict], dict]) -> None:
    """Replace the row of ``step`` by ``edit(row)`` (the rest as it was)."""
    _write_rows(path, [edit(r) if r["step"] == step else r for r in read_metrics(path)])


def _write_rows(path: Path, rows: list[dict]) -> None:
    # Atomically: a kill mid-write leaves the old log.
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    tmp.replace(path)
