"""The checkpoint folder protocol: marker last, validation, pruning, leftovers, rewinding."""

import json

import pytest

from selfplay.checkpoint import (
    MARKER,
    checkpoints_dir,
    complete_checkpoints,
    discard_after,
    latest_checkpoint,
    problem,
    save_checkpoint,
)


def write(payload: bytes = b"weights"):
    def parts(tmp):
        (tmp / "policy").mkdir()
        (tmp / "policy" / "model.bin").write_bytes(payload)
        (tmp / "state.pkl").write_bytes(b"state")

    return parts


def test_saved_checkpoint_is_complete_and_lists_its_files(tmp_path):
    path = save_checkpoint(tmp_path, 3, write(), keep=2)
    assert path.name == "step_000003" and problem(path) is None
    manifest = json.loads((path / MARKER).read_text())
    assert manifest["step"] == 3 and manifest["files"] == {"policy/model.bin": 7, "state.pkl": 5}
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
