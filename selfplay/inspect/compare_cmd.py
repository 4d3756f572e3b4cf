"""`compare` subcommand: a Hydra sweep as a table of settings (mean ± std over seeds) + a plot."""
from __future__ import annotations

import argparse
import shutil
from dataclasses import dataclass
from pathlib import Path

from .instrument_metrics import HEADLINE
from .metrics import eval_columns, short_name
from .rundir import InspectError
from .sweep import Job, Setting, common_overrides, final_and_best, group_jobs, load_jobs, setting_label
from .textfmt import Col, fmt_mean_std, markdown_table, render_wrapped


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare", help="compare the settings of a Hydra multirun sweep over seeds",
        description="Group the jobs of a Hydra multirun dir by their overrides minus seed=, and report "
        "final (last logged) and best (max over steps) eval metrics as mean ± std (ddof=1) over seeds.",
    )
    p.add_argument("sweep_dir")
    p.add_argument("--metric", default="eval/solver_pass@1",
                   help="metric to plot (default eval/solver_pass@1)")
    p.add_argument("--metrics", nargs="+", metavar="M",
                   help="table columns (default: every eval/* metric)")
    p.add_argument("--instruments", action="store_true",
                   help="add the headline instrument metrics the jobs logged (drift, skills, diversity)")
    p.add_argument("--out-plot", type=Path, metavar="FILE", help="plot of --metric over steps (.png or .svg)")
    p.add_argument("--out-table", type=Path, metavar="FILE.md", help="write the table as markdown")
    p.set_defaults(func=run)


@dataclass(frozen=True)
class Comparison:
    headers: list[str]
    rows: list[list[str]]
    common: Setting
    skipped: list[Job]  # jobs without metrics


def compare(jobs: list[Job], metrics: list[str]) -> Comparison:
    groups = group_jobs(jobs)
    common = common_overrides(list(groups))
    headers = ["setting", "seeds", "last step"]
    for m in metrics:
        headers += [f"{short_name(m)} final", f"{short_name(m)} best"]
    rows = []
    for setting, members in groups.items():
        logged = [j for j in members if j.metrics is not None]
        last_steps = sorted({int(j.metrics["step"].max()) for j in logged})
        span = "" if not last_steps else (str(last_steps[0]) if len(last_steps) == 1
                                          else f"{last_steps[0]}–{last_steps[-1]}")
        row = [setting_label(setting, common), str(len(logged)), span]
        for m in metrics:
            final, best = final_and_best(logged, m)
            row += [fmt_mean_std(final.mean, final.std), fmt_mean_std(best.mean, best.std)]
        rows.append(row)
    return Comparison(headers, rows, common, [j for j in jobs if j.metrics is None])


def _available(jobs: list[Job]) -> list[str]:
    cols: dict[str, None] = {}
    for j in jobs:
        if j.metrics is not None:
            cols.update(dict.fromkeys(eval_columns(j.metrics)))
    return list(cols)


def run(args: argparse.Namespace) -> int:
    jobs = load_jobs(args.sweep_dir)
    available = _available(jobs)
    metrics = args.metrics or available
    if args.instruments:
        logged_any = {c for j in jobs if j.metrics is not None for c in j.metrics.columns}
        metrics = metrics + [m for m in HEADLINE if m in logged_any and m not in metrics]
    logged = {c for j in jobs if j.metrics is not None for c in j.metrics.columns}
    unknown = [m for m in metrics + [args.metric] if m not in logged]
    if unknown:
        raise InspectError(f"metric(s) not logged by any job: {unknown}; eval metrics: {available}")
    result = compare(jobs, metrics)
    right = set(range(1, len(result.headers)))
    print(f"sweep: {args.sweep_dir}  ({len(jobs)} jobs)")
    if result.common:
        print("all settings: " + " ".join(result.common))
    print("values: mean ± std over seeds; final = last logged value, best = max over steps\n")
    cols = [Col(h, align=">" if i in right else "<") for i, h in enumerate(result.headers)]
    width = shutil.get_terminal_size(fallback=(160, 40)).columns
    print(render_wrapped(cols, result.rows, width, keep=2))
    for j in result.skipped:
        print(f"note: job {j.num} ({j.run.path}) has no metrics; left out")
    if args.out_table:
        args.out_table.write_text(markdown_text(args.sweep_dir, result))
        print(f"wrote {args.out_table}")
    if args.out_plot:
        fmt = args.out_plot.suffix.lstrip(".").lower()
        if fmt not in ("png", "svg", "pdf"):
            raise InspectError(f"--out-plot: use a .png, .svg or .pdf file name, got {args.out_plot}")
        from .compare_plot import plot_metric  # matplotlib only when a plot is asked for

        plot_metric(jobs, args.metric).savefig(args.out_plot, format=fmt, dpi=150, bbox_inches="tight")
        print(f"wrote {args.out_plot}")
    return 0


def markdown_text(sweep_dir: str, result: Comparison) -> str:
    head = f"Sweep `{sweep_dir}`"
    if result.common:
        head += "; all settings: " + " ".join(f"`{o}`" for o in result.common)
    head += ".\n\nMean ± std (ddof=1) over seeds; final = last logged value, best = max over steps.\n\n"
    return head + markdown_table(result.headers, result.rows, right=set(range(1, len(result.headers))))
