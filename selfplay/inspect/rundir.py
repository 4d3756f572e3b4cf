"""Paths and metadata of one run directory (layout: README.md, "Run directory"; docs/architecture.md)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


class InspectError(Exception):
    """A problem with the user's input (bad path, missing file); the CLI prints it, no traceback."""


@dataclass(frozen=True)
class RunDir:
    path: Path

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def rollouts_dir(self) -> Path:
        return self.path / "rollouts"

    @property
    def config_path(self) -> Path:
        return self.path / ".hydra" / "config.yaml"

    @property
    def overrides_path(self) -> Path:
        return self.path / ".hydra" / "overrides.yaml"


def open_run(path: str | Path) -> RunDir:
    run = RunDir(Path(path))
    if not run.path.is_dir():
        raise InspectError(f"not a directory: {run.path}")
    if not run.metrics_path.exists() and not run.rollouts_dir.is_dir():
        raise InspectError(f"{run.path} has neither metrics.jsonl nor rollouts/: not a run directory")
    return run


def read_overrides(run: RunDir) -> list[str]:
    """Hydra's override strings for this run ([] when absent)."""
    if not run.overrides_path.exists():
        return []
    data = yaml.safe_load(run.overrides_path.read_text()) or []
    return [str(o) for o in data]


def read_config_text(run: RunDir) -> str | None:
    """The resolved config as Hydra wrote it (text, to show it verbatim)."""
    return run.config_path.read_text() if run.config_path.exists() else None
