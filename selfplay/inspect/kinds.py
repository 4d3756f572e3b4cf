"""Which kinds of problems a run stopped proposing (selfplay/instruments/diversity.py's
``vanished_kinds`` over the run's valid proposals).

A problem's kind comes from the run's task (``features``), rebuilt from the run's
``.hydra/config.yaml``; where that task cannot be built, from the rollouts' ``level`` column.
"""
from __future__ import annotations

import pandas as pd
from omegaconf import OmegaConf

from selfplay.instruments.diversity import Vanished, vanished_kinds
from selfplay.instruments.features import features
from selfplay.tasks import Problem

from .rollouts import RolloutQuery, load_rollouts, rollout_files
from .rundir import RunDir
from .textfmt import Col, render_table

COLUMNS = ["step", "role", "valid", "parsed", "ground_truth", "level"]


def _task(run: RunDir):
    """The run's task, or None where its config is missing or names no task this code knows."""
    from selfplay.tasks import make_task

    if not run.config_path.exists():
        return None
    try:
        return make_task(OmegaConf.load(run.config_path).task)
    except Exception:  # an older or foreign config: fall back to the level column
        return None


def proposed_kinds(run: RunDir) -> tuple[list[tuple[int, dict]], str]:
    """(step, features) of every valid proposal, and where the features came from."""
    rows = load_rollouts(run, RolloutQuery(role="proposer", valid=True), COLUMNS)
    rows = rows[rows["parsed"].notna()]
    task = _task(run)
    if task is None:
        levels = [{} if pd.isna(lv) else {"level": int(lv)} for lv in rows["level"]]
        return [(int(s), f) for s, f in zip(rows["step"], levels)], "level column"

    def problem(r) -> Problem:
        level = None if pd.isna(r.level) else int(r.level)
        return Problem(r.parsed, None if pd.isna(r.ground_truth) else r.ground_truth, level)

    return [(int(r.step), features(task, problem(r))) for r in rows.itertuples()], f"task {task.name}"


def default_window(run: RunDir) -> int:
    """A fifth of the run's rollout steps (at least 1)."""
    return max(1, len(rollout_files(run)) // 5)


def vanished(run: RunDir, window: int | None = None) -> tuple[list[Vanished], int, str]:
    window = window or default_window(run)
    kinds, source = proposed_kinds(run)
    return vanished_kinds(kinds, window), window, source


def vanished_text(run: RunDir, window: int | None = None) -> str:
    if not rollout_files(run):
        return "vanished problem kinds: (no rollouts)"
    gone, window, source = vanished(run, window)
    head = f"vanished problem kinds (first {window} vs last {window} steps with rollouts; kinds from the {source}):"
    if not gone:
        return head + " none"
    rows = [[v.kind, str(v.early_count), f"{v.early_share:.3f}", str(v.last_seen)] for v in gone]
    cols = [Col("kind"), Col("early n", align=">"), Col("early share", align=">"), Col("last seen", align=">")]
    return head + "\n" + render_table(cols, rows)
