from pathlib import Path

import pytest

from selfplay.config import TaskConfig
from selfplay.tasks import make_task

CONF = Path(__file__).resolve().parents[2] / "conf"


def task_config(name: str, **overrides) -> TaskConfig:
    """The task's own preset (conf/task/<name>.yaml) with ``overrides``."""
    from omegaconf import OmegaConf

    preset = OmegaConf.load(CONF / "task" / f"{name}.yaml")
    cfg = OmegaConf.merge(OmegaConf.structured(TaskConfig), preset, overrides)
    return OmegaConf.to_object(cfg)


@pytest.fixture(scope="session")
def multiply():
    return make_task(task_config("multiply", eval_per_level=16, eval_levels=[1, 2, 3]))


@pytest.fixture(scope="session")
def linear():
    return make_task(task_config("linear_equations", eval_per_level=16, equivalence_timeout_s=1.0))
