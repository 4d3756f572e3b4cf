"""Mirrors of ``metrics.jsonl`` for the usual viewers: TensorBoard and (optional) W&B.

``metrics.jsonl`` is the record the project's tools read; a mirror gets the same scalars at
the same steps and may drop what it cannot show (NaN, None).
"""

from __future__ import annotations

import math
import os
import uuid
from pathlib import Path
from typing import Any, Protocol

WANDB_MISSING = "logging.wandb=true needs the wandb package: pip install -e '.[wandb]' (or pip install wandb)"


class Mirror(Protocol):
    def log(self, step: int, metrics: dict[str, float]) -> None: ...

    def close(self) -> None: ...


def _finite(metrics: dict[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(v)}


class TensorBoardMirror:
    def __init__(self, run_dir: Path, keep_upto: int):
        from torch.utils.tensorboard import SummaryWriter

        # TensorBoard hides events of steps >= purge_step from earlier files in the folder:
        # what a killed run wrote past its checkpoint, or a whole earlier run on a fresh start.
        self.writer = SummaryWriter(str(run_dir / "tb"), purge_step=keep_upto + 1)

    def log(self, step: int, metrics: dict[str, float]) -> None:
        for k, v in _finite(metrics).items():
            self.writer.add_scalar(k, v, step)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


def require_wandb() -> None:
    """Fail before any work when W&B logging is asked for but not installed."""
    try:
        import wandb  # noqa: F401
    except ImportError as e:
        raise RuntimeError(WANDB_MISSING) from e


def new_wandb_id() -> str:
    return uuid.uuid4().hex[:12]


class WandbMirror:
    """One W&B run per run directory; ``run_id`` comes back from the checkpoint on resume, so a
    resumed run continues the same W&B run. Offline (no account, files under
    ``RUN_DIR/wandb``, ``wandb sync`` uploads them) unless WANDB_MODE or WANDB_API_KEY is set."""

    def __init__(self, run_dir: Path, project: str, config: dict[str, Any], run_id: str):
        require_wandb()
        import wandb

        mode = None if os.environ.get("WANDB_MODE") or os.environ.get("WANDB_API_KEY") else "offline"
        self.run = wandb.init(
            project=project, dir=str(run_dir), id=run_id, name=run_dir.name, resume="allow", config=config, mode=mode
        )

    def log(self, step: int, metrics: dict[str, float]) -> None:
        self.run.log(_finite(metrics), step=step)

    def close(self) -> None:
        self.run.finish()
