"""Pair each proposer problem with the solver attempts made on it.

The rollout schema has no explicit link between a proposal and its solver group, so we use
what the data path guarantees: the solver prompt contains the parsed problem text. Within one
step a solver group goes to the proposal with the longest parsed text found in its prompt;
identical problems proposed twice are paired with their solver groups in order.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class ProblemView:
    step: int
    proposal: pd.Series | None  # None: solver group whose proposal is not in the selection
    attempts: pd.DataFrame  # solver rows, possibly empty (invalid proposal, or filtered out)


def _link_step(rows: pd.DataFrame) -> list[ProblemView]:
    step = int(rows["step"].iloc[0])
    props = rows[rows["role"] == "proposer"]
    solver = rows[rows["role"] == "solver"]
    texts = [(i, t) for i, t in props["parsed"].items() if isinstance(t, str) and t.strip()]
    texts.sort(key=lambda it: -len(it[1]))
    taken: dict[object, list[pd.DataFrame]] = {}
    orphans = []
    for _, group in solver.groupby("group_id", sort=False):
        prompt = str(group["prompt"].iloc[0])
        matches = [i for i, t in texts if t in prompt]
        if matches:
            longest = len(props.at[matches[0], "parsed"])
            same = [i for i in matches if len(props.at[i, "parsed"]) == longest]
            free = [i for i in same if i not in taken] or same
            taken.setdefault(free[0], []).append(group)
        else:
            orphans.append(group)
    empty = solver.iloc[0:0]
    views = [
        ProblemView(step, row, pd.concat(taken[i]) if i in taken else empty)
        for i, row in props.iterrows()
    ]
    return views + [ProblemView(step, None, g) for g in orphans]


def link_problems(rows: pd.DataFrame) -> list[ProblemView]:
    """Problems in step order, then proposal order; unmatched solver groups after each step's."""
    if rows.empty:
        return []
    return [v for _, part in rows.groupby("step", sort=True) for v in _link_step(part)]
