"""Read the too_hard multirun: per arm (problem source x KL coefficient), per seed, the change of
the skill and shortcut metrics and of held-out accuracy (an evaluation minus the same seed's
step 0), and the accuracy of the majority labels the solver trained on (selfplay.inspect.levels)."""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

# Study 1's gain reader (per level and overall, paired by seed) is reused, not copied.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "difficulty_levels" / "scripts"))

from arms import OVERALL, gains  # noqa: E402  (difficulty_levels/scripts/arms.py)

from selfplay.inspect.levels import LevelSignal, level_signals  # noqa: E402
from selfplay.inspect.sweep import Job, group_jobs, load_jobs  # noqa: E402

BASE_SOLVED = "skills/base_solved_accuracy"
# The shortcut signatures and the direction the claim predicts for each (+1: rises, -1: falls).
SIGNATURES = {"skills/answer_length_ratio": -1, "skills/top_answer_share": +1,
              "skills/repeated_answer_share": +1, "skills/copied_operand_fraction": +1}
SKILLS = (BASE_SOLVED, *SIGNATURES)
PASS1, GREEDY = "pass@1", "greedy"  # held-out accuracy, overall (study 1's reader)
ARM_KEY, KL_KEY = "arm", "algo.kl_loss_coef"
HARD_LEVEL = 4


@dataclass(frozen=True)
class SeedResult:
    seed: str
    last_step: int  # the evaluation the changes are read at
    base: dict[str, float]  # skill metric -> its step-0 value
    changes: dict[str, float]  # skill metric, PASS1, GREEDY -> value at last_step minus step 0
    label_accuracy: float  # majority labels equal to the truth, all trained problems, steps 1..last_step
    hard_label_accuracy: float  # the same at level 4 (NaN: none trained on)


@dataclass(frozen=True)
class Arm:
    source: str  # the +arm config: level_4, uniform
    kl: float  # algo.kl_loss_coef
    seeds: list[SeedResult]
    jobs: list[Job] = field(default_factory=list, repr=False, compare=False)  # the seeds' runs

    @property
    def name(self) -> str:
        return f"{self.source}, KL {self.kl:g}"


def _setting(job: Job) -> dict[str, str]:
    return {o.split("=", 1)[0].lstrip("+~"): o.split("=", 1)[1] for o in job.setting if "=" in o}


def _at(df: pd.DataFrame, col: str, step: int) -> float:
    series = df.set_index("step")[col].dropna()
    return float(series.loc[step]) if step in series.index else math.nan


def label_accuracy(signals: list[LevelSignal], level: int | None = None) -> float:
    """Share of labelled problems whose label is the truth, over `level` (None: all levels)."""
    picked = [s for s in signals if level is None or s.level == level]
    weights = [s.problems * s.labeled_fraction for s in picked if s.label_accuracy == s.label_accuracy]
    if not sum(weights):
        return math.nan
    hits = [s.problems * s.labeled_fraction * s.label_accuracy for s in picked if s.label_accuracy == s.label_accuracy]
    return sum(hits) / sum(weights)


def seed_result(job: Job, step: int | None = None) -> SeedResult:
    """Changes at `step` (None: the last evaluation); the label accuracy over steps 1..step."""
    at, passes = gains(job.metrics, PASS1, step)
    _, greedy = gains(job.metrics, GREEDY, at)
    base = {c: _at(job.metrics, c, 0) for c in SKILLS}
    changes = {c: _at(job.metrics, c, at) - base[c] for c in SKILLS}
    changes.update({PASS1: passes[OVERALL], GREEDY: greedy[OVERALL]})
    signals = level_signals(job.run, last_step=at)
    return SeedResult(job.seed or "", at, base, changes, label_accuracy(signals),
                      label_accuracy(signals, HARD_LEVEL))


def evaluated(job: Job, step: int | None) -> bool:
    """Whether the job was evaluated at `step` (None: at any step after 0; a job still running or
    stopped early may not have been)."""
    if job.metrics is None or "eval/solver_pass@1" not in job.metrics:
        return False
    steps = job.metrics.set_index("step")["eval/solver_pass@1"].dropna().index
    return bool((steps > 0).any()) if step is None else step in steps


def load_arms(sweep_dir: str | Path, step: int | None = None) -> tuple[list[Arm], list[Job]]:
    """(arms in sweep order, jobs left out: not evaluated at `step`, or after step 0 if None)."""
    jobs = load_jobs(sweep_dir)
    kept = [j for j in jobs if evaluated(j, step)]
    arms = []
    for members in group_jobs(kept).values():
        setting = _setting(members[0])
        arms.append(Arm(setting.get(ARM_KEY, "?"), float(setting.get(KL_KEY, "nan")),
                        [seed_result(j, step) for j in members], members))
    return arms, [j for j in jobs if j not in kept]
