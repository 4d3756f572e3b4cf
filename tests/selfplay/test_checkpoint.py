"""The checkpoint folder protocol: marker last, validation, pruning, leftovers, rewinding."""

import hashlib
import json
import logging
import pickle

import pytest
import torch
from safetensors.torch import save_file

from selfplay.checkpoint import (
    MARKER,
    checkpoints_dir,
    complete_checkpoints,
    discard_after,
    has_hashes,
    latest_checkpoint,
    problem,
    save_checkpoint,
)


STATE = pickle.dumps({"step": 1})


def write(payload: bytes = b"weights"):
    def parts(tmp):
        (tmp / "policy").mkdir()
        (tmp / "policy" / "model.bin").write_bytes(payload)
        (tmp / "state.pkl").write_bytes(STATE)

    return parts


def test_saved_checkpoint_is_complete_and_lists_its_files(tmp_path):
    path = save_checkpoint(tmp_path, 3, write(), keep=2)
    assert path.name == "step_000003" and problem(path) is None
    manifest = json.loads((path / MARKER).read_text())
    assert manifest["step"] == 3 and manifest["files"] == {
        "policy/model.bin": {"size": 7, "sha256": hashlib.sha256(b"weights").hexdigest()},
        "state.pkl": {"size": len(STATE), "sha256": hashlib.sha256(STATE).hexdigest()},
    }
    assert latest_checkpoint(tmp_path) == path


def test_keeps_the_last_k_and_leaves_no_temporaries(tmp_path):
    for step in (2, 4, 6, 8):
        save_checkpoint(tmp_path, step, write(), keep=2)
    assert [p.name for p in complete_checkpoints(tmp_path)] == ["step_000006", "step_000008"]
    assert sorted(p.name for p in checkpoints_dir(tmp_path).iterdir()) == ["step_000006", "step_000008"]


@pytest.mark.parametrize(
    "damage, why",
    [
        (lambda p: (p / MARKER).unlink(), "no completion marker"),
        (lambda p: (p / MARKER).write_text("{trunc"), "unreadable completion marker"),
        (lambda p: (p / "policy" / "model.bin").write_bytes(b"weig"), "policy/model.bin has 4 bytes"),
        (lambda p: (p / "state.pkl").unlink(), "state.pkl is missing"),
        (lambda p: (p / MARKER).write_text(json.dumps({"step": 4})), "no file list"),
    ],
)
def test_a_damaged_checkpoint_is_skipped_for_the_previous_one(tmp_path, damage, why):
    older = save_checkpoint(tmp_path, 2, write(), keep=5)
    newer = save_checkpoint(tmp_path, 4, write(), keep=5)
    damage(newer)
    assert why in problem(newer)
    assert latest_checkpoint(tmp_path) == older


def test_a_kill_inside_writing_leaves_only_a_temporary_that_is_ignored(tmp_path):
    save_checkpoint(tmp_path, 2, write(), keep=2)

    def killed(tmp):
        write()(tmp)
        raise KeyboardInterrupt  # stands in for the process dying before the marker

    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path, 4, killed, keep=2)
    assert [p.name for p in checkpoints_dir(tmp_path).glob(".tmp_step_000004_*")]
    assert latest_checkpoint(tmp_path).name == "step_000002"
    save_checkpoint(tmp_path, 4, write(), keep=2)  # the rerun writes it and sweeps the leftover
    assert sorted(p.name for p in checkpoints_dir(tmp_path).iterdir()) == ["step_000002", "step_000004"]


def test_discard_after_drops_later_checkpoints_damaged_or_not(tmp_path):
    for step in (2, 4, 6):
        save_checkpoint(tmp_path, step, write(), keep=5)
    (checkpoints_dir(tmp_path) / "step_000006" / MARKER).unlink()
    discard_after(tmp_path, 2)
    assert [p.name for p in checkpoints_dir(tmp_path).iterdir()] == ["step_000002"]


def test_bytes_changed_in_place_are_caught_by_the_hash(tmp_path):
    older = save_checkpoint(tmp_path, 2, write(), keep=5)
    newer = save_checkpoint(tmp_path, 4, write(), keep=5)
    (newer / "policy" / "model.bin").write_bytes(b"WEIGHTS")  # the same size
    assert problem(newer, deep=False) is None  # sizes alone cannot tell
    assert "policy/model.bin: its sha256 differs" in problem(newer)
    assert latest_checkpoint(tmp_path) == older


def test_a_damaged_marker_is_caught_by_its_own_checksum(tmp_path):
    older = save_checkpoint(tmp_path, 2, write(), keep=5)
    newer = save_checkpoint(tmp_path, 4, write(), keep=5)
    marker = newer / MARKER
    marker.write_text(marker.read_text().replace('"time": 1', '"time": 2'))  # still valid JSON
    assert "its own checksum" in problem(newer)
    assert latest_checkpoint(tmp_path) == older


def parts(files):
    def write_parts(tmp):
        for rel, payload in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            payload(tmp / rel)

    return write_parts


@pytest.mark.parametrize(
    "payload, why",
    [
        (lambda p: save_file({"w": torch.tensor([1.0, float("nan")])}, p), "non-finite values in w"),
        (lambda p: p.write_bytes(b"\xff" * 8 + b"{}"), "does not load (SafetensorError"),
    ],
    ids=["nan", "header"],
)
def test_weights_that_were_bad_when_written_are_caught_on_reading(tmp_path, payload, why):
    """The hash matches (the damage predates the marker); reading the file back finds it."""
    good = parts({"policy/model.safetensors": lambda p: save_file({"w": torch.ones(2)}, p)})
    older = save_checkpoint(tmp_path, 2, good, keep=5)
    newer = save_checkpoint(tmp_path, 4, parts({"policy/model.safetensors": payload}), keep=5)
    assert f"policy/model.safetensors: {why}" in problem(newer)
    assert latest_checkpoint(tmp_path) == older


def test_non_finite_optimizer_state_is_caught_on_reading(tmp_path):
    state = {
        "optimizer": {"state": {0: {"exp_avg_sq": torch.tensor([0.5, float("inf")])}}},
        "rng": {"torch": torch.zeros(4, dtype=torch.uint8)},  # not floating point: not checked
    }
    path = save_checkpoint(tmp_path, 4, parts({"trainer_state.pt": lambda p: torch.save(state, p)}), keep=5)
    assert "trainer_state.pt: non-finite values in optimizer.state.0.exp_avg_sq" in problem(path)


def test_an_older_size_only_marker_is_trusted_with_a_warning(tmp_path, caplog):
    path = save_checkpoint(tmp_path, 2, write(), keep=5)
    manifest = json.loads((path / MARKER).read_text())
    old = {"step": 2, "time": manifest["time"], "files": {rel: e["size"] for rel, e in manifest["files"].items()}}
    (path / MARKER).write_text(json.dumps(old))
    assert problem(path) is None and not has_hashes(path)
    with caplog.at_level(logging.WARNING):
        assert latest_checkpoint(tmp_path) == path
    assert "predates content hashes" in caplog.text
    (path / "state.pkl").write_bytes(b"x" * len(STATE))  # the size is all such a marker can check,
    assert "state.pkl: does not load (UnpicklingError" in problem(path)  # but reading it still can
