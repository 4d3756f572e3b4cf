"""Composing the project's Hydra config in-process, as ``python -m selfplay`` would."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from selfplay.config import Config, register, to_config

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "conf"


def compose_raw(*overrides: str) -> DictConfig:
    register()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


def compose_config(*overrides: str) -> Config:
    """The typed, validated config of ``python -m selfplay OVERRIDES``."""
    return to_config(compose_raw(*overrides))
