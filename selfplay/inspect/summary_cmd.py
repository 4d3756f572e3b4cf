"""`summary` subcommand: what ran, last and best eval, and a per-step table of key metrics."""
from __future__ import annotations

import argparse

import pandas as pd

from .instrument_metrics import instruments_table
from .keymetrics import key_columns
from .kinds import default_window, vanished_text
from .metrics import best_value, eval_columns, last_value, load_metrics, short_name
from .rollouts import rollout_files
from .rundir import RunDir, open_run, read_overrides
from .sources import role_model_facts, sources_facts
from .textfmt import Col, fmt_num, render_table


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("summary", help="run overview: steps, last/best eval, per-step metrics",
                       description="Overview of one run directory.")
    p.add_argument("run_dir")
    p.add_argument("--every", type=int, default=1, metavar="K",
                   help="per-step table: every K-th step (eval steps and the last step always shown)")
    p.add_argument("--window", type=int, default=None, metavar="K",
                   help="instruments and vanished kinds: compare the first K steps with the last K "
                        "(default: a fifth of the run)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(summary_text(open_run(args.run_dir), max(1, args.every), args.window))
    return 0


def eval_table(df: pd.DataFrame) -> str:
    rows = []
    for c in eval_columns(df):
        last, best = last_value(df, c), best_value(df, c)
        if last is None:
            continue
        rows.append([short_name(c), fmt_num(last[1]), str(last[0]), fmt_num(best[1]), str(best[0])])
    cols = [Col("eval"), Col("last", align=">"), Col("@step", align=">"),
            Col("best", align=">"), Col("@step", align=">")]
    return render_table(cols, rows) if rows else "(no eval metrics logged)"


def step_table(df: pd.DataFrame, every: int) -> str:
    keys = key_columns(df)
    if not keys:
        return "(no key metrics logged)"
    evals = df[[c for c in eval_columns(df)]].notna().any(axis=1) if eval_columns(df) else False
    keep = (df["step"] % every == 0) | evals | (df["step"] == df["step"].max())
    rows = [[str(int(r["step"]))] + [fmt_num(r[c]) for _, c in keys] for _, r in df[keep].iterrows()]
    cols = [Col("step", align=">")] + [Col(label, align=">") for label, _ in keys]
    return render_table(cols, rows)


def summary_text(run: RunDir, every: int = 1, window: int | None = None) -> str:
    lines = [f"run: {run.path}"]
    overrides = read_overrides(run)
    lines.append("overrides: " + (" ".join(overrides) if overrides else "(none)"))
    files = list(rollout_files(run))
    df = load_metrics(run) if run.metrics_path.exists() else None
    lines += [f"{k}: {v}" for k, v in sources_facts(df) + role_model_facts(run)]
    if df is not None and not df.empty:
        lines.append(f"metrics: steps {df['step'].min()}–{df['step'].max()} ({len(df)} logged)")
    lines.append(f"rollouts: steps {files[0]}–{files[-1]} ({len(files)} files)" if files
                 else "rollouts: none")
    if df is None or df.empty:
        return "\n".join(lines + ["(no metrics logged)"])
    window = max(1, window or default_window(run))
    parts = [eval_table(df), step_table(df, every), instruments_table(df, window), vanished_text(run, window)]
    return "\n".join(lines) + "\n\n" + "\n\n".join(parts)
