"""Rollouts of both roles, one Parquet file per step (``rollouts/step_NNNNNN.parquet``)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


@dataclass
class RolloutRecord:
    step: int
    role: str  # proposer | solver
    group_id: str
    sample_idx: int
    topic: str
    prompt: str
    completion: str
    parsed: str | None  # proposer: the parsed problem; solver: the extracted answer
    valid: bool
    invalid_reason: str | None
    reward: float
    advantage: float  # NaN when the role was not trained this step
    trained: bool
    agreement: float | None  # share of the problem's N answers in the majority cluster
    majority_answer: str | None
    ground_truth: str | None  # evaluation only; never a training signal
    correct: bool | None  # solver: answer == ground truth; proposer: majority == ground truth
    level: int | None
    prompt_tokens: int
    completion_tokens: int
    # Where the problem came from: the problem source's name (selfplay | fixed | scripted | replay)
    source: str
    # The answer the solver's attempts were rewarded for matching (None: no label); the
    # label source decides it (majority: the solver's own majority answer, where there is one;
    # code: the proposer's tests)
    label: str | None
    # What the task's judge saw, readable (None for answer tasks). Code tasks: proposer: the
    # parsed tests (or inputs); solver: each test's result on the program.
    details: str | None = None
    # Proposer, where the held-out set is a benchmark (selfplay/contamination.py): the longest
    # run of words the problem shares with one of its prompts, and that prompt (HumanEval/12)
    overlap_words: int | None = None
    overlap_with: str | None = None


SCHEMA = pa.schema(
    [
        ("step", pa.int64()), ("role", pa.string()), ("group_id", pa.string()), ("sample_idx", pa.int64()),
        ("topic", pa.string()), ("prompt", pa.string()), ("completion", pa.string()), ("parsed", pa.string()),
        ("valid", pa.bool_()), ("invalid_reason", pa.string()), ("reward", pa.float64()),
        ("advantage", pa.float64()), ("trained", pa.bool_()), ("agreement", pa.float64()),
        ("majority_answer", pa.string()), ("ground_truth", pa.string()), ("correct", pa.bool_()),
        ("level", pa.int64()), ("prompt_tokens", pa.int64()), ("completion_tokens", pa.int64()),
        ("source", pa.string()), ("label", pa.string()), ("details", pa.string()),
        ("overlap_words", pa.int64()), ("overlap_with", pa.string()),
    ]
)
assert SCHEMA.names == [f.name for f in fields(RolloutRecord)]


def rollout_path(run_dir: Path, step: int) -> Path:
    return run_dir / "rollouts" / f"step_{step:06d}.parquet"


def write_rollouts(run_dir: Path, step: int, records: list[RolloutRecord]) -> Path:
    path = rollout_path(run_dir, step)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist([asdict(r) for r in records], schema=SCHEMA)
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)  # readers never see a half-written file
    return path


def remove_after(run_dir: Path, step: int) -> None:
    """Drop rollouts of steps a resumed run will redo, and files a killed run left half-written."""
    for path in (run_dir / "rollouts").glob("step_*.parquet"):
        if int(path.stem.split("_")[1]) > step:
            path.unlink()
    for path in (run_dir / "rollouts").glob("step_*.tmp"):
        path.unlink()
