"""The HTML report of one run: overview, plots (inline SVG), sample rollouts, config.

Self-contained by construction: no scripts, no external resources, and a CSP that forbids both.
"""
from __future__ import annotations

import pandas as pd

from .html import details, esc, num, page, table, text_block
from .keymetrics import TRAIN_KEYS
from .kinds import vanished
from .metrics import best_value, eval_columns, last_value, load_metrics, short_name
from .plots import agreement_figure, line_figure, metric_panels, problem_agreement
from .problems import link_problems
from .rollouts import RolloutQuery, load_rollouts, rollout_files
from .rundir import InspectError, RunDir, read_config_text, read_overrides
from .samples import pick_problems, problem_card, sample_steps
from .sources import role_model_facts, sources_facts
from .svg import figure_to_svg


def _boxed(title: str, inner: str) -> str:
    return f"<div><h3>{esc(title)}</h3>{inner}</div>"


def _overview(run: RunDir, df: pd.DataFrame | None, steps: list[int]) -> str:
    overrides = "<br>".join(f"<code>{esc(o)}</code>" for o in read_overrides(run)) or "(none)"
    facts = [["directory", f"<code>{esc(run.path.resolve())}</code>"], ["overrides", overrides]]
    for k, v in sources_facts(df) + role_model_facts(run):
        facts.append([esc(k), f"<b>{esc(v)}</b>" if k == "labels" else esc(v)])
    if df is not None and not df.empty:
        span = f"steps {esc(df['step'].min())}–{esc(df['step'].max())}"
        facts.append(["metrics", f"{span} ({len(df)} logged)"])
    facts.append(["rollouts", f"steps {steps[0]}–{steps[-1]} ({len(steps)} files)" if steps else "none"])
    boxes = [_boxed("Run", table(["", "value"], facts))]
    if df is not None and not df.empty:
        evals = []
        for c in eval_columns(df):
            last, best = last_value(df, c), best_value(df, c)
            if last and best:
                evals.append([esc(short_name(c)), num(last[1]), esc(last[0]), num(best[1]), esc(best[0])])
        if evals:
            headers = ["metric", "last", "at step", "best", "at step"]
            boxes.append(_boxed("Eval", table(headers, evals, "nums")))
        latest = [[esc(c), num(v[1]), esc(v[0])] for _, c in TRAIN_KEYS if (v := last_value(df, c))]
        if latest:
            latest_table = table(["metric", "value", "at step"], latest, "nums")
            boxes.append(_boxed("Latest training metrics", latest_table))
    if steps:
        gone, window, source = vanished(run)
        rows = [[esc(v.kind), num(v.early_count), num(v.early_share), esc(v.last_seen)] for v in gone]
        inner = (table(["kind", "early n", "early share", "last seen"], rows, "nums") if rows else "<p>none</p>")
        note = f'<p class="muted">first {window} vs last {window} steps; kinds from the {esc(source)}</p>'
        boxes.append(_boxed("Vanished problem kinds", note + inner))
    return f'<div class="row">{"".join(boxes)}</div>'


def _plots(run: RunDir, df: pd.DataFrame | None, steps: list[int]) -> str:
    figures, missing = [], []
    if steps:
        cols = ["step", "role", "group_id", "agreement"]
        try:
            fig = agreement_figure(problem_agreement(load_rollouts(run, RolloutQuery(), cols)))
        except InspectError:  # rollouts without those columns: still report the rest
            fig = None
        if fig is None:
            missing.append("agreement rate distribution")
        else:
            figures.append(f'<figure class="wide">{figure_to_svg(fig, "fig-agreement")}</figure>')
    for i, panel in enumerate(metric_panels(df) if df is not None else []):
        fig = line_figure(df, panel)
        if fig is None:
            missing.append(panel.title)
        else:
            figures.append(f"<figure>{figure_to_svg(fig, f'fig{i}')}</figure>")
    note = f'<p class="muted">No data for: {esc(", ".join(missing))}.</p>' if missing else ""
    return f'<div class="plots">{"".join(figures)}</div>{note}' if figures else "<p>No data to plot.</p>"


def _samples(run: RunDir, steps: list[int], k: int) -> str:
    parts = []
    for label, step in sample_steps(steps):
        views = link_problems(load_rollouts(run, RolloutQuery(first_step=step, last_step=step)))
        cards = "".join(problem_card(v) for v in pick_problems(views, k))
        parts.append(f"<h3>{esc(label.capitalize())}: step {esc(step)}</h3>{cards or '<p>(empty)</p>'}")
    return "".join(parts) or "<p>No rollouts logged.</p>"


def build_report(run: RunDir, problems_per_step: int = 3) -> str:
    df = load_metrics(run) if run.metrics_path.exists() else None
    steps = list(rollout_files(run))
    config = read_config_text(run)
    body = (
        f"<h1>selfplay run report</h1><p class=\"muted\">{esc(run.path.name)}</p>"
        '<nav><a href="#overview">Overview</a><a href="#plots">Plots</a>'
        '<a href="#samples">Sample rollouts</a><a href="#config">Config</a></nav>'
        f'<h2 id="overview">Overview</h2>{_overview(run, df, steps)}'
        f'<h2 id="plots">Plots</h2>{_plots(run, df, steps)}'
        '<h2 id="samples">Sample rollouts</h2><p class="muted">Per sampled step: valid problems with '
        "the lowest, a middle and the highest agreement, and one invalid proposal if any. "
        "Green/red rows: solver answer right/wrong against ground truth; bold answer: the majority.</p>"
        f"{_samples(run, steps, problems_per_step)}"
        '<h2 id="config">Config</h2>'
        + (details(".hydra/config.yaml", text_block(config, "config"), open_=True) if config
           else "<p>No .hydra/config.yaml.</p>")
    )
    return page(f"selfplay report: {run.path.name}", body)
