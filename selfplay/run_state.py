"""What a checkpoint holds besides the policies, and how a run is put back from one.

``checkpoints/step_NNNNNN/``:

- ``policy/`` (shared policy) or ``solver/`` + ``proposer/``: each worker's weights (HF
  format), optimizer, random state (python, numpy, torch, the mini-batch shuffle) and the
  fingerprint of its frozen reference, its drift probes' memory (``agents/policy_worker.py``,
  ``agents/probe.py``); with a shared LoRA base
  each role's folder holds its own adapter (``model/<role>/``) and optimizer;
- ``driver_state.pkl``: the step, the curriculum controller's state, the driver's random
  state, the loggers' positions, the config changes accepted so far the problem
  source's state (a scripted draw's random state, a replay's position) and the instruments'
  state (``DriverState``);
- ``config.yaml``: the resolved config of the run that wrote it (``.hydra/`` shows only the
  latest invocation; this copy is what a resume is checked against);
- ``COMPLETE``: the marker with every file's size and sha256, written last
  (``selfplay/checkpoint.py``).

A resume takes the newest checkpoint that verifies (marker, hashes, each file read back); if
the actors then fail to load it, ``restore_with_fallback`` goes on to the one before.
"""

from __future__ import annotations

import json
import logging
import pickle
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from selfplay import config_guard
from selfplay.actors import Actors, PolicyClient
from selfplay.checkpoint import latest_checkpoint, newest_intact, problem, save_checkpoint, step_of
from selfplay.config import Config
from selfplay.step import is_due
from selfplay.tracking.metrics import rewrite_row

CONFIG_FILE = "config.yaml"
STATE_FILE = "driver_state.pkl"
log = logging.getLogger(__name__)


@dataclass
class DriverState:
    step: int
    controller: dict[str, Any]
    rng: dict[str, Any]
    metrics_rows: int  # rows of metrics.jsonl at this step: the log's position
    wandb_id: str | None = None
    config_changes: list[dict[str, Any]] = field(default_factory=list)  # accepted with the override flag
    sources: dict[str, Any] = field(default_factory=dict)  # the problem source's position (selfplay/sources/)
    instruments: dict[str, Any] = field(default_factory=dict)  # selfplay/instruments/recorder.py's state


def config_dict(cfg: Config) -> dict[str, Any]:
    return OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True)  # type: ignore[return-value]


def saved_config(ckpt: Path) -> dict[str, Any]:
    return OmegaConf.to_container(OmegaConf.load(ckpt / CONFIG_FILE), resolve=True)  # type: ignore[return-value]


def workers(cfg: Config, actors: Actors) -> dict[str, PolicyClient]:
    """Distinct policy workers by checkpoint sub-folder name."""
    return actors.policies(cfg.selfplay.shared_policy)


def find_resume(cfg: Config, run_dir: Path, before: int | None = None) -> Path | None:
    """The checkpoint to resume from (``resume=auto|never|PATH``), or None to start fresh.
    ``before``: under ``auto``, only checkpoints of earlier steps (one failed to load)."""
    if cfg.resume == "never":
        return None
    if cfg.resume == "auto":
        ckpt = latest_checkpoint(run_dir, before)
        if ckpt is None and (skipped := newest_intact(run_dir, before)[1]):
            listed = "; ".join(f"{p.name}: {why}" for p, why in skipped.items())
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


@dataclass(frozen=True)
class Restored:
    ckpt: Path  # the checkpoint actually loaded: an earlier one where a later one failed to load
    state: DriverState
    warnings: list[str]  # the config guard's, for ``ckpt``


def restore_with_fallback(ckpt: Path, cfg: Config, actors: Actors, run_dir: Path) -> Restored:
    """``restore(ckpt)``; where loading fails (an actor raises, the driver state does not
    unpickle), the previous intact checkpoint is tried instead, with a warning naming the
    checkpoint and the error, down to the oldest; then the run refuses as with no checkpoint.
    ``resume=PATH`` names one checkpoint: its failure is final. Refusals by the config guard
    and an actor that died are final too (neither is about the checkpoint's files)."""
    from ray.exceptions import RayActorError

    while True:
        try:
            return Restored(ckpt, restore(ckpt, cfg, actors), check_config(ckpt, cfg))
        except (config_guard.ConfigChangedError, RayActorError):
            raise
        except Exception as e:
            if cfg.resume != "auto":
                raise
            log.warning("checkpoint %s failed to load (%s: %s); trying the one before", ckpt, type(e).__name__, e)
            failed = ckpt
            ckpt = find_resume(cfg, run_dir, before=step_of(failed))
            if ckpt is None:
                raise RuntimeError(
                    f"{run_dir}: no checkpoint loads ({failed.name} and any before it failed); pass resume=never "
                    "to start over, replacing the run"
                ) from e
            for w in check_config(ckpt, cfg):
                log.warning(w)


def drop_final_only_eval(run_dir: Path, ckpt: Path, cfg: Config) -> None:
    """A run evaluates at its last step even off the ``eval_every`` cadence. Extended past that
    step, the row keeps only what an uninterrupted run logs there: the evaluation goes."""
    step, saved = step_of(ckpt), saved_config(ckpt)
    if step >= cfg.steps or step != saved["steps"] or is_due(step, saved["eval_every"]) or is_due(step, cfg.eval_every):
        return
    rewrite_row(run_dir / "metrics.jsonl", step, lambda row: {k: v for k, v in row.items() if not _from_eval(k)})


def _from_eval(key: str) -> bool:
    """A metric the evaluation writes (held-out accuracy and the instruments measured with it)."""
    return key.startswith(("eval/", "drift/", "skills/", "diversity/eval/")) or key == "time/eval_s"


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
