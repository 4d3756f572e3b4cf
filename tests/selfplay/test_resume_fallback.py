"""Resuming when a checkpoint fails to load, and the log row of a final-step evaluation, on
checkpoints written by ``run_state.save`` through stand-in actors (no model, no Ray)."""

import dataclasses
import json
import logging
from pathlib import Path

import pytest
import torch
from ray.exceptions import RayActorError
from safetensors.torch import load_file, save_file

from selfplay import run_state
from selfplay.config import Config
from selfplay.config_guard import ConfigChangedError
from selfplay.actors import Actors, ControllerClient, PolicyClient


class StandInActors:
    """One policy worker and a controller: ``save``/``load`` write and read a weights file;
    ``load`` raises for the checkpoints named in ``fail``, after taking their weights (the
    way a failing optimizer load leaves a half-loaded worker)."""

    def __init__(self, fail=(), error=RuntimeError):
        self.fail, self.error = set(fail), error
        self.weights = torch.zeros(3)
        self.controller = None
        worker = PolicyClient("worker", self.transport)
        self.actors = Actors(proposer=worker, solver=worker, controller=ControllerClient("controller", self.transport))

    def transport(self, handle, method, args):
        if method == "save":
            Path(args[0]).mkdir()
            save_file({"w": self.weights}, Path(args[0]) / "model.safetensors")
            (Path(args[0]) / "reference.json").write_text(json.dumps({"fingerprint": "ref"}))
        elif method == "reference_fingerprint":
            return "ref"
        elif method == "load":
            self.weights = load_file(Path(args[0]) / "model.safetensors")["w"]
            if Path(args[0]).parent.name in self.fail:
                raise self.error("size mismatch for optimizer state")
        elif method == "load_state_dict":
            self.controller = args[0]
        return None


def write_run(run_dir: Path, cfg: Config, steps=(2, 4)) -> None:
    src = StandInActors()
    for step in steps:
        src.weights = torch.full((3,), float(step))
        state = run_state.DriverState(step=step, controller={"at": step}, rng={}, metrics_rows=step + 1)
        run_state.save(run_dir, cfg, src.actors, state)


def test_an_actor_failing_to_load_falls_back_to_the_previous_checkpoint(tmp_path, caplog):
    cfg = Config()
    write_run(tmp_path, cfg)
    ckpt = run_state.find_resume(cfg, tmp_path)
    assert ckpt.name == "step_000004"
    actors = StandInActors(fail={"step_000004"})
    with caplog.at_level(logging.WARNING):
        restored = run_state.restore_with_fallback(ckpt, cfg, actors.actors, tmp_path)
    assert restored.ckpt.name == "step_000002" and restored.state.step == 2 and restored.warnings == []
    # Everything the failed attempt had loaded is replaced by the earlier checkpoint's.
    assert torch.equal(actors.weights, torch.full((3,), 2.0)) and actors.controller == {"at": 2}
    assert "step_000004 failed to load (RuntimeError: size mismatch for optimizer state)" in caplog.text


def test_when_no_checkpoint_loads_the_run_refuses(tmp_path):
    cfg = Config()
    write_run(tmp_path, cfg)
    actors = StandInActors(fail={"step_000002", "step_000004"})
    with pytest.raises(RuntimeError, match="no checkpoint loads.*resume=never"):
        run_state.restore_with_fallback(run_state.find_resume(cfg, tmp_path), cfg, actors.actors, tmp_path)


def test_an_explicitly_named_checkpoint_does_not_fall_back(tmp_path):
    cfg = Config()
    write_run(tmp_path, cfg)
    named = dataclasses.replace(cfg, resume=str(tmp_path / "checkpoints" / "step_000004"))
    actors = StandInActors(fail={"step_000004"})
    with pytest.raises(RuntimeError, match="size mismatch"):
        run_state.restore_with_fallback(run_state.find_resume(named, tmp_path), named, actors.actors, tmp_path)


@pytest.mark.parametrize("error", [ConfigChangedError, RayActorError])
def test_a_refused_config_or_a_dead_actor_is_not_blamed_on_the_checkpoint(tmp_path, error):
    cfg = Config()
    write_run(tmp_path, cfg)
    actors = StandInActors(fail={"step_000004"}, error=error)
    with pytest.raises(error):
        run_state.restore_with_fallback(run_state.find_resume(cfg, tmp_path), cfg, actors.actors, tmp_path)


def metrics(run_dir: Path, rows: list[dict]) -> None:
    (run_dir / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


ROWS = [
    {"step": 0, "eval/solver_pass@1": 0.1},
    {"step": 1, "train/solver/loss": 1.0},
    {"step": 2, "eval/solver_pass@1": 0.2, "time/eval_s": 0.5, "time/step_s": 1.0, "train/solver/loss": 2.0},
]


@pytest.mark.parametrize(
    "written_by, now, dropped",
    [
        (dict(steps=2, eval_every=3), dict(steps=4, eval_every=3), True),  # final-only, now extended
        (dict(steps=2, eval_every=0), dict(steps=4, eval_every=0), True),  # evaluation only at the ends
        (dict(steps=2, eval_every=3), dict(steps=2, eval_every=3), False),  # not extended: it is still the end
        (dict(steps=2, eval_every=2), dict(steps=4, eval_every=2), False),  # on the cadence
        (dict(steps=2, eval_every=3), dict(steps=4, eval_every=1), False),  # on the new cadence
        (dict(steps=6, eval_every=2), dict(steps=6, eval_every=3), False),  # a cadence evaluation, not a final one
    ],
)
def test_a_final_step_evaluation_leaves_the_log_when_the_run_is_extended(tmp_path, written_by, now, dropped):
    write_run(tmp_path, dataclasses.replace(Config(), **written_by), steps=(2,))
    metrics(tmp_path, ROWS)
    ckpt = tmp_path / "checkpoints" / "step_000002"
    run_state.drop_final_only_eval(tmp_path, ckpt, dataclasses.replace(Config(), **now))
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert rows[:2] == ROWS[:2]
    assert rows[2] == ({"step": 2, "time/step_s": 1.0, "train/solver/loss": 2.0} if dropped else ROWS[2])
