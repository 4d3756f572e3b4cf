from dataclasses import fields
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from selfplay.rl.config import AlgoConfig

PRESETS = Path(__file__).resolve().parents[2] / "conf" / "algo"


def test_defaults_are_sqlm_grpo():
    cfg = AlgoConfig().validate()
    assert (cfg.adv_estimator, cfg.loss_agg_mode, cfg.lr) == ("grpo", "token-mean", 1e-6)
    assert (cfg.use_kl_loss, cfg.kl_loss_coef, cfg.kl_loss_type, cfg.use_kl_in_reward) == (True, 0.001, "k3", False)
    assert cfg.clip_ratio_low == cfg.clip_ratio_high == 0.2 and cfg.clip_ratio_c is None


@pytest.mark.parametrize(
    "field,value",
    [
        ("adv_estimator", "ppo"),
        ("loss_agg_mode", "token-sum"),
        ("kl_loss_type", "low_var_kl"),
        ("kl_reward_type", "k4"),
        ("clip_ratio_low", -0.1),
        ("clip_ratio_low", 1.0),
        ("clip_ratio_high", -0.2),
        ("clip_ratio_c", 1.0),
        ("clip_ratio_c", 0.5),
        ("loss_agg_norm_length", 0),
        ("kl_loss_coef", -0.001),
        ("kl_reward_coef", -1.0),
        ("entropy_coeff", -0.01),
        ("weight_decay", -0.1),
        ("ppo_epochs", 0),
        ("ppo_mini_batch_size", -1),
        ("ppo_micro_batch_size", -4),
        ("max_grad_norm", 0.0),
        ("lr", 0.0),
    ],
)
def test_validate_names_the_bad_field(field, value):
    with pytest.raises(ValueError, match=f"algo.{field}="):
        AlgoConfig(**{field: value}).validate()


def test_micro_larger_than_mini_is_rejected():
    with pytest.raises(ValueError, match="ppo_micro_batch_size"):
        AlgoConfig(ppo_mini_batch_size=4, ppo_micro_batch_size=8).validate()
    AlgoConfig(ppo_mini_batch_size=0, ppo_micro_batch_size=8).validate()  # 0 = whole batch


def test_structured_config_and_presets():
    # Each preset holds only what differs from the typed defaults (tests/conf/test_presets.py).
    schema = OmegaConf.structured(AlgoConfig)
    names = {f.name for f in fields(AlgoConfig)}
    presets = sorted(PRESETS.glob("*.yaml"))
    assert {p.stem for p in presets} >= {"grpo", "drgrpo", "rloo", "reinforce_pp", "toy_grpo"}
    for path in presets:
        raw = yaml.safe_load(path.read_text())
        assert set(raw) <= names, path.name
        cfg = OmegaConf.to_object(OmegaConf.merge(schema, raw))
        assert isinstance(cfg, AlgoConfig) and cfg.name == path.stem
        cfg.validate()
    grpo = OmegaConf.to_object(OmegaConf.merge(schema, yaml.safe_load((PRESETS / "grpo.yaml").read_text())))
    assert grpo == AlgoConfig()


def test_warmup_lr_is_linear_then_constant():
    from selfplay.rl import warmup_lr

    cfg = AlgoConfig(lr=1e-4, lr_warmup_steps=4)
    assert [warmup_lr(cfg, k) for k in range(6)] == pytest.approx([2.5e-5, 5e-5, 7.5e-5, 1e-4, 1e-4, 1e-4])
    assert warmup_lr(AlgoConfig(lr=1e-4), 0) == 1e-4
    with pytest.raises(ValueError, match="lr_warmup_steps"):
        AlgoConfig(lr_warmup_steps=-1).validate()
