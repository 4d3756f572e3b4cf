"""Every preset means what it says: each value a preset file sets survives composition when
that preset is chosen (no later layer silently overrides it), the default recipe is the toy
experiment, and an algo preset holds only what differs from the typed defaults."""


import pytest
import yaml
from omegaconf import OmegaConf
from testkit.hydra import CONF, compose_config, compose_raw

from selfplay.config import Config
from selfplay.rl.config import AlgoConfig

GROUPS = ("algo", "task", "curriculum", "model", "proposer_model", "problem_source", "labels", "cluster", "backend",
          "experiment")


def _presets():
    return [(g, p.stem) for g in GROUPS for p in sorted((CONF / g).glob("*.yaml"))]


def _raw(group: str, name: str) -> dict:
    """What a preset sets, with a `/other_group/preset@_here_` default (proposer_model's
    presets are model presets) read in first."""
    raw = yaml.safe_load((CONF / group / f"{name}.yaml").read_text()) or {}
    merged: dict = {}
    for entry in raw.get("defaults", []):
        if isinstance(entry, str) and entry.startswith("/") and entry.endswith("@_here_"):
            merged = OmegaConf.merge(merged, _raw(*entry[1:-len("@_here_")].split("/")))
    rest = {k: v for k, v in raw.items() if k != "defaults"}
    return OmegaConf.to_container(OmegaConf.merge(merged, rest)) if merged else rest


def _leaves(node, prefix=()):
    """(path, value) of every leaf a preset file sets; interpolations are checked elsewhere."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k != "defaults":
                yield from _leaves(v, (*prefix, k))
    elif not (isinstance(node, str) and node.startswith("${")):
        yield prefix, node


@pytest.mark.parametrize(("group", "name"), _presets(), ids=lambda x: x)
def test_every_value_a_preset_sets_survives_composition(group, name):
    raw = _raw(group, name)
    composed = OmegaConf.to_container(compose_raw(f"{group}={name}"), resolve=True)
    prefix = () if group == "experiment" else (group,)  # experiments are `# @package _global_`
    leaves = list(_leaves(raw, prefix))
    assert leaves, f"{group}/{name} sets nothing"
    for path, value in leaves:
        got = composed
        for k in path:
            got = got[k]
        assert got == value, f"{group}/{name}: {'.'.join(path)} is {got!r} after composition, the preset says {value!r}"
    if group != "experiment":
        # Nor does any other layer set a key of the group behind the preset's back: the group
        # is exactly the typed defaults plus the preset.
        base = OmegaConf.structured(Config)
        if OmegaConf.is_missing(base, group) or base[group] is None:  # an optional group: its preset is the model's
            base[group] = base["model"]
        expected = OmegaConf.merge(base, {group: raw})
        expected = OmegaConf.to_container(expected, resolve=True)[group]
        assert composed[group] == expected, f"{group}/{name} is not what the preset and the typed defaults say"


def test_the_default_is_the_toy_experiment_and_group_choices_win_over_it():
    default = compose_config()
    assert (default.model.name, default.task.name, default.algo.name, default.steps) == ("toy", "toy_arithmetic", "toy_grpo", 150)
    drgrpo = compose_config("algo=drgrpo").algo
    assert drgrpo.name == "drgrpo" and drgrpo.lr == AlgoConfig().lr == 1e-6 and drgrpo.lr_warmup_steps == 0


def test_toy_model_holds_out_the_tasks_eval_set_by_construction():
    cfg = compose_config("task.eval_seed=7", "task.eval_per_level=3")
    assert (cfg.model.toyworld.eval_seed, cfg.model.toyworld.eval_per_level) == (7, 3)
    with pytest.raises(ValueError, match="model.toyworld.eval_seed"):
        compose_config("model.toyworld.eval_seed=8")


@pytest.mark.parametrize("path", sorted((CONF / "algo").glob("*.yaml")), ids=lambda p: p.stem)
def test_algo_presets_hold_only_what_differs_from_the_typed_defaults(path):
    raw = yaml.safe_load(path.read_text())
    defaults = OmegaConf.structured(AlgoConfig)
    same = [k for k, v in raw.items() if k != "name" and defaults[k] == v]
    assert not same, f"{path.name} repeats typed defaults: {same}"
    cfg = OmegaConf.to_object(OmegaConf.merge(defaults, raw))
    assert cfg.name == path.stem
    cfg.validate()
