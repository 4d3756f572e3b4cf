"""A Hydra multirun directory as settings (override sets without `seed=`) x seeds."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .metrics import load_metrics
from .rundir import InspectError, RunDir, read_overrides

Setting = tuple[str, ...]  # sorted override strings, seed removed


@dataclass(frozen=True)
class Job:
    num: int
    run: RunDir
    setting: Setting
    seed: str | None
    metrics: pd.DataFrame | None  # None: the job logged nothing (crashed before step 0?)


def override_key(override: str) -> str:
    """'++algo.lr=1e-5' -> 'algo.lr'."""
    return override.split("=", 1)[0].lstrip("+~")


def split_seed(overrides: list[str]) -> tuple[Setting, str | None]:
    seed = next((o.split("=", 1)[1] for o in overrides if override_key(o) == "seed" and "=" in o), None)
    return tuple(sorted(o for o in overrides if override_key(o) != "seed")), seed


def load_jobs(sweep_dir: str | Path) -> list[Job]:
    """Numbered job dirs (0, 1, ...) in order; each a run directory with .hydra/overrides.yaml."""
    root = Path(sweep_dir)
    if not root.is_dir():
        raise InspectError(f"not a directory: {root}")
    dirs = sorted((p for p in root.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name))
    if not dirs:
        raise InspectError(f"{root} has no numbered job directories: not a Hydra multirun dir")
    jobs = []
    for d in dirs:
        run = RunDir(d)
        setting, seed = split_seed(read_overrides(run))
        metrics = load_metrics(run) if run.metrics_path.exists() else None
        logged = metrics is not None and len(metrics) > 0
        jobs.append(Job(int(d.name), run, setting, seed, metrics if logged else None))
    return jobs


def group_jobs(jobs: list[Job]) -> dict[Setting, list[Job]]:
    """Jobs that differ only by seed, in order of each setting's first job."""
    groups: dict[Setting, list[Job]] = {}
    for j in jobs:
        groups.setdefault(j.setting, []).append(j)
    return groups


def common_overrides(settings: list[Setting]) -> Setting:
    """Overrides shared by every setting (printed once, left out of row labels)."""
    if not settings:
        return ()
    shared = set(settings[0]).intersection(*settings[1:])
    return tuple(o for o in settings[0] if o in shared)


def setting_label(setting: Setting, common: Setting) -> str:
    rest = [o for o in setting if o not in common]
    return " ".join(rest) if rest else "(defaults)"


@dataclass(frozen=True)
class Stat:
    mean: float
    std: float  # sample std (ddof=1) over seeds; NaN for a single seed
    n: int


def _stat(values: list[float]) -> Stat:
    s = pd.Series(values, dtype=float).dropna()
    nan = float("nan")
    return Stat(float(s.mean()) if len(s) else nan, float(s.std(ddof=1)) if len(s) > 1 else nan, len(s))


def final_and_best(jobs: list[Job], col: str) -> tuple[Stat, Stat]:
    """Over seeds: the last logged value of `col`, and its maximum over steps."""
    finals, bests = [], []
    for j in jobs:
        if j.metrics is None or col not in j.metrics:
            continue
        s = j.metrics[col].dropna()
        if len(s):
            finals.append(float(s.iloc[-1]))
            bests.append(float(s.max()))
    return _stat(finals), _stat(bests)


def curve(jobs: list[Job], col: str) -> pd.DataFrame:
    """Per step: mean, std (ddof=1) and number of seeds that logged `col` there."""
    parts = [j.metrics.set_index("step")[col].dropna() for j in jobs
             if j.metrics is not None and col in j.metrics]
    if not parts:
        return pd.DataFrame(columns=["mean", "std", "n"])
    wide = pd.concat(parts, axis=1)
    return pd.DataFrame({"mean": wide.mean(axis=1), "std": wide.std(axis=1, ddof=1),
                         "n": wide.notna().sum(axis=1)}).sort_index()
