"""Figures for the report: metric curves and the agreement-rate distribution over steps."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .metrics import headline_eval_columns, level_columns, short_name

SMOOTH_ABOVE = 30  # points; noisier series get a faint raw line plus a rolling mean


@dataclass(frozen=True)
class Panel:
    title: str
    series: tuple[tuple[str, str], ...]  # (legend label, metric column)
    ylabel: str = ""
    is_eval: bool = False  # sparse accuracy points: markers, y in [0, 1], no smoothing


def _roles(name: str) -> tuple[tuple[str, str], ...]:
    return (("solver", f"train/solver/{name}"), ("proposer", f"train/proposer/{name}"))


def _drift(name: str) -> tuple[tuple[str, str], ...]:
    return (("solver", f"drift/solver/{name}"), ("proposer", f"drift/proposer/{name}"))


def _diversity(name: str) -> tuple[tuple[str, str], ...]:
    return (("per step", f"diversity/proposer/{name}"), ("eval probe", f"diversity/eval/proposer/{name}"))


def metric_panels(df: pd.DataFrame) -> list[Panel]:
    """Panels in reading order; the figure code skips those with no data."""
    return [
        Panel("Eval accuracy", tuple((short_name(c), c) for c in headline_eval_columns(df)),
              "accuracy", is_eval=True),
        Panel("Eval pass@1 by level", tuple((f"level {k}", c) for k, c in level_columns(df)),
              "pass@1", is_eval=True),
        Panel("Frontier fraction", (("frontier", "curriculum/frontier_fraction"),), "fraction"),
        Panel("Valid fraction", (("valid", "curriculum/valid_fraction"),), "fraction"),
        Panel("Label accuracy (labels vs ground truth)",
              (("label acc", "curriculum/label_accuracy"),), "accuracy"),
        Panel("Reward (mean)", _roles("reward_mean"), "reward"),
        Panel("KL to reference", _roles("kl"), "KL"),
        Panel("Response length", _roles("response_length"), "tokens"),
        Panel("Entropy", _roles("entropy"), "nats"),
        Panel("Loss", _roles("loss")),
        Panel("Grad norm", _roles("grad_norm")),
        Panel("Clip fraction", _roles("clip_fraction"), "fraction"),
        Panel("Drift: KL to the reference (per token)", _drift("kl_to_base"), "nats"),
        Panel("Drift: KL to the previous evaluation (per token)", _drift("kl_to_prev"), "nats"),
        Panel("Drift: greedy probe answers changed",
              (("solver vs base", "drift/solver/changed_vs_base"), ("solver vs prev", "drift/solver/changed_vs_prev"),
               ("proposer vs base", "drift/proposer/changed_vs_base"),
               ("proposer vs prev", "drift/proposer/changed_vs_prev")), "fraction"),
        Panel("Skills: held-out problems the step-0 model solved",
              (("accuracy", "skills/base_solved_accuracy"),), "accuracy", is_eval=True),
        Panel("Shortcut signatures (held-out greedy answers)",
              (("length ratio", "skills/answer_length_ratio"), ("top answer", "skills/top_answer_share"),
               ("repeated", "skills/repeated_answer_share"), ("copied operand", "skills/copied_operand_fraction"))),
        Panel("Proposals: entropy of kinds", _diversity("entropy_kind"), "bits"),
        Panel("Proposals: rare kinds' share", _diversity("rare_share"), "fraction"),
        Panel("Proposals: distinct-2 (characters)", _diversity("distinct_2"), "fraction"),
        Panel("Solver answers: entropy per problem",
              (("per step", "diversity/solver/answer_entropy"), ("eval", "diversity/eval/solver/answer_entropy")), "bits"),
        Panel("Time per step", (("step", "time/step_s"), ("generate", "time/generate_s"),
                                ("verify", "time/verify_s"), ("train", "time/train_s")), "seconds"),
        Panel("Throughput", (("tokens/s", "throughput/tokens_per_s"),), "tokens / s"),
    ]


def _new_axes(title: str, ylabel: str, size: tuple[float, float] = (6.0, 3.3)):
    fig = Figure(figsize=size)
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_xlabel("step", fontsize=9)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3, lw=0.5)
    return fig, ax


def line_figure(df: pd.DataFrame, panel: Panel) -> Figure | None:
    """One panel; None when none of its metrics were logged."""
    by_step = df.set_index("step")
    series = [(lab, by_step[c].dropna()) for lab, c in panel.series if c in by_step]
    series = [(lab, s) for lab, s in series if not s.empty]
    if not series:
        return None
    # One style per panel: smooth every series when any of them is long and noisy.
    smooth = not panel.is_eval and max(len(s) for _, s in series) > SMOOTH_ABOVE
    fig, ax = _new_axes(panel.title, panel.ylabel)
    for label, s in series:
        if not smooth:
            ax.plot(s.index, s.values, marker="o" if len(s) <= 60 else None, ms=3, lw=1.4, label=label)
            continue
        window = max(3, len(s) // 20)
        (raw,) = ax.plot(s.index, s.values, lw=0.7, alpha=0.3)
        mean = s.rolling(window, center=True, min_periods=1).mean()
        ax.plot(mean.index, mean.values, lw=1.6, color=raw.get_color(), label=label)
    if panel.is_eval:
        ax.set_ylim(-0.02, 1.02)
    if smooth:
        ax.set_xlabel("step   (faint: raw, bold: rolling mean)", fontsize=9)
    if len(series) > 1:  # above the axes, right of the title: never covers data
        ax.legend(fontsize=8, frameon=False, ncol=len(series), loc="lower right",
                  bbox_to_anchor=(1.0, 1.0), borderaxespad=0.1, handlelength=1.5, columnspacing=1.0)
    fig.tight_layout()
    return fig


def problem_agreement(rows: pd.DataFrame) -> pd.DataFrame:
    """One (step, agreement) per problem: proposer rows, else deduplicated solver groups."""
    rows = rows.dropna(subset=["agreement"])
    props = rows[rows["role"] == "proposer"]
    if props.empty:
        props = rows[rows["role"] == "solver"].drop_duplicates(["step", "group_id"])
    return props[["step", "agreement"]].astype({"step": "int64", "agreement": "float64"})


def pool_steps(steps: pd.Series, max_columns: int) -> tuple[pd.Series, int]:
    """Map each step to the mean step of its window of k consecutive logged steps, with k
    chosen so at most `max_columns` windows remain (a per-step histogram of a long run is
    mostly sampling noise, and narrower than a pixel)."""
    uniq = np.sort(steps.unique())
    k = max(1, math.ceil(len(uniq) / max_columns))
    centers = {s: float(uniq[i - i % k: i - i % k + k].mean()) for i, s in enumerate(uniq)}
    return steps.map(centers), k


def agreement_histogram(
    per_problem: pd.DataFrame, max_levels: int = 17, max_columns: int = 120
) -> pd.DataFrame:
    """(pooled) step x agreement-bin table of the share of problems in each bin.

    Agreement takes the values k/N, so each distinct value gets its own bin when there are
    few (labelled by value); otherwise 10 equal bins on [0, 1] (labelled by upper edge).
    """
    values = np.sort(per_problem["agreement"].unique())
    if len(values) <= max_levels:
        bins = per_problem["agreement"].round(6)
    else:
        edges = np.linspace(0, 1, 11)
        idx = np.clip(np.searchsorted(edges, per_problem["agreement"], side="left"), 1, 10)
        bins = pd.Series(edges[idx], index=per_problem.index).round(6)
    steps, _ = pool_steps(per_problem["step"], max_columns)
    table = pd.crosstab(steps.rename("step"), bins, normalize="index")
    table.columns = [float(c) for c in table.columns]
    return table


def _edges(centers: np.ndarray, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    if len(centers) == 1:
        half = 0.5 if lo is None else 0.05
        return np.array([centers[0] - half, centers[0] + half])
    mids = (centers[1:] + centers[:-1]) / 2
    first = centers[0] - (mids[0] - centers[0])
    last = centers[-1] + (centers[-1] - mids[-1])
    e = np.concatenate([[first], mids, [last]])
    if lo is not None:
        e[0] = max(e[0], lo)
    if hi is not None:
        e[-1] = min(e[-1], hi)
    return e


def agreement_figure(per_problem: pd.DataFrame) -> Figure | None:
    """Heatmap of the agreement distribution per step, with the mean on top."""
    if per_problem.empty:
        return None
    hist = agreement_histogram(per_problem)
    _, k = pool_steps(per_problem["step"], 120)
    steps = hist.index.to_numpy(dtype=float)
    levels = np.array(hist.columns, dtype=float)
    pooled = f", pooled over {k} steps" if k > 1 else ""
    fig, ax = _new_axes(f"Agreement rate distribution (colour: share of problems per step{pooled})",
                        "agreement", size=(12.0, 3.6))
    # Colour scaled to the data, not to 1: a spread-out distribution would be all dark otherwise.
    mesh = ax.pcolormesh(_edges(steps), _edges(levels, 0.0, 1.0), hist.to_numpy().T, cmap="viridis",
                         vmin=0, vmax=float(hist.to_numpy().max()), shading="flat", rasterized=True)
    if len(levels) <= 9:  # discrete k/N values: label each band by its value
        ax.set_yticks(levels, [f"{v:.3g}" for v in levels])
    mean = per_problem.groupby("step")["agreement"].mean()
    ax.plot(mean.index, mean.values, color="#ff5a5f", lw=1.6, label="mean agreement")
    ax.legend(fontsize=8, frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), borderaxespad=0.1)
    fig.colorbar(mesh, ax=ax, pad=0.01, fraction=0.03).ax.tick_params(labelsize=8)
    fig.tight_layout()
    return fig
