"""Where cached artefacts (the toy world's base models) live."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$SELFPLAY_CACHE``, else ``.cache/`` in the source checkout, else ``~/.cache/selfplay``."""
    if env := os.environ.get("SELFPLAY_CACHE"):
        return Path(env)
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").exists():
        return checkout / ".cache"
    return Path.home() / ".cache" / "selfplay"
