"""The too_hard study's tables, regenerated from the multirun's run directories.

    python experiments/too_hard/scripts/too_hard_table.py SWEEP_DIR [--step N] [--out FILE.md]

Prints (markdown): per arm the change of the skill and shortcut metrics and of held-out
accuracy from step 0, with the label accuracy of the training problems; the metrics over the
evaluated steps; and the contrasts of the claim (level_4 against the uniform mix with and
without the KL anchor, and the difference of the two: does the anchor stop the effect?).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from statistics import mean, stdev

sys.path.insert(0, str(Path(__file__).parent))

from interaction import interaction  # noqa: E402
from too_hard_arms import BASE_SOLVED, GREEDY, PASS1, SIGNATURES, SKILLS, Arm, load_arms  # noqa: E402

from effects import BOOTSTRAP_DRAWS, Effect, effect, fmt_points  # noqa: E402  (difficulty_levels/scripts, on the path now)
from selfplay.inspect.sweep import curve  # noqa: E402
from selfplay.inspect.textfmt import fmt_mean_std, markdown_table  # noqa: E402

HARD, MIX = "level_4", "uniform"
SHORT = {BASE_SOLVED: "base-solved acc", "skills/answer_length_ratio": "length ratio",
         "skills/top_answer_share": "top answer", "skills/repeated_answer_share": "repeated",
         "skills/copied_operand_fraction": "copied operand", PASS1: "pass@1", GREEDY: "greedy"}
CHANGED = (*SKILLS, PASS1, GREEDY)
# What the claim predicts for each change under level_4 against the mix ("falls" / "rises").
PREDICTED = {BASE_SOLVED: "falls", **{c: "falls" if s < 0 else "rises" for c, s in SIGNATURES.items()}}


def _points(xs: list[float]) -> str:
    xs = [100 * x for x in xs if x == x]  # NaN: not measured for that seed
    if not xs:
        return "—"
    return f"{mean(xs):+.1f}" + (f" ± {stdev(xs):.1f}" if len(xs) > 1 else "")


def _plain(xs: list[float]) -> str:
    xs = [x for x in xs if x == x]
    return fmt_mean_std(mean(xs), stdev(xs) if len(xs) > 1 else float("nan")) if xs else "—"


def change_table(arms: list[Arm]) -> str:
    headers = ["arm", "seeds", "step", *(SHORT[c] for c in CHANGED), "label acc", "L4 label acc"]
    rows = [[a.name, str(len(a.seeds)), "/".join(sorted({str(s.last_step) for s in a.seeds}))]
            + [_points([s.changes[c] for s in a.seeds]) for c in CHANGED]
            + [_plain([s.label_accuracy for s in a.seeds]), _plain([s.hard_label_accuracy for s in a.seeds])]
            for a in arms]
    return markdown_table(headers, rows, right=set(range(1, len(headers))))


def base_table(arms: list[Arm]) -> str:
    """The step-0 values (the base model; greedy, so the same for every arm and seed)."""
    seeds = [s for a in arms for s in a.seeds]
    return markdown_table([SHORT[c] for c in SKILLS], [[_plain([s.base[c] for s in seeds]) for c in SKILLS]],
                          right=set(range(len(SKILLS))))


def curve_table(arms: list[Arm]) -> str:
    """Mean over seeds of each skill metric at every evaluated step, per arm."""
    rows = []
    for arm in arms:
        curves = {c: curve(arm.jobs, c) for c in SKILLS}
        for step in curves[BASE_SOLVED].index:
            rows.append([arm.name, str(int(step))] + [fmt_mean_std(curves[c]["mean"].get(step, float("nan")), float("nan"))
                                                      for c in SKILLS])
    return markdown_table(["arm", "step", *(SHORT[c] for c in SKILLS)], rows, right=set(range(1, 2 + len(SKILLS))))


def _find(arms: list[Arm], source: str, anchored: bool) -> Arm | None:
    return next((a for a in arms if a.source == source and (a.kl > 0) == anchored), None)


def contrasts(arms: list[Arm], metric: str, draws: int = BOOTSTRAP_DRAWS) -> list[tuple[str, Effect]]:
    """level_4 − uniform with the anchor and without it, the anchor's own effect on each source,
    and the difference of the level_4 − uniform contrasts (no KL minus KL)."""
    def xs(arm: Arm) -> list[float]:
        return [s.changes[metric] for s in arm.seeds if s.changes[metric] == s.changes[metric]]

    hk, mk, hn, mn = (_find(arms, HARD, True), _find(arms, MIX, True), _find(arms, HARD, False), _find(arms, MIX, False))
    out = []
    for a, b in ((hk, mk), (hn, mn), (hn, hk), (mn, mk)):
        if a and b:
            out.append((f"{a.name} − {b.name}", effect(xs(a), xs(b), draws=draws)))
    if hk and mk and hn and mn:
        out.append((f"({hn.name} − {mn.name}) − ({hk.name} − {mk.name})", interaction(xs(hn), xs(mn), xs(hk), xs(mk), draws=draws)))
    return out


def contrast_table(arms: list[Arm], draws: int = BOOTSTRAP_DRAWS) -> str:
    rows = []
    for metric in CHANGED:
        for label, e in contrasts(arms, metric, draws):
            predicted = PREDICTED.get(metric, "") if label.startswith(HARD) and label.count(HARD) == 1 else ""
            rows.append([SHORT[metric], label, fmt_points(e), predicted])
    return markdown_table(["change of", "contrast", "points: diff ± se [95% bootstrap]", "claim: level_4 vs mix"],
                          rows, right={2})


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sweep_dir")
    p.add_argument("--step", type=int, help="read the evaluation at this step (default: each job's last)")
    p.add_argument("--out", type=Path, help="also write the tables to this markdown file")
    p.add_argument("--draws", type=int, default=BOOTSTRAP_DRAWS, help="bootstrap draws per contrast")
    args = p.parse_args(argv)
    arms, left_out = load_arms(args.sweep_dir, args.step)
    if left_out:
        names = ", ".join(f"{j.run.path.name} ({' '.join(j.setting)} seed={j.seed})" for j in left_out)
        at = "after step 0" if args.step is None else f"at step {args.step}"
        print(f"left out, no evaluation {at} (running or stopped early): {names}\n", file=sys.stderr)
    text = "\n".join([
        "Change from step 0 (points: the evaluation at the step shown minus the same seed's step 0, x100; "
        "held-out greedy answers for the skill metrics, pass@1 at T=1 and greedy accuracy overall; "
        "label accuracy of the majority labels trained on, steps 1 to the step shown; mean ± std over seeds):\n",
        change_table(arms),
        "Step 0 (the base model's greedy answers on the held-out problems, every arm and seed):\n",
        base_table(arms),
        "Over the evaluated steps (mean over seeds):\n",
        curve_table(arms),
        "Contrasts of the changes (points):\n",
        contrast_table(arms, args.draws),
    ])
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
