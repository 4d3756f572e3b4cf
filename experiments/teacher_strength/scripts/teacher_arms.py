"""Read the teacher_strength multirun: per arm (teacher x label source), per seed, the gain in
held-out accuracy (difficulty_levels' reader: last evaluation minus the same seed's step 0),
the training data's quality from the metrics (valid-proposal rate, label accuracy, labelled
share, teacher agreement; means over steps 1..the evaluated step) and the teacher-student
accuracy gap from the run's role_models.json (both roles' measured base accuracy)."""
from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "difficulty_levels" / "scripts"))

# _evaluated: the same "evaluated at that step" rule as the difficulty_levels study's tables.
from arms import OVERALL, SeedResult, _evaluated, seed_result  # noqa: E402,F401  (OVERALL: re-exported)

from selfplay.inspect.rollouts import RolloutQuery, load_rollouts  # noqa: E402
from selfplay.inspect.sweep import Job, group_jobs, load_jobs  # noqa: E402

# Arm names are <teacher>_<labels> (conf/arm/); teachers weakest first.
TEACHERS = ("weak", "same", "strong", "very_strong")
LABELS = ("majority", "teacher", "oracle")
QUALITY = {  # field -> metrics column (per training step)
    "valid_fraction": "curriculum/valid_fraction",
    "label_accuracy": "curriculum/label_accuracy",
    "labeled_fraction": "curriculum/labeled_fraction",
    "teacher_agreement": "labels/teacher_agreement_mean",
}
ACCURACY = ("greedy", "pass@1_t1")  # base_accuracy.json's measures


@dataclass(frozen=True)
class LevelData:
    """The valid problems of one level the teacher wrote, steps 1..the evaluated step."""

    share: float  # of all valid problems
    label_accuracy: float  # labelled problems whose label is the ground truth (NaN: none labelled)


@dataclass(frozen=True)
class TeacherSeed:
    seed: str
    result: SeedResult  # gains per level and overall; its signals' reward_variance per level
    quality: dict[str, float]  # QUALITY field -> mean over steps 1..result.last_step (NaN: not logged)
    gap: dict[str, float]  # ACCURACY measure -> teacher minus student, mean over levels (points as fractions)
    levels: dict[int, LevelData]
    teacher_accuracy: dict[str, dict[str, float]]  # the teacher's base_accuracy: level_k -> measure -> value


@dataclass(frozen=True)
class TeacherArm:
    name: str  # e.g. strong_teacher
    teacher: str  # e.g. strong
    labels: str  # majority | teacher | oracle
    seeds: list[TeacherSeed]


def arm_of(setting: tuple[str, ...]) -> str:
    """The `+arm=NAME` override of a job's setting."""
    names = [o.split("=", 1)[1] for o in setting if o.lstrip("+").startswith("arm=")]
    if len(names) != 1:
        raise ValueError(f"no single +arm= override in {setting}")
    return names[0]


def split_arm(name: str) -> tuple[str, str]:
    """'very_strong_teacher' -> ('very_strong', 'teacher')."""
    teacher, _, labels = name.rpartition("_")
    if teacher not in TEACHERS or labels not in LABELS:
        raise ValueError(f"arm {name!r} is not <teacher>_<labels> with teacher in {TEACHERS}, labels in {LABELS}")
    return teacher, labels


def quality(job: Job, last_step: int) -> dict[str, float]:
    rows = job.metrics[(job.metrics["step"] >= 1) & (job.metrics["step"] <= last_step)]
    return {k: float(rows[c].mean()) if c in rows and rows[c].notna().any() else math.nan for k, c in QUALITY.items()}


def base_accuracies(run_path: Path) -> tuple[dict, dict]:
    """(student's, teacher's) measured base accuracy: level_k -> measure -> value."""
    roles = json.loads((run_path / "role_models.json").read_text())
    return roles["solver"]["base_accuracy"], roles["proposer"]["base_accuracy"]


def accuracy_gap(student: dict, teacher: dict) -> dict[str, float]:
    """Teacher minus student base accuracy, mean over levels, per measure."""
    return {m: sum(teacher[lv][m] - student[lv][m] for lv in student) / len(student) for m in ACCURACY}


def level_data(job: Job, last_step: int) -> dict[int, LevelData]:
    """Per level: share of the valid problems and the labels' accuracy. Not the rollouts'
    `correct` (levels.level_signals' label accuracy): a proposer row's `correct` is the solver
    majority's correctness, which is the label's only under majority labels. The label is
    compared with the ground truth as a string: the toy world's answers are canonical integers."""
    rows = load_rollouts(job.run, RolloutQuery(first_step=1, last_step=last_step, role="proposer"),
                         ["step", "role", "valid", "level", "label", "ground_truth"])
    rows = rows[rows["valid"].fillna(False).astype(bool) & rows["level"].notna()]
    out = {}
    for level, g in rows.groupby(rows["level"].astype(int)):
        labelled = g[g["label"].notna()]
        acc = float((labelled["label"] == labelled["ground_truth"]).mean()) if len(labelled) else math.nan
        out[int(level)] = LevelData(len(g) / len(rows), acc)
    return out


def teacher_seed(job: Job, name: str = "pass@1", step: int | None = None) -> TeacherSeed:
    result = seed_result(job, name, step)
    student, teacher = base_accuracies(job.run.path)
    return TeacherSeed(result.seed, result, quality(job, result.last_step), accuracy_gap(student, teacher),
                       level_data(job, result.last_step), teacher)


def load_teacher_arms(sweep_dirs: list[str | Path], name: str = "pass@1",
                      step: int | None = None) -> tuple[list[TeacherArm], list[Job]]:
    """(arms of one or more multiruns, weakest teacher first and majority, teacher, oracle labels
    within one; jobs left out: not evaluated at `step`, or after step 0 if None)."""
    jobs = [j for d in sweep_dirs for j in load_jobs(d)]
    kept = [j for j in jobs if _evaluated(j, step)]
    arms = []
    for setting, members in group_jobs(kept).items():
        arm = arm_of(setting)
        arms.append(TeacherArm(arm, *split_arm(arm), [teacher_seed(j, name, step) for j in members]))
    arms.sort(key=lambda a: (TEACHERS.index(a.teacher), LABELS.index(a.labels)))
    kept_ids = {id(j) for j in kept}
    return arms, [j for j in jobs if id(j) not in kept_ids]
