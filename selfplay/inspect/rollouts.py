"""Read rollouts/step_NNNNNN.parquet: pick files by step from their names, filter in Arrow."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from selfplay.tracking.rollouts import SCHEMA

from .rundir import InspectError, RunDir

_FILE = re.compile(r"^step_(\d+)\.parquet$")

# Nullable pandas dtypes so that a null `level` stays an int column and `correct` a bool one.
_PANDAS_TYPES = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


def rollout_files(run: RunDir) -> dict[int, Path]:
    """step -> parquet file, in step order ({} when the run has no rollouts)."""
    if not run.rollouts_dir.is_dir():
        return {}
    found = {int(m.group(1)): p for p in run.rollouts_dir.iterdir() if (m := _FILE.match(p.name))}
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class RolloutQuery:
    """Which rows to read; None means no constraint. Step bounds are inclusive."""

    first_step: int | None = None
    last_step: int | None = None
    role: str | None = None
    min_agreement: float | None = None
    max_agreement: float | None = None
    min_reward: float | None = None
    valid: bool | None = None
    group: str | None = None

    def wants_step(self, step: int) -> bool:
        return (self.first_step is None or step >= self.first_step) and (
            self.last_step is None or step <= self.last_step
        )

    def expression(self) -> pc.Expression | None:
        """Row filter pushed down to Arrow (nulls never pass a bound)."""
        terms = []
        if self.role is not None:
            terms.append(pc.field("role") == self.role)
        if self.min_agreement is not None:
            terms.append(pc.field("agreement") >= self.min_agreement)
        if self.max_agreement is not None:
            terms.append(pc.field("agreement") <= self.max_agreement)
        if self.min_reward is not None:
            terms.append(pc.field("reward") >= self.min_reward)
        if self.valid is not None:
            terms.append(pc.field("valid") == self.valid)
        if self.group is not None:
            terms.append(pc.field("group_id") == self.group)
        expr = None
        for t in terms:
            expr = t if expr is None else expr & t
        return expr


# The writer's schema is the contract (selfplay/tracking/rollouts.py); extra columns are kept as found.
CONTRACT_TYPES = {f.name: f.type for f in SCHEMA}


def _schema(files: list[Path]) -> pa.Schema:
    """One schema for all files, with contract columns cast to their contract type.

    Writers differ per step: pandas stores an all-None column as type `null`, and an int column
    holding None as double; Arrow casts those back while scanning.
    """
    found = pa.unify_schemas([pq.read_schema(f) for f in files], promote_options="permissive")
    return pa.schema([pa.field(f.name, CONTRACT_TYPES.get(f.name, f.type)) for f in found])


def load_rollouts(
    run: RunDir, query: RolloutQuery = RolloutQuery(), columns: list[str] | None = None
) -> pd.DataFrame:
    """Rows of the selected steps that pass the query, in step order then file order."""
    files = [p for step, p in rollout_files(run).items() if query.wants_step(step)]
    if not files:
        return pd.DataFrame(columns=columns or ["step", "role", "group_id"])
    schema = _schema(files)
    missing = [c for c in (columns or []) if c not in schema.names]
    if missing:
        raise InspectError(f"rollouts have no column(s) {missing}; found {schema.names}")
    dataset = ds.dataset([str(f) for f in files], format="parquet", schema=schema)
    try:
        table = dataset.to_table(columns=columns, filter=query.expression())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise InspectError(f"cannot read rollouts in {run.rollouts_dir}: {e}") from e
    df = table.to_pandas(types_mapper=_PANDAS_TYPES.get)
    if "step" in df:
        df = df.sort_values("step", kind="stable").reset_index(drop=True)
    return df
