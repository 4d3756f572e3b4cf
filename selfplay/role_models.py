"""Each role's starting model, and how strong it is.

The solver starts from ``model``; the proposer (the teacher) from ``proposer_model``, or the
same model when that is null. A toy-world build carries its measured per-level accuracy on
the held-out set (``base_accuracy.json`` beside its weights, written by
``selfplay/toyworld/build.py``), so a teacher's strength is a measured fact: the driver
prints both roles' tables when a run starts and saves them as ``role_models.json`` in the
run directory.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from selfplay.config import Config, ModelConfig, proposer_model, separate_proposer_model

FILE = "role_models.json"


@dataclass(frozen=True)
class RoleModel:
    role: str
    name: str
    path: str
    # level -> {"greedy": ..., "pass@1_t1": ...} on the held-out set; None where not measured
    base_accuracy: dict | None


def model_path(model: ModelConfig, log: Callable[[str], None] = print) -> str:
    """The model folder or hub id; the toy world's base model is built (or found cached)."""
    if model.path is not None:
        return model.path
    from selfplay.toyworld.build import build

    return str(build(model.toyworld, log=log))


def role_models(cfg: Config, log: Callable[[str], None] = print) -> dict[str, RoleModel]:
    """Both roles' models (``solver``, ``proposer``), built first where they are toy builds."""
    out = {}
    for role, model in (("solver", cfg.model), ("proposer", proposer_model(cfg))):
        if role == "proposer" and not separate_proposer_model(cfg):
            out[role] = RoleModel(role, out["solver"].name, out["solver"].path, out["solver"].base_accuracy)
            continue
        path = model_path(model, log)
        acc = Path(path) / "base_accuracy.json" if model.toyworld is not None else None
        out[role] = RoleModel(role, model.name, path, json.loads(acc.read_text()) if acc and acc.exists() else None)
    return out


def describe(models: dict[str, RoleModel]) -> str:
    """Both roles' models and their base accuracy tables, for the run's log."""
    from selfplay.toyworld.build import format_accuracy

    lines = []
    for m in models.values():
        lines.append(f"{m.role} model: {m.name} ({m.path})")
        lines.append(format_accuracy(m.base_accuracy) if m.base_accuracy else
                     "  base accuracy: not measured (a toy-world build measures its own; step 0 evaluates the solver)")
    return "\n".join(lines)


def save(run_dir: Path, models: dict[str, RoleModel]) -> None:
    (run_dir / FILE).write_text(json.dumps({r: asdict(m) for r, m in models.items()}, indent=2))
