"""Must-show: a run never resumes from a damaged checkpoint. Each test takes a copy of the
uninterrupted reference run (checkpoints at steps 4 and 6), damages its last checkpoint, and
checks the run goes back to step 4, with a warning naming the file and the reason.

- every file kind x every damage (12 cases): which checkpoint the resume picks (no run);
- damage already there when the marker was written (its hashes match): found by reading the
  files back (headers, truncation, unpickling, NaN/inf), again without a run;
- end to end, the run then resumes and ends identical to the uninterrupted one, for one
  damage of each file kind and for a checkpoint that passes every check but that the worker
  fails to load (it falls back from inside the actors).
"""

import io
import json
import logging
import shutil
from pathlib import Path

import pytest
import safetensors.torch
import torch
from testkit.runs import EXACT_RUN, EXACT_STEPS, assert_same_run, run_selfplay, tiny_config

from selfplay import run_state
from selfplay.checkpoint import MARKER, write_marker

pytestmark = pytest.mark.slow

LATEST = f"step_{EXACT_STEPS:06d}"
PREVIOUS = "step_000004"
FILES = {
    "weights": "policy/model/model.safetensors",
    "optimizer": "policy/trainer_state.pt",
    "driver_state": "driver_state.pkl",
    "marker": MARKER,
}


def _xor(b: bytes) -> bytes:
    return bytes(x ^ 0xFF for x in b)


DAMAGES = {
    "flipped": lambda b: b[: len(b) // 2] + _xor(b[len(b) // 2 :][:64]) + b[len(b) // 2 + 64 :],  # size kept
    "truncated": lambda b: b[: len(b) // 2],
    "header": lambda b: _xor(b[:16]) + b[16:],  # size kept
}
ARGS = (f"steps={EXACT_STEPS}", *EXACT_RUN)


def damaged_copy(reference_run: Path, run_dir: Path, file: str, damage) -> Path:
    """A copy of the reference run whose last checkpoint has ``damage`` applied to ``file``."""
    shutil.copytree(reference_run, run_dir)
    path = run_dir / "checkpoints" / LATEST / FILES[file]
    path.write_bytes(damage(path.read_bytes()))
    return path


def reseal(run_dir: Path) -> None:
    """Rewrite the last checkpoint's marker over its files as they are: damage that happened
    before the marker was written, which its hashes cannot see."""
    write_marker(run_dir / "checkpoints" / LATEST, EXACT_STEPS)


def picked(run_dir: Path, caplog) -> tuple[str, str]:
    """The checkpoint a resume picks, and the warning about the one it skipped."""
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        ckpt = run_state.find_resume(tiny_config(*ARGS), run_dir)
    return ckpt.name, caplog.text


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("file", FILES)
def test_resume_skips_a_damaged_checkpoint(tmp_path, reference_run, caplog, file, damage):
    damaged_copy(reference_run, tmp_path / "run", file, DAMAGES[damage])
    name, warned = picked(tmp_path / "run", caplog)
    assert name == PREVIOUS
    assert f"skipping checkpoint {tmp_path / 'run' / 'checkpoints' / LATEST}: " in warned
    if file == "marker":
        assert "unreadable completion marker" in warned
    elif damage == "truncated":
        assert f"{FILES[file]} has " in warned and "the marker says" in warned
    else:
        assert f"{FILES[file]}: its sha256 differs from the marker's" in warned


def nan_weights(b: bytes) -> bytes:
    tensors = safetensors.torch.load(b)
    tensors[sorted(tensors)[0]].view(-1)[0] = float("nan")
    return safetensors.torch.save(tensors, metadata={"format": "pt"})


def _edit_trainer_state(b: bytes, edit) -> bytes:
    state = torch.load(io.BytesIO(b), weights_only=False)
    edit(state)
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def nan_optimizer(b: bytes) -> bytes:
    def edit(state):
        first = next(iter(state["optimizer"]["state"].values()))
        first["exp_avg_sq"].view(-1)[0] = float("inf")

    return _edit_trainer_state(b, edit)


def flipped_tail(b: bytes) -> bytes:
    return b[:-64] + _xor(b[-64:])  # size kept


WRITTEN_DAMAGED = {
    "weights-truncated": ("weights", DAMAGES["truncated"], "does not load (SafetensorError"),
    "weights-header": ("weights", DAMAGES["header"], "does not load (SafetensorError"),
    "weights-nan": ("weights", nan_weights, "non-finite values in "),
    "optimizer-truncated": ("optimizer", DAMAGES["truncated"], "does not load (RuntimeError"),
    "optimizer-header": ("optimizer", DAMAGES["header"], "does not load (RuntimeError"),
    "optimizer-inf": ("optimizer", nan_optimizer, "non-finite values in optimizer.state."),
    # The tail holds the pickle's closing opcodes. Bytes flipped in its middle can fall inside
    # raw data (the torch RNG state's buffer) and unpickle: only the marker's hash sees that.
    "driver_state-flipped": ("driver_state", flipped_tail, "does not load ("),
    "driver_state-truncated": ("driver_state", DAMAGES["truncated"], "does not load (UnpicklingError"),
    "driver_state-header": ("driver_state", DAMAGES["header"], "does not load (UnpicklingError"),
}


@pytest.mark.parametrize("case", WRITTEN_DAMAGED)
def test_resume_skips_a_checkpoint_that_was_damaged_when_written(tmp_path, reference_run, caplog, case):
    file, damage, why = WRITTEN_DAMAGED[case]
    damaged_copy(reference_run, tmp_path / "run", file, damage)
    reseal(tmp_path / "run")
    name, warned = picked(tmp_path / "run", caplog)
    assert name == PREVIOUS and f"{FILES[file]}: {why}" in warned


def unloadable_optimizer(b: bytes) -> bytes:
    """A well-formed, finite optimizer state for one parameter fewer: the worker loads the
    weights, then fails on the optimizer (a half-loaded worker the fallback must overwrite)."""

    def edit(state):
        group = state["optimizer"]["param_groups"][0]
        state["optimizer"]["state"].pop(group["params"].pop(), None)

    return _edit_trainer_state(b, edit)


END_TO_END = {
    "weights-flipped": ("weights", DAMAGES["flipped"], False),  # loaded silently before: other weights
    "optimizer-flipped": ("optimizer", DAMAGES["flipped"], False),  # loaded before, then NaN in sampling
    "driver_state-header": ("driver_state", DAMAGES["header"], False),
    "marker-truncated": ("marker", DAMAGES["truncated"], False),
    "actor-load-error": ("optimizer", unloadable_optimizer, True),
}


@pytest.mark.parametrize("case", END_TO_END)
def test_resume_past_a_damaged_checkpoint_equals_the_uninterrupted_run(tmp_path, toy_cache, reference_run, case):
    file, damage, sealed = END_TO_END[case]
    run_dir = tmp_path / "run"
    damaged_copy(reference_run, run_dir, file, damage)
    if sealed:
        reseal(run_dir)
    out = run_selfplay(run_dir, toy_cache, *ARGS)
    log = out.stdout + out.stderr
    latest = run_dir / "checkpoints" / LATEST
    if sealed:  # every check passes; the worker's load raises and the driver goes back one
        assert f"Resuming from {latest} " not in log
        assert f"checkpoint {latest} failed to load (RayTaskError(ValueError)" in log
    else:
        assert f"skipping checkpoint {latest}: " in log
    assert f"Resuming from {run_dir / 'checkpoints' / PREVIOUS} (step 4)" in log
    assert_same_run(run_dir, reference_run)
    assert json.loads((latest / MARKER).read_text())["step"] == EXACT_STEPS  # rewritten whole
