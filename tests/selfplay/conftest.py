import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def toy_cache(tmp_path_factory) -> Path:
    """One SELFPLAY_CACHE for the session: the tiny toy model is built once, by its first user.
    SELFPLAY_TEST_CACHE=DIR keeps it across sessions (the build is keyed by its config)."""
    if keep := os.environ.get("SELFPLAY_TEST_CACHE"):
        return Path(keep)
    return tmp_path_factory.mktemp("toy_cache")


@pytest.fixture(scope="session")
def reference_run(toy_cache, tmp_path_factory) -> Path:
    """An uninterrupted run of EXACT_STEPS steps: what resumed and crashed runs must reproduce."""
    from testkit.runs import EXACT_RUN, EXACT_STEPS, run_selfplay

    run_dir = tmp_path_factory.mktemp("reference") / "run"
    run_selfplay(run_dir, toy_cache, f"steps={EXACT_STEPS}", *EXACT_RUN)
    return run_dir
