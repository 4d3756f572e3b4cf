"""Read the difficulty_levels multirun: per arm (a setting of the sweep), per seed, the gain in
held-out pass@1 per level and overall (last evaluation minus step 0, the same seed's base
model), and the training signal per level (selfplay.inspect.levels)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from selfplay.inspect.levels import LevelSignal, level_signals
from selfplay.inspect.sweep import Job, common_overrides, group_jobs, load_jobs, setting_label

OVERALL = "overall"
LEVELS = (1, 2, 3, 4)
METRICS = {**{f"level_{k}": f"eval/level_{k}/{{name}}" for k in LEVELS}, OVERALL: "eval/solver_{name}"}


@dataclass(frozen=True)
class SeedResult:
    seed: str
    last_step: int  # the evaluation the gains are read at
    gains: dict[str, float]  # column (level_k, overall) -> that evaluation minus step 0
    signals: dict[int, LevelSignal]  # trained-on level -> its signal


@dataclass(frozen=True)
class Arm:
    label: str
    seeds: list[SeedResult]


def _evals(df: pd.DataFrame, col: str) -> pd.Series:
    return df.set_index("step")[col].dropna()


def gains(df: pd.DataFrame, name: str = "pass@1", step: int | None = None) -> tuple[int, dict[str, float]]:
    """(evaluated step, column -> that evaluation minus the step-0 one); step None: the last one."""
    out, at = {}, 0
    for column, template in METRICS.items():
        series = _evals(df, template.format(name=name))
        if 0 not in series.index:
            raise ValueError(f"{template.format(name=name)}: no step-0 evaluation")
        at = int(series.index.max()) if step is None else step
        out[column] = float(series.loc[at] - series.loc[0])
    return at, out


def seed_result(job: Job, name: str = "pass@1", step: int | None = None) -> SeedResult:
    """Gains at `step` (None: the last evaluation); the training signal over steps 1..step."""
    at, g = gains(job.metrics, name, step)
    return SeedResult(job.seed or "", at, g, {s.level: s for s in level_signals(job.run, last_step=at)})


def _evaluated(job: Job, step: int | None) -> bool:
    """Whether the job was evaluated at `step` (None: at any step after 0; a job still running or
    killed early may not have been)."""
    if job.metrics is None or "eval/solver_pass@1" not in job.metrics:
        return False
    steps = _evals(job.metrics, "eval/solver_pass@1").index
    return bool((steps > 0).any()) if step is None else step in steps


def load_arms(sweep_dir: str | Path, name: str = "pass@1", step: int | None = None) -> tuple[list[Arm], list[Job]]:
    """(arms in sweep order, jobs left out: not evaluated at `step`, or after step 0 if None)."""
    jobs = load_jobs(sweep_dir)
    kept = [j for j in jobs if _evaluated(j, step)]
    groups = group_jobs(kept)
    common = common_overrides(list(groups))
    arms = [Arm(setting_label(s, common), [seed_result(j, name, step) for j in members])
            for s, members in groups.items()]
    return arms, [j for j in jobs if j not in kept]
