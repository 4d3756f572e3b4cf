"""The training signal per difficulty level, read from a run's rollouts.

For each level of the problems the solver trained on (the rollouts' ``level`` column, set where
the task knows a problem's level), over a range of steps:

- ``label_accuracy``: of the problems that got a label (a majority, or whatever the run's label
  source gave), the share whose label equals the ground truth (as values: ``7/2`` = ``3.5``).
  Compared here from the proposer rows' ``label`` and ``ground_truth``: their ``correct`` is the
  solver majority's, which is not the label under ``labels=teacher`` or ``oracle``. NaN where
  none was labelled, or the task gave no ground truth.
- ``labeled_fraction``: the share of problems that got a label at all.
- ``reward_variance``: the variance (population, over the N attempts) of the solver's rewards on
  one problem, averaged over problems. A GRPO group with zero variance has no gradient.
- ``signal_fraction``: the share of problems whose N rewards are not all equal.

Ground truth is used here only to diagnose, as everywhere in inspect.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from selfplay.instruments.skills import canonical

from .rollouts import RolloutQuery, load_rollouts
from .rundir import RunDir


@dataclass(frozen=True)
class LevelSignal:
    level: int
    problems: int  # valid problems the solver answered at this level
    labeled_fraction: float
    label_accuracy: float
    reward_variance: float
    signal_fraction: float


def _labels_by_level(props: pd.DataFrame) -> pd.DataFrame:
    props = props[props["valid"].fillna(False).astype(bool) & props["level"].notna()]
    labeled = props["label"].notna()
    known = labeled & props["ground_truth"].notna()
    right = [canonical(str(a)) == canonical(str(b)) for a, b in zip(props["label"], props["ground_truth"])]
    frame = pd.DataFrame({
        "level": props["level"].astype(int),
        "labeled": labeled.astype(float),
        # correctness of the label, only where there is one
        "label_correct": pd.Series(right, index=props.index, dtype="Float64").where(known),
    })
    return frame.groupby("level").agg(labeled_fraction=("labeled", "mean"),
                                      label_accuracy=("label_correct", "mean"))


def _rewards_by_level(solver: pd.DataFrame) -> pd.DataFrame:
    solver = solver[solver["level"].notna()]
    groups = solver.groupby(["step", "group_id"]).agg(
        level=("level", "first"), var=("reward", lambda r: float(r.var(ddof=0))),
        spread=("reward", lambda r: float(r.nunique() > 1)))
    groups["level"] = groups["level"].astype(int)
    return groups.groupby("level").agg(problems=("var", "size"), reward_variance=("var", "mean"),
                                       signal_fraction=("spread", "mean"))


def level_signals(run: RunDir, first_step: int | None = None, last_step: int | None = None) -> list[LevelSignal]:
    """One LevelSignal per level the run's solver trained on (steps inclusive), sorted by level."""
    cols = ["step", "role", "group_id", "valid", "reward", "ground_truth", "level", "label"]
    rows = load_rollouts(run, RolloutQuery(first_step=first_step, last_step=last_step), cols)
    if rows.empty:
        return []
    rewards = _rewards_by_level(rows[rows["role"] == "solver"])
    labels = _labels_by_level(rows[rows["role"] == "proposer"])
    table = rewards.join(labels, how="left")
    return [
        LevelSignal(int(level), int(r["problems"]), float(r["labeled_fraction"]),
                    float(r["label_accuracy"]) if pd.notna(r["label_accuracy"]) else float("nan"),
                    float(r["reward_variance"]), float(r["signal_fraction"]))
        for level, r in table.iterrows()
    ]
