"""The kl_drift study's tables (and its scatter plot), regenerated from the two multiruns.

    python experiments/kl_drift/scripts/kl_table.py PHASE1_SWEEP PHASE2_SWEEP [--name pass@1]
        [--out FILE.md] [--plot FILE.png] [--control PHASE2_COMMON_SWEEP [--control-plot FILE.png]]

Per arm (KL coefficient): phase 1's drift from the base model at its last evaluation and its
gains; phase 2's gain on its mix (held-out levels 3-4) at its middle and last evaluations, the
area under that gain curve, and its change on levels 1-2 and overall. Then the correlation of
phase-2 learning with phase-1 drift across all runs (bootstrap over runs, permutation test),
also within arms (drift and gain centred on their arm's means), and the arms' contrasts
(difference of means ± se, 95% bootstrap over seeds).

--control adds the same tables for the control's phase 2 (one KL coefficient for every arm, from
the same phase-1 runs; its arms are phase 1's KL), and each arm's phase-2 gain at its own KL minus
at the common one, paired by phase-1 run (the same weights handed over).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from statistics import mean, stdev

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "difficulty_levels" / "scripts"))  # effects.py

from effects import effect, fmt_points  # noqa: E402
from kl_pairs import Pair, load_pairs  # noqa: E402
from kl_stats import centred, correlation, fmt  # noqa: E402

from selfplay.inspect.textfmt import markdown_table  # noqa: E402

GAINS = (("P1 gain L1-2", "p1_gain_known"), ("P1 gain L3-4", "p1_gain_target"),
         ("P2 gain L3-4, mid", "p2_gain_mid"), ("P2 gain L3-4", "p2_gain"), ("P2 AUC L3-4", "p2_auc"),
         ("P2 change L1-2", "p2_gain_known"), ("P2 change overall", "p2_gain_overall"))
# (phase-2 learning measure, phase-1 drift measure) correlated across runs
CORRELATIONS = (("p2_gain", "drift_kl"), ("p2_gain_mid", "drift_kl"), ("p2_auc", "drift_kl"),
                ("p2_gain", "drift_changed"), ("p2_gain_overall", "drift_kl"),
                ("p2_gain", "p2_drift_kl"))  # the confound: phase 2's own drift under the same KL


def arms(pairs: list[Pair]) -> dict[float, list[Pair]]:
    out: dict[float, list[Pair]] = {}
    for p in sorted(pairs, key=lambda p: (p.kl, p.seed)):
        out.setdefault(p.kl, []).append(p)
    return out


def _ms(xs: list[float], scale: float, digits: int, signed: bool) -> str:
    m = mean(xs) * scale
    text = f"{m:+.{digits}f}" if signed else f"{m:.{digits}f}"
    return text if len(xs) < 2 else f"{text} ± {stdev(xs) * scale:.{digits}f}"


def arm_table(pairs: list[Pair], label: str = "KL coef") -> str:
    headers = [label, "seeds", "P1 kl_to_base", "P1 changed_vs_base"] + [h for h, _ in GAINS] + ["P2 own drift"]
    rows = []
    for kl, members in arms(pairs).items():
        row = [f"{kl:g}", str(len(members)), _ms([p.drift_kl for p in members], 1.0, 4, False),
               _ms([p.drift_changed for p in members], 1.0, 3, False)]
        row += [_ms([getattr(p, f) for p in members], 100.0, 1, True) for _, f in GAINS]
        row.append(_ms([p.p2_drift_kl for p in members], 1.0, 4, False))
        rows.append(row)
    return markdown_table(headers, rows, right=set(range(1, len(headers))))


def run_table(pairs: list[Pair], label: str = "KL coef") -> str:
    headers = ["job", label, "seed", "P1 kl_to_base", "P1 changed", "P2 steps (mid, last)",
               "P2 gain L3-4 mid", "P2 gain L3-4", "P2 AUC L3-4", "P2 own drift"]
    rows = [[str(p.num), f"{p.kl:g}", p.seed, f"{p.drift_kl:.4f}", f"{p.drift_changed:.3f}",
             f"{p.p2_steps[0]}, {p.p2_steps[1]}", f"{100 * p.p2_gain_mid:+.1f}", f"{100 * p.p2_gain:+.1f}",
             f"{100 * p.p2_auc:+.1f}", f"{p.p2_drift_kl:.4f}"] for p in sorted(pairs, key=lambda p: p.num)]
    return markdown_table(headers, rows, right=set(range(1, len(headers))))


def correlation_table(pairs: list[Pair]) -> str:
    groups = [p.kl for p in pairs]
    rows = []
    for y, x in CORRELATIONS:
        xs, ys = [getattr(p, x) for p in pairs], [getattr(p, y) for p in pairs]
        rows.append([f"{y} vs {x}", "all runs", fmt(correlation(xs, ys))])
        if y == "p2_gain":
            rows.append([f"{y} vs {x}", "within arms", fmt(correlation(centred(xs, groups), centred(ys, groups)))])
    return markdown_table(["phase-2 learning vs phase-1 drift", "runs", "Pearson r [95% bootstrap over runs]"], rows)


def contrast_table(pairs: list[Pair], label: str = "KL") -> str:
    """Each arm minus the no-KL arm (the most drift), on phase 2's gain and its mid-way gain."""
    by_kl = arms(pairs)
    low = min(by_kl)
    rows = [[f"{label} {kl:g} − {label} {low:g}",
             fmt_points(effect([p.p2_gain for p in by_kl[kl]], [p.p2_gain for p in by_kl[low]])),
             fmt_points(effect([p.p2_gain_mid for p in by_kl[kl]], [p.p2_gain_mid for p in by_kl[low]]))]
            for kl in by_kl if kl != low]
    return markdown_table(["contrast", "P2 gain L3-4 (points)", "P2 gain L3-4 mid-way (points)"], rows, right={1, 2})


def own_vs_common_table(own: list[Pair], common: list[Pair]) -> str:
    """Per arm: phase 2's gain at the arm's own KL minus at the common KL, from the same phase-1
    run (paired by job number), mean ± se [95% bootstrap over the pairs]."""
    by_num = {p.num: p for p in common}
    rows = []
    for kl, members in arms([p for p in own if p.num in by_num]).items():
        twins = [by_num[p.num] for p in members]
        row = [f"{kl:g}", str(len(members))]
        for field in ("p2_gain", "p2_gain_mid", "p2_drift_kl"):
            a, b = [getattr(p, field) for p in members], [getattr(p, field) for p in twins]
            diff = effect([x - y for x, y in zip(a, b)], [0.0])
            if field == "p2_drift_kl":
                row += [_ms(a, 1.0, 4, False), _ms(b, 1.0, 4, False), f"{diff.diff:+.4f} ± {diff.se:.4f}"]
            else:
                row += [_ms(a, 100.0, 1, True), _ms(b, 100.0, 1, True), fmt_points(diff)]
        rows.append(row)
    headers = ["P1 KL coef", "pairs", "P2 gain, own KL", "P2 gain, common KL", "own − common (points)",
               "P2 gain mid, own KL", "P2 gain mid, common KL", "own − common, mid (points)",
               "P2 own drift, own KL", "P2 own drift, common KL", "own − common, drift"]
    return markdown_table(headers, rows, right=set(range(1, len(headers))))


def _kls(pairs: list[Pair]) -> str:
    return ", ".join(sorted({"?" if p.p2_kl is None else f"{p.p2_kl:g}" for p in pairs}))


def tables(pairs: list[Pair], name: str, label: str = "KL coef", short: str = "KL") -> list[str]:
    return [
        f"Per arm ({name}; drift at phase 1's last evaluation; gains in points, an evaluation minus "
        "the same run's phase step 0; P2 own drift: phase 2's kl_to_base at its end, to its own starting "
        "weights; mean ± std over seeds):\n",
        arm_table(pairs, label),
        "Per run:\n",
        run_table(pairs, label),
        "Phase-2 learning against phase-1 drift, across runs:\n",
        correlation_table(pairs),
        "Contrasts of phase 2's gain on levels 3-4 (difference of means ± se [95% bootstrap over seeds]):\n",
        contrast_table(pairs, short),
    ]


def scatter(pairs: list[Pair], path: Path, label: str = "KL", heading: str | None = None) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, field, title in ((axes[0], "p2_gain", "last evaluation"), (axes[1], "p2_gain_mid", "middle evaluation")):
        for kl, members in arms(pairs).items():
            ax.scatter([p.drift_kl for p in members], [100 * getattr(p, field) for p in members],
                       label=f"{label} {kl:g}")
        xs = np.array([p.drift_kl for p in pairs])
        ys = np.array([100 * getattr(p, field) for p in pairs])
        if xs.std() > 0:
            a, b = np.polyfit(xs, ys, 1)
            grid = np.linspace(xs.min(), xs.max(), 2)
            ax.plot(grid, a * grid + b, "k--", lw=1, label="least squares")
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_xlabel("phase-1 drift: drift/solver/kl_to_base at its last evaluation")
        ax.set_ylabel("phase-2 gain, levels 3-4 pass@1 (points)")
        ax.set_title(f"phase-2 gain at its {title}")
    axes[0].legend(fontsize=8)
    if heading:
        fig.suptitle(heading)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("phase1_dir")
    p.add_argument("phase2_dir")
    p.add_argument("--name", default="pass@1", help="eval metric per level: pass@1, greedy, maj@4")
    p.add_argument("--out", type=Path, help="also write the tables to this markdown file")
    p.add_argument("--plot", type=Path, help="write the scatter of phase-2 gain against phase-1 drift")
    p.add_argument("--control", help="the control's phase-2 sweep: one KL coefficient for every arm")
    p.add_argument("--control-plot", type=Path, help="the same scatter for the control's phase 2")
    args = p.parse_args(argv)
    pairs, left_out = load_pairs(args.phase1_dir, args.phase2_dir, args.name)
    if left_out:
        print(f"left out, a phase missing or not evaluated after step 0: jobs {left_out}\n", file=sys.stderr)
    parts = tables(pairs, args.name)
    if args.control:
        control, left = load_pairs(args.phase1_dir, args.control, args.name)
        if left:
            print(f"control: left out, a phase missing or not evaluated after step 0: jobs {left}\n",
                  file=sys.stderr)
        parts += [f"\n## Control: phase 2 at one KL coefficient ({_kls(control)}) for every arm; "
                  "the arms are phase 1's KL coefficient\n"]
        parts += tables(control, args.name, "P1 KL coef", "P1 KL")
        parts += ["Phase 2 at the arm's own KL minus phase 2 at the common KL, from the same phase-1 run "
                  "(paired by job; gains in points, mean ± std over seeds; differences mean ± se "
                  "[95% bootstrap over the pairs]):\n", own_vs_common_table(pairs, control)]
        if args.control_plot:
            scatter(control, args.control_plot, "P1 KL", f"control: phase 2 at KL {_kls(control)} for every arm")
    text = "\n".join(parts)
    print(text)
    if args.out:
        args.out.write_text(text)
    if args.plot:
        scatter(pairs, args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
