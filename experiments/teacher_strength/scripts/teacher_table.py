"""The teacher_strength study's tables, regenerated from the multirun's run directories (and
the teacher-student KL that scripts/distance.py measured on the builds).

    python experiments/teacher_strength/scripts/teacher_table.py SWEEP_DIR [SWEEP_DIR ...] \
        [--distance distance.json] [--name pass@1] [--step N] [--out FILE.md]

Prints (markdown): each teacher's distance from the student (accuracy gap from the runs'
role_models.json; KL and greedy disagreement from distance.json), the gain in held-out
accuracy per arm (per level and overall), the training data's quality per arm (valid-proposal
rate, label accuracy, labelled share, teacher agreement), the label accuracy and reward
variance per level, and the pre-set contrasts on the overall gain (difference of means ± its
standard error, 95% bootstrap over seeds).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "difficulty_levels" / "scripts"))

from arms import OVERALL, Arm  # noqa: E402
from effects import effect, fmt_points  # noqa: E402
# The difficulty_levels study's gain and per-level signal tables read the same SeedResults.
from table import _mean_std, gain_table  # noqa: E402
from teacher_arms import ACCURACY, LABELS, QUALITY, TEACHERS, TeacherArm, load_teacher_arms  # noqa: E402

LEVELS = (1, 2, 3, 4)

from selfplay.inspect.textfmt import markdown_table  # noqa: E402

PRESETS = {"weak": "toy_weak", "same": "toy", "strong": "toy_strong", "very_strong": "toy_very_strong"}


def contrasts(present: set[str]) -> list[tuple[str, str]]:
    """(a, b) pairs of arms, a's overall gain minus b's, where both ran: the claim (one notch
    above vs much stronger), one notch above vs the same, and teacher labels vs majority (and
    the oracle vs majority) for each teacher."""
    pairs = [(f"strong_{lab}", f"very_strong_{lab}") for lab in LABELS]
    pairs += [(f"strong_{lab}", f"same_{lab}") for lab in LABELS]
    pairs += [(f"{t}_teacher", f"{t}_majority") for t in TEACHERS]
    pairs += [(f"{t}_oracle", f"{t}_majority") for t in TEACHERS]
    return [(a, b) for a, b in pairs if a in present and b in present]


def load_distance(path: Path | None) -> dict[str, dict]:
    """preset -> distance.json's row (empty without a file)."""
    if path is None:
        return {}
    return {d["teacher"]: d for d in json.loads(path.read_text())["distances"]}


def distance_table(arms: list[TeacherArm], distance: dict[str, dict]) -> str:
    headers = ["teacher", "preset", *(f"{m} L1-4" for m in ACCURACY), "greedy gap", "pass@1 gap", "KL(T‖S)", "KL(S‖T)",
               "greedy differ"]
    rows = []
    for t in TEACHERS:
        seeds = [s for a in arms if a.teacher == t for s in a.seeds]
        if not seeds:
            continue
        d = distance.get(PRESETS[t], {})
        acc = seeds[0].teacher_accuracy  # one build: the same in every run
        levels = [" ".join(f"{acc[lv][m]:.2f}" for lv in sorted(acc)) for m in ACCURACY]
        gaps = [_mean_std([s.gap[m] for s in seeds], 100.0, signed=True) for m in ACCURACY]
        kls = [f"{d[k]:.3f}" if k in d else "—" for k in ("kl_teacher_student", "kl_student_teacher", "greedy_disagreement")]
        rows.append([t, PRESETS[t], *levels, *gaps, *kls])
    return markdown_table(headers, rows, right=set(range(4, len(headers))))


def quality_table(arms: list[TeacherArm]) -> str:
    headers = ["arm", *QUALITY]
    rows = [[a.name] + [_mean_std([s.quality[k] for s in a.seeds]) for k in QUALITY] for a in arms]
    return markdown_table(headers, rows, right=set(range(1, len(headers))))


def level_table(arms: list[TeacherArm]) -> str:
    headers = ["arm"] + [f"L{k} {h}" for k in LEVELS for h in ("share", "label acc", "reward var")]
    rows = []
    for a in arms:
        row = [a.name]
        for k in LEVELS:
            row += [_mean_std([s.levels[k].share if k in s.levels else 0.0 for s in a.seeds]),
                    _mean_std([s.levels[k].label_accuracy for s in a.seeds if k in s.levels]),
                    _mean_std([s.result.signals[k].reward_variance for s in a.seeds if k in s.result.signals])]
        rows.append(row)
    return markdown_table(headers, rows, right=set(range(1, len(headers))))


def overall_gains(arms: list[TeacherArm]) -> dict[str, list[float]]:
    return {a.name: [s.result.gains[OVERALL] for s in a.seeds] for a in arms}


def paired_differences(a: TeacherArm, b: TeacherArm) -> list[float]:
    """a's overall gain minus b's, seed by seed, over the seeds both ran: arms of one seed share
    the step-0 evaluation and the evaluation's random draws, so the seed's own noise cancels."""
    gb = {s.seed: s.result.gains[OVERALL] for s in b.seeds}
    return [s.result.gains[OVERALL] - gb[s.seed] for s in a.seeds if s.seed in gb]


def seed_table(arms: list[TeacherArm]) -> str:
    rows = [[a.name, ", ".join(f"{s.seed}: {100 * s.result.gains[OVERALL]:+.1f}" for s in a.seeds)] for a in arms]
    return markdown_table(["arm", "overall gain per seed (seed: points)"], rows)


def contrast_table(arms: list[TeacherArm]) -> str:
    overall = overall_gains(arms)
    by_name = {a.name: a for a in arms}
    rows = []
    for a, b in contrasts(set(overall)):
        paired = paired_differences(by_name[a], by_name[b])
        rows.append([f"{a} − {b}", fmt_points(effect(overall[a], overall[b])),
                     f"{fmt_points(effect(paired, [0.0]))} (n={len(paired)})"])
    headers = ["overall gain, contrast", "points: diff ± se [95% bootstrap]", "paired by seed: mean diff ± se [95% bootstrap]"]
    return markdown_table(headers, rows, right={1, 2})


def as_level_arms(arms: list[TeacherArm]) -> list[Arm]:
    return [Arm(a.name, [s.result for s in a.seeds]) for a in arms]


def tables(arms: list[TeacherArm], distance: dict[str, dict], name: str) -> str:
    return "\n".join([
        "Teacher minus student (accuracy gaps in points, mean over levels 1-4, from role_models.json; "
        "KL in nats per answer token on the solver's probe set, from distance.json):\n",
        distance_table(arms, distance),
        f"Gain in held-out {name} (points, the evaluation at the step shown minus step 0; mean ± std over seeds):\n",
        gain_table(as_level_arms(arms), name),
        "The overall gain seed by seed:\n",
        seed_table(arms),
        "Training data per arm (means over steps 1 to the step shown; mean ± std over seeds):\n",
        quality_table(arms),
        "Per level of the teacher's valid problems: their share, the labels' accuracy (label = ground truth) and "
        "the solver's reward variance per problem (mean ± std over seeds):\n",
        level_table(arms),
        f"Contrasts of the overall {name} gain (points):\n",
        contrast_table(arms),
    ])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sweep_dirs", nargs="+", help="one or more multirun dirs")
    p.add_argument("--distance", type=Path, help="scripts/distance.py's JSON (the KL columns)")
    p.add_argument("--name", default="pass@1", help="eval metric per level: pass@1, greedy, maj@4")
    p.add_argument("--step", type=int, help="read the evaluation at this step (default: each job's last)")
    p.add_argument("--out", type=Path, help="also write the tables to this markdown file")
    args = p.parse_args(argv)
    arms, left_out = load_teacher_arms(args.sweep_dirs, args.name, args.step)
    if left_out:
        names = ", ".join(f"{j.run.path.parent.name}/{j.run.path.name} ({' '.join(j.setting)} seed={j.seed})" for j in left_out)
        print(f"left out, not evaluated after step 0 or at the step asked (running or stopped early): {names}\n",
              file=sys.stderr)
    text = tables(arms, load_distance(args.distance), args.name)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
