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
    last_step: int
    gains: dict[str, float]  # column (level_k, overall) -> final minus base
    signals: dict[int, LevelSignal]  # trained-on level -> its signal


@dataclass(frozen=True)
class Arm:
    label: str
    seeds: list[SeedResult]


def _evals(df: pd.DataFrame, col: str) -> pd.Series:
    return df.set_index("step")[col].dropna()


def gains(df: pd.DataFrame, name: str = "pass@1") -> tuple[int, dict[str, float]]:
    """(last evaluated step, column -> last evaluation minus the step-0 one)."""
    out, last = {}, 0
    for column, template in METRICS.items():
        series = _evals(df, template.format(name=name))
        if 0 not in series.index:
            raise ValueError(f"{template.format(name=name)}: no step-0 evaluation")
        last = int(series.index.max())
        out[column] = float(series.iloc[-1] - series.loc[0])
    return last, out


def seed_result(job: Job, name: str = "pass@1") -> SeedResult:
    last, g = gains(job.metrics, name)
    return SeedResult(job.seed or "", last, g, {s.level: s for s in level_signals(job.run)})


def _evaluated(job: Job) -> bool:
    """Whether the job has an evaluation after step 0 (a job still running or killed early has not)."""
    if job.metrics is None or "eval/solver_pass@1" not in job.metrics:
        return False
    return bool((_evals(job.metrics, "eval/solver_pass@1").index > 0).any())


def load_arms(sweep_dir: str | Path, name: str = "pass@1") -> tuple[list[Arm], list[Job]]:
    """(arms in sweep order, jobs left out: no evaluation after step 0)."""
    jobs = load_jobs(sweep_dir)
    groups = group_jobs([j for j in jobs if _evaluated(j)])
    common = common_overrides(list(groups))
    arms = [Arm(setting_label(s, common), [seed_result(j, name) for j in members]) for s, members in groups.items()]
    return arms, [j for j in jobs if not _evaluated(j)]
