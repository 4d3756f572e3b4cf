"""The difficulty_levels study's tables, regenerated from the multirun's run directories.

    python experiments/difficulty_levels/scripts/table.py SWEEP_DIR [--name pass@1] [--step N] [--out FILE.md]

Prints (markdown) the gain in held-out accuracy per level and overall per arm, the training
signal per trained-on level (label accuracy, reward variance), and the pre-set contrasts of
the claim on the overall gain (difference of means ± its standard error, 95% bootstrap over seeds).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from statistics import mean, stdev

sys.path.insert(0, str(Path(__file__).parent))

from arms import LEVELS, METRICS, OVERALL, Arm, load_arms  # noqa: E402
from effects import effect, fmt_points  # noqa: E402

from selfplay.inspect.textfmt import fmt_mean_std, markdown_table  # noqa: E402

# (a, b): arm a's overall gain minus arm b's ("zero": against no change).
CONTRASTS = [("level_2", "level_1"), ("level_3", "level_1"), ("level_2", "level_4"), ("level_3", "level_4"),
             ("level_2", "level_3"), ("level_1", "zero"), ("level_4", "zero"),
             ("level_2", "uniform"), ("level_3", "uniform"), ("selfplay", "uniform")]
SIGNALS = (("label acc", "label_accuracy"), ("reward var", "reward_variance"))


def arm_name(label: str) -> str:
    """'+arm=level_2' -> 'level_2' (a label of several overrides is kept whole)."""
    return label.split("=", 1)[1] if label.count("=") == 1 else label


def _mean_std(xs: list[float], scale: float = 1.0, signed: bool = False) -> str:
    xs = [x * scale for x in xs if x == x]  # NaN: not measured for that seed
    if not xs:
        return "—"
    m, s = mean(xs), (stdev(xs) if len(xs) > 1 else float("nan"))
    if scale != 1.0:
        text = f"{m:+.1f}" if signed else f"{m:.1f}"
        return text if s != s else f"{text} ± {s:.1f}"  # a lone seed has no std
    return fmt_mean_std(m, s)


def gain_table(arms: list[Arm], name: str) -> str:
    headers = ["arm", "seeds", "step"] + list(METRICS)
    rows = [[arm_name(a.label), str(len(a.seeds)), "/".join(sorted({str(s.last_step) for s in a.seeds}))]
            + [_mean_std([s.gains[c] for s in a.seeds], 100.0, signed=True) for c in METRICS] for a in arms]
    return markdown_table(headers, rows, right=set(range(1, len(headers))))


def signal_table(arms: list[Arm]) -> str:
    headers = ["arm"] + [f"L{k} {h}" for k in LEVELS for h, _ in SIGNALS]
    rows = []
    for a in arms:
        row = [arm_name(a.label)]
        for k in LEVELS:
            for _, field in SIGNALS:
                row.append(_mean_std([getattr(s.signals[k], field) for s in a.seeds if k in s.signals]))
        rows.append(row)
    return markdown_table(headers, rows, right=set(range(1, len(headers))))


def contrast_table(arms: list[Arm]) -> str:
    overall = {arm_name(a.label): [s.gains[OVERALL] for s in a.seeds] for a in arms}
    overall["zero"] = [0.0]
    rows = [[f"{a} − {b}", fmt_points(effect(overall[a], overall[b]))]
            for a, b in CONTRASTS if a in overall and b in overall]
    return markdown_table(["overall gain, contrast", "points: diff ± se [95% bootstrap]"], rows, right={1})


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sweep_dir")
    p.add_argument("--name", default="pass@1", help="eval metric per level: pass@1, greedy, maj@4")
    p.add_argument("--step", type=int, help="read the evaluation at this step (default: each job's last)")
    p.add_argument("--out", type=Path, help="also write the tables to this markdown file")
    args = p.parse_args(argv)
    arms, left_out = load_arms(args.sweep_dir, args.name, args.step)
    if left_out:
        names = ", ".join(f"{j.run.path.name} ({' '.join(j.setting)} seed={j.seed})" for j in left_out)
        at = "after step 0" if args.step is None else f"at step {args.step}"
        print(f"left out, no evaluation {at} (running or stopped early): {names}\n", file=sys.stderr)
    text = "\n".join([
        f"Gain in held-out {args.name} (points, the evaluation at the step shown minus step 0; "
        "mean ± std over seeds):\n",
        gain_table(arms, args.name),
        "Training signal per trained-on level (steps 1 to the step shown; mean ± std over seeds):\n",
        signal_table(arms),
        f"Contrasts of the overall {args.name} gain (points):\n",
        contrast_table(arms),
    ])
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
