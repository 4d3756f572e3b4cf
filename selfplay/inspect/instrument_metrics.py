"""The instruments' metrics (``drift/*``, ``skills/*``, ``diversity/*``) early and late in a run."""
from __future__ import annotations

import pandas as pd

from .textfmt import Col, fmt_num, render_table

PREFIXES = ("drift/", "skills/", "diversity/")
# The few a sweep table shows with `compare --instruments`.
HEADLINE = [
    "skills/base_solved_accuracy",
    "drift/solver/kl_to_base",
    "drift/solver/changed_vs_base",
    "drift/proposer/kl_to_base",
    "diversity/proposer/entropy_kind",
    "diversity/proposer/rare_share",
    "skills/answer_length_ratio",
    "skills/copied_operand_fraction",
]


def instrument_columns(df: pd.DataFrame) -> list[str]:
    """Logged instrument metrics: drift, skills, then diversity, each in name order."""
    return [c for p in PREFIXES for c in sorted(c for c in df.columns if c.startswith(p))]


def early_late(df: pd.DataFrame, col: str, window: int) -> tuple[float | None, float | None]:
    """Mean of ``col`` over the run's first ``window`` steps and over its last ``window`` steps."""
    steps = df["step"]
    s = df.set_index("step")[col]
    early = s[steps.values <= steps.min() + window - 1].dropna()
    late = s[steps.values >= steps.max() - window + 1].dropna()
    return (float(early.mean()) if len(early) else None, float(late.mean()) if len(late) else None)


def instruments_table(df: pd.DataFrame, window: int) -> str:
    cols = instrument_columns(df)
    if not cols:
        return "(no instrument metrics logged)"
    lo, hi = int(df["step"].min()), int(df["step"].max())
    rows = []
    for c in cols:
        early, late = early_late(df, c, window)
        rows.append([c, "" if early is None else fmt_num(early), "" if late is None else fmt_num(late)])
    head = [Col("instrument"), Col(f"steps {lo}-{lo + window - 1}", align=">"),
            Col(f"steps {hi - window + 1}-{hi}", align=">")]
    return "instruments (mean of what was logged in each window):\n" + render_table(head, rows)
