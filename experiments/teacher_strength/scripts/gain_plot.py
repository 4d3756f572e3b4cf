"""Gain against teacher-student distance: the overall held-out gain of each arm (mean ± std
over seeds) over the teacher's accuracy gap to the student (left) and over KL(teacher ‖
student) on the probe set (right), one line per label source.

    python experiments/teacher_strength/scripts/gain_plot.py SWEEP_DIR [SWEEP_DIR ...] --distance distance.json \
        --out gain_vs_distance.png [--name pass@1] [--step N]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from statistics import mean, stdev

from matplotlib.figure import Figure

sys.path.insert(0, str(Path(__file__).resolve().parent))

from teacher_arms import LABELS, TeacherArm, load_teacher_arms  # noqa: E402
from teacher_table import PRESETS, load_distance, overall_gains  # noqa: E402

MARKERS = {"majority": "o", "teacher": "s", "oracle": "^"}
DODGE = 0.012  # the label sources' x offsets, as a share of the x span: their error bars stay apart


def _points(arms: list[TeacherArm], labels: str, x_of) -> list[tuple[float, float, float, str]]:
    """(x, mean gain, std, teacher) in points for one label source's arms with an x."""
    gains = overall_gains(arms)
    out = []
    for a in arms:
        x = x_of(a)
        if a.labels != labels or x is None:
            continue
        g = [100 * v for v in gains[a.name]]
        out.append((x, mean(g), stdev(g) if len(g) > 1 else 0.0, a.teacher))
    return sorted(out)


def gain_figure(arms: list[TeacherArm], distance: dict[str, dict], name: str) -> Figure:
    def gap(a: TeacherArm) -> float:
        return 100 * mean(s.gap["greedy"] for s in a.seeds)

    def kl(a: TeacherArm) -> float | None:
        d = distance.get(PRESETS[a.teacher])
        return d["kl_teacher_student"] if d else None

    fig = Figure(figsize=(10, 4))
    panels = [("teacher − student held-out greedy accuracy (points, mean of levels 1-4)", gap),
              ("KL(teacher ‖ student) per answer token on the probe set (nats)", kl)]
    for i, (xlabel, x_of) in enumerate(panels):
        ax = fig.add_subplot(1, 2, i + 1)
        every = [x for lab in LABELS for x, *_ in _points(arms, lab, x_of)]
        span = (max(every) - min(every)) or 1.0 if every else 1.0
        named: set[str] = set()
        for k, labels in enumerate(LABELS):
            pts = _points(arms, labels, x_of)
            if not pts:
                continue
            xs, ms, ss, names = zip(*pts)
            xs = [x + (k - 1) * DODGE * span for x in xs]
            ax.errorbar(xs, ms, yerr=ss, marker=MARKERS[labels], ms=5, capsize=3, lw=1.3, label=f"{labels} labels")
            for x, t in zip(xs, names):
                if t not in named:  # one name per teacher, under the axis' top, staggered: close x's
                    named.add(t)
                    ax.annotate(t, (x, 1.0), xycoords=("data", "axes fraction"), xytext=(0, -10 - 9 * (len(named) % 2)),
                                textcoords="offset points", fontsize=7, color="#555", ha="center")
        ax.axhline(0.0, color="#999", lw=0.6)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.set_ylabel(f"overall {name} gain (points)", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3, lw=0.5)
        ax.legend(fontsize=8, frameon=False)
    fig.suptitle(f"Held-out {name} gain vs teacher-student distance (mean ± std over seeds)", fontsize=11, x=0.01,
                 ha="left")
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sweep_dirs", nargs="+", help="one or more multirun dirs")
    p.add_argument("--distance", type=Path, help="scripts/distance.py's JSON (the right panel)")
    p.add_argument("--out", type=Path, required=True, help="the figure (.png or .svg)")
    p.add_argument("--name", default="pass@1")
    p.add_argument("--step", type=int)
    args = p.parse_args(argv)
    arms, _ = load_teacher_arms(args.sweep_dirs, args.name, args.step)
    gain_figure(arms, load_distance(args.distance), args.name).savefig(args.out, dpi=120)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
