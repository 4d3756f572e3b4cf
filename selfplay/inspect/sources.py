"""Which problem and label sources a run used, and each role's starting model.

The sources are read from the metrics rows (a run with a non-default source tags every row:
``problems/source_scripted``, ``labels/source_oracle``; ``selfplay/sources/``); the models
from ``role_models.json`` (``selfplay/role_models.py``).
"""
from __future__ import annotations

import json

import pandas as pd

from .rundir import RunDir

LABELS = {
    "majority": "the solver's own majority vote (label-free)",
    "teacher": "the proposer model's majority vote (teacher-labelled)",
    "oracle": "ORACLE: the task's ground truth (an experiment's control, not label-free)",
}


def _tagged(df: pd.DataFrame | None, prefix: str, default: str) -> str:
    if df is None:
        return default
    names = [c.removeprefix(prefix) for c in df.columns if c.startswith(prefix) and (df[c] == 1).any()]
    return ", ".join(sorted(names)) or default


def run_sources(df: pd.DataFrame | None) -> tuple[str, str]:
    """(problem source, label source) of a run; a run with no tags used the defaults."""
    return _tagged(df, "problems/source_", "selfplay"), _tagged(df, "labels/source_", "majority")


def sources_facts(df: pd.DataFrame | None) -> list[tuple[str, str]]:
    problems, labels = run_sources(df)
    return [("problems", problems), ("labels", f"{labels}: {LABELS.get(labels, '?')}")]


def role_model_facts(run: RunDir) -> list[tuple[str, str]]:
    """(role, model and its held-out greedy accuracy per level) from role_models.json."""
    path = run.path / "role_models.json"
    if not path.exists():
        return []
    facts = []
    for role, m in json.loads(path.read_text()).items():
        acc = m.get("base_accuracy")
        levels = " ".join(f"{k.removeprefix('level_')}:{v['greedy']:.2f}" for k, v in (acc or {}).items())
        facts.append((f"{role} model", f"{m['name']} (base greedy accuracy by level {levels or 'not measured'})"))
    return facts
