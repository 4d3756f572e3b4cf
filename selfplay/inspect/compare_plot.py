"""Plot of one metric over steps for each sweep setting: mean line with a ±std band."""
from __future__ import annotations

from matplotlib.figure import Figure

from .sweep import Job, common_overrides, curve, group_jobs, setting_label


def plot_metric(jobs: list[Job], metric: str) -> Figure:
    groups = group_jobs(jobs)
    common = common_overrides(list(groups))
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    for setting, members in groups.items():
        c = curve(members, metric)
        if c.empty:
            continue
        n = int(c["n"].max())
        (line,) = ax.plot(c.index, c["mean"], marker="o" if len(c) <= 40 else None, ms=3,
                          label=f"{setting_label(setting, common)} (n={n})")
        band = c["std"].fillna(0.0)
        ax.fill_between(c.index, c["mean"] - band, c["mean"] + band, color=line.get_color(), alpha=0.2, lw=0)
    ax.set_title(f"{metric}: mean ± std over seeds", loc="left", fontsize=11)
    ax.set_xlabel("step")
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3, lw=0.5)
    ax.legend(fontsize=8, frameon=False)
    if common:
        fig.text(0.01, 0.005, "all settings: " + " ".join(common), fontsize=7, color="#666")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig
