"""The handful of per-step metrics a researcher scans first, with short column labels."""
from __future__ import annotations

import pandas as pd

from .metrics import headline_eval_columns, short_name

TRAIN_KEYS = [
    ("agree", "curriculum/agreement_mean"),
    ("frontier", "curriculum/frontier_fraction"),
    ("valid", "curriculum/valid_fraction"),
    ("label_acc", "curriculum/label_accuracy"),
    ("R_solver", "train/solver/reward_mean"),
    ("R_prop", "train/proposer/reward_mean"),
    ("kl_solver", "train/solver/kl"),
    ("kl_prop", "train/proposer/kl"),
    ("len_solver", "train/solver/response_length"),
    ("step_s", "time/step_s"),
]


def key_columns(df: pd.DataFrame) -> list[tuple[str, str]]:
    """(label, column) of the key metrics this run logged: eval headline ones first."""
    evals = [(short_name(c), c) for c in headline_eval_columns(df)]
    return evals + [(label, c) for label, c in TRAIN_KEYS if c in df]
