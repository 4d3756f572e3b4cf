"""The generations study's plots: a measure per generation for each arm, mean ± std over chains,
drawn by the project's sweep plot (``selfplay.inspect.compare_plot.plot_metric``) with the
generation in place of the step.

    python experiments/generations/scripts/gen_plot.py ROOT --out-dir DIR
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from chains import Chain, load_chains  # noqa: E402
from gen_table import MEASURES, Measure  # noqa: E402

from selfplay.inspect.compare_plot import plot_metric  # noqa: E402
from selfplay.inspect.sweep import Job  # noqa: E402

# file name -> the measure it plots (gen_table.MEASURES' labels)
PLOTS = {
    "tail_share.png": "tail share, own (pts)",
    "distinct_problems.png": "distinct problems a step, own",
    "held_out_pass_at_1.png": "held-out pass@1 (pts)",
}


def generation_jobs(chains: list[Chain], m: Measure) -> list[Job]:
    """One pseudo-job per chain whose 'steps' are its generations (all the plot reads)."""
    return [
        Job(c.num, None, (f"+arm={c.arm}",), str(c.num),  # type: ignore[arg-type]  # no run dir is read
            pd.DataFrame({"step": [g.index for g in c.generations],
                          m.label: [m.read(g) * m.scale for g in c.generations]}))
        for c in chains if c.generations
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("root")
    p.add_argument("--out-dir", type=Path, required=True)
    args = p.parse_args(argv)
    chains = load_chains(args.root)
    measures = {m.label: m for m in MEASURES}
    for name, label in PLOTS.items():
        fig = plot_metric(generation_jobs(chains, measures[label]), label)
        ax = fig.axes[0]
        ax.set_xlabel("generation")
        ax.set_title(f"{label} per generation: mean ± std over chains", loc="left", fontsize=11)
        fig.savefig(args.out_dir / name, dpi=120)
        print(args.out_dir / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
