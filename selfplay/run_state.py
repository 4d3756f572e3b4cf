"""What a checkpoint holds besides the policies, and how a run is put back from one.

``checkpoints/step_NNNNNN/``:

- ``policy/`` (shared policy) or ``solver/`` + ``proposer/``: each worker's weights (HF
  format), optimizer, random state (python, numpy, torch, the mini-batch shuffle) and the
  fingerprint of its frozen reference, its drift probes' memory (``agents/policy_worker.py``,
  ``agents/probe.py``); with a shared LoRA base
  each role's folder holds its own adapter (``model/<role>/``) and optimizer;
- ``driver_state.pkl``: the step, the curriculum controller's state, the driver's random
  state, the loggers' positions, the config changes accepted so far and the instruments'
  state (``DriverState``);
- ``config.yaml``: the resolved config of the run that wrote it (Hydra rewrites
  ``.hydra/`` on every invocation; this copy is what a resume is checked against);
- ``COMPLETE``: the marker with the file list, written last (``selfplay/checkpoint.py``).
"""

from __future__ import annotations

import json
import pickle
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from selfplay import config_guard
from selfplay.actors import Actors, PolicyClient
from selfplay.checkpoint import latest_checkpoint, problem, save_checkpoint, scan
from selfplay.config import Config

CONFIG_FILE = "config.yaml"
STATE_FILE = "driver_state.pkl"


@dataclass
class DriverState:
    step: int
    controller: dict[str, Any]
    rng: dict[str, Any]
    metrics_rows: int  # rows of metrics.jsonl at this step: the log's position
    wandb_id: str | None = None
    config_changes: list[dict[str, Any]] = field(default_factory=list)  # accepted with the override flag
    instruments: dict[str, Any] = field(default_factory=dict)  # selfplay/instruments/recorder.py's state


def config_dict(cfg: Config) -> dict[str, Any]:
    return OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True)  # type: ignore[return-value]


def saved_config(ckpt: Path) -> dict[str, Any]:
    return OmegaConf.to_container(OmegaConf.load(ckpt / CONFIG_FILE), resolve=True)  # type: ignore[return-value]


def workers(cfg: Config, actors: Actors) -> dict[str, PolicyClient]:
    """Distinct policy workers by checkpoint sub-folder name."""
    return actors.policies(cfg.selfplay.shared_policy)


def find_resume(cfg: Config, run_dir: Path) -> Path | None:
    """The checkpoint to resume from (``resume=auto|never|PATH``), or None to start fresh."""
    if cfg.resume == "never":
        return None
    if cfg.resume == "auto":
        ckpt = latest_checkpoint(run_dir)
        good, bad = scan(run_dir)
        if ckpt is None and bad:
            listed = "; ".join(f"{p.name}: {why}" for p, why in bad.items())
            raise RuntimeError(
                f"{run_dir} holds checkpoints but none is intact ({listed}). Starting over would replace "
                "the run: pass resume=never to do that, or resume=PATH to pick one."
            )
        return ckpt
    path = Path(cfg.resume)
    if (why := problem(path)) is not None:
        raise FileNotFoundError(f"resume={cfg.resume!r}: not a complete checkpoint ({why})")
    return path


def check_config(ckpt: Path, cfg: Config) -> list[str]:
    """Refuse a result-changing config difference (``config_guard``); warnings for the rest."""
    return config_guard.check(
        saved_config(ckpt), config_dict(cfg), allow=cfg.resume_allow_config_change, where=str(ckpt),
        defaults=config_dict(Config()),
    )


def save(run_dir: Path, cfg: Config, actors: Actors, state: DriverState) -> Path:
    def parts(tmp: Path) -> None:
        for name, worker in workers(cfg, actors).items():
            worker.save(str(tmp / name))
        (tmp / STATE_FILE).write_bytes(pickle.dumps(asdict(state)))  # plain data: survives renames
        (tmp / CONFIG_FILE).write_text(OmegaConf.to_yaml(OmegaConf.structured(cfg)))

    return save_checkpoint(run_dir, state.step, parts, cfg.keep_checkpoints)


def restore(ckpt: Path, cfg: Config, actors: Actors) -> DriverState:
    """Load every worker and the controller from ``ckpt``; the driver's own random state and
    loggers are the caller's to restore from the returned state."""
    for name, worker in workers(cfg, actors).items():
        saved = json.loads((ckpt / name / "reference.json").read_text())["fingerprint"]
        if saved != worker.reference_fingerprint() and not cfg.resume_allow_config_change:
            raise config_guard.ConfigChangedError(
                f"refusing to resume from {ckpt}: the {name} worker's frozen reference (the starting weights "
                f"read from model.path) differs from the checkpoint's; pass {config_guard.OVERRIDE_FLAG}=true "
                "to continue anyway"
            )
        worker.load(str(ckpt / name))
    state = DriverState(**pickle.loads((ckpt / STATE_FILE).read_bytes()))
    actors.controller.load_state_dict(state.controller)
    return state
