"""Which config differences a resume refuses, warns about, or lets through."""

import pytest
from omegaconf import OmegaConf

from selfplay import config_guard
from selfplay.config import Config
from selfplay.run_state import config_dict


def with_overrides(*overrides: str) -> dict:
    cfg = OmegaConf.merge(OmegaConf.structured(Config), OmegaConf.from_dotlist(list(overrides)))
    return config_dict(OmegaConf.to_object(cfg))


def test_inert_keys_pass_silently():
    saved = with_overrides()
    current = with_overrides(
        "steps=400", "eval_every=3", "checkpoint_every=7", "keep_checkpoints=5", "logging.tensorboard=false",
        "logging.wandb=true", "cluster.num_cpus=8", "resume=never",
    )
    assert config_guard.check(saved, current, allow=False, where="ckpt") == []


def test_numeric_keys_pass_with_a_warning():
    warnings = config_guard.check(with_overrides(), with_overrides("cluster.torch_threads=8"), allow=False, where="ckpt")
    assert len(warnings) == 1 and "cluster.torch_threads: 2 -> 8" in warnings[0] and "bit-identical" in warnings[0]


def test_toy_build_threads_are_a_speed_setting_with_the_same_warning():
    warnings = config_guard.check(with_overrides("model.toyworld.threads=2"), with_overrides("model.toyworld.threads=4"), allow=False, where="ckpt")
    assert len(warnings) == 1 and "model.toyworld.threads: 2 -> 4" in warnings[0] and "bit-identical" in warnings[0]


def test_result_changing_keys_are_refused_by_name():
    with pytest.raises(config_guard.ConfigChangedError) as err:
        config_guard.check(
            with_overrides(), with_overrides("seed=1", "algo.lr=0.5", "steps=99", "task.topics=[add]"), allow=False, where="ckpt"
        )
    msg = str(err.value)
    assert "seed: 0 -> 1" in msg and "algo.lr" in msg and "task.topics: ['add', 'mul'] -> ['add']" in msg
    assert "steps" not in msg.split("result:")[1].split("Rerun")[0]
    assert config_guard.OVERRIDE_FLAG in msg


def test_the_override_flag_lets_them_through_with_a_warning():
    warnings = config_guard.check(with_overrides(), with_overrides("seed=1"), allow=True, where="ckpt")
    assert len(warnings) == 1 and "seed: 0 -> 1" in warnings[0]


def test_a_key_new_to_the_schema_counts_as_result_changing():
    saved = with_overrides()
    current = {**saved, "brand_new": 1}
    with pytest.raises(config_guard.ConfigChangedError, match="brand_new: '<absent>' -> 1"):
        config_guard.check(saved, current, allow=False, where="ckpt")


def test_a_key_the_checkpoint_predates_passes_at_its_default_only():
    """A run saved before an option existed resumes while the option keeps its default (the
    old behaviour), and is refused once it is set to something else."""
    defaults = with_overrides()
    saved = with_overrides()
    del saved["model"]["lora"]["shared_base"]
    assert config_guard.check(saved, with_overrides(), allow=False, where="ckpt", defaults=defaults) == []
    with pytest.raises(config_guard.ConfigChangedError, match="model.lora.shared_base: '<absent>' -> True"):
        config_guard.check(saved, with_overrides("model.lora.shared_base=true"), allow=False, where="ckpt", defaults=defaults)


def test_the_sampler_is_result_changing_its_engine_settings_numeric():
    with pytest.raises(config_guard.ConfigChangedError, match="backend.name: 'hf' -> 'vllm'"):
        config_guard.check(with_overrides(), with_overrides("backend.name=vllm"), allow=False, where="ckpt")
    with pytest.raises(config_guard.ConfigChangedError, match="algo.tis_cap"):
        config_guard.check(with_overrides("backend.name=vllm"), with_overrides("backend.name=vllm", "algo.tis_cap=2"),
                           allow=False, where="ckpt")
    warnings = config_guard.check(with_overrides("backend.name=vllm"), with_overrides("backend.name=vllm", "backend.kv_cache_gib=4"),
                                  allow=False, where="ckpt")
    assert len(warnings) == 1 and "backend.kv_cache_gib: 1.0 -> 4.0" in warnings[0]
    # A checkpoint written before the backend existed resumes under the default (hf) only.
    saved = with_overrides()
    del saved["backend"]
    del saved["algo"]["tis_cap"]
    assert config_guard.check(saved, with_overrides(), allow=False, where="ckpt", defaults=with_overrides()) == []
