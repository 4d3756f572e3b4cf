"""metrics.jsonl -> one DataFrame row per step, plus helpers to find metric families."""
from __future__ import annotations

import json
import re

import pandas as pd

from .rundir import InspectError, RunDir

_LEVEL = re.compile(r"^eval/level_(\d+)/(.+)$")
_MAJ = re.compile(r"^eval/solver_maj@(\d+)$")


def load_metrics(run: RunDir) -> pd.DataFrame:
    """Rows sorted by step; several lines for one step (e.g. train then eval) are merged."""
    if not run.metrics_path.exists():
        raise InspectError(f"no metrics.jsonl in {run.path}")
    lines = [ln for ln in run.metrics_path.read_text().splitlines() if ln.strip()]
    records = []
    for i, line in enumerate(lines):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as e:
            if i == len(lines) - 1:
                break  # a live run may be mid-write on its last line
            raise InspectError(f"{run.metrics_path}:{i + 1}: bad JSON ({e})") from e
    if not records:
        return pd.DataFrame({"step": pd.Series([], dtype="int64")})
    df = pd.DataFrame.from_records(records)
    if "step" not in df:
        raise InspectError(f"{run.metrics_path}: records have no 'step'")
    # groupby().last() takes the last non-null value per column, i.e. merges partial lines.
    df = df.groupby("step", sort=True).last().reset_index()
    df["step"] = df["step"].astype("int64")
    return df


def eval_columns(df: pd.DataFrame) -> list[str]:
    """All eval/* columns: solver_pass@1, greedy, maj@N, other solver ones, then per level."""

    def key(c: str) -> tuple:
        if c == "eval/solver_pass@1":
            return (0, 0, c)
        if c == "eval/solver_greedy":
            return (0, 1, c)
        if m := _MAJ.match(c):
            return (0, 2 + int(m.group(1)), c)
        if m := _LEVEL.match(c):
            return (2, int(m.group(1)), m.group(2))
        return (1, 0, c)

    return sorted((c for c in df.columns if c.startswith("eval/")), key=key)


def headline_eval_columns(df: pd.DataFrame) -> list[str]:
    """Eval metrics that are not per level (pass@1, greedy, maj@N, ...)."""
    return [c for c in eval_columns(df) if not _LEVEL.match(c)]


def level_columns(df: pd.DataFrame, name: str = "pass@1") -> list[tuple[int, str]]:
    """(level, column) for eval/level_<k>/<name>, sorted by level number."""
    found = [(int(m.group(1)), c) for c in df.columns if (m := _LEVEL.match(c)) and m.group(2) == name]
    return sorted(found)


def short_name(col: str) -> str:
    """'eval/solver_pass@1' -> 'pass@1', 'eval/level_2/pass@1' -> 'level_2/pass@1'."""
    return col.removeprefix("eval/").removeprefix("solver_")


def last_value(df: pd.DataFrame, col: str) -> tuple[int, float] | None:
    """(step, value) of the last logged value."""
    s = df.set_index("step")[col].dropna() if col in df else pd.Series(dtype=float)
    return None if s.empty else (int(s.index[-1]), float(s.iloc[-1]))


def best_value(df: pd.DataFrame, col: str) -> tuple[int, float] | None:
    """(step, value) of the maximum (eval metrics are accuracies: higher is better)."""
    s = df.set_index("step")[col].dropna() if col in df else pd.Series(dtype=float)
    return None if s.empty else (int(s.idxmax()), float(s.max()))
