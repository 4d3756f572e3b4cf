"""Phases (selfplay/phases.py): a bad ``init_from`` is refused before any work, with a clear reason."""

import pytest
from testkit.models import make_tiny_llama
from transformers import LlamaConfig, LlamaForCausalLM

from selfplay.checkpoint import save_checkpoint
from selfplay.config import Config, SelfPlayConfig, validate
from selfplay.phases import check_shapes, resolve


def write_run(run_dir, workers=("policy",), step=2, model=None):
    model = model or make_tiny_llama()

    def parts(tmp):
        for w in workers:
            model.save_pretrained(tmp / w / "model")

    return save_checkpoint(run_dir, step, parts, keep=2)


def cfg(init_from, shared=True, **kw):
    return Config(init_from=str(init_from), selfplay=SelfPlayConfig(shared_policy=shared), **kw)


def test_a_run_directory_resolves_to_its_latest_intact_checkpoint(tmp_path):
    write_run(tmp_path / "a", step=2)
    newest = write_run(tmp_path / "a", step=4)
    source = resolve(cfg(tmp_path / "a"), tmp_path / "b")
    assert source.checkpoint == newest and source.folders == {"policy": newest / "policy"}
    # a checkpoint folder is taken as it is
    older = tmp_path / "a" / "checkpoints" / "step_000002"
    assert resolve(cfg(older), tmp_path / "b").checkpoint == older
    # a shared policy starts both roles of a run with a worker per role
    split = resolve(cfg(tmp_path / "a", shared=False), tmp_path / "b")
    assert split.folders == {"solver": newest / "policy", "proposer": newest / "policy"}


@pytest.mark.parametrize(
    "setup, match",
    [
        (lambda d: None, "no such run directory"),
        (lambda d: d.mkdir(), "no intact checkpoint"),
        (lambda d: (write_run(d) / "policy" / "model" / "config.json").write_text("{}"), "has .* bytes"),
        (lambda d: write_run(d, workers=("solver", "proposer")), "ambiguous"),
    ],
    ids=["missing", "empty", "damaged", "per-role-into-shared"],
)
def test_bad_sources_are_refused(tmp_path, setup, match):
    setup(tmp_path / "a")
    with pytest.raises((ValueError, FileNotFoundError), match=match):
        resolve(cfg(tmp_path / "a"), tmp_path / "b")


def test_a_damaged_checkpoint_named_directly_is_refused(tmp_path):
    ckpt = write_run(tmp_path / "a")
    (ckpt / "policy" / "model" / "model.safetensors").unlink()
    with pytest.raises(ValueError, match="not an intact checkpoint .*missing"):
        resolve(cfg(ckpt), tmp_path / "b")


def test_the_own_run_directory_is_refused(tmp_path):
    write_run(tmp_path / "a")
    with pytest.raises(ValueError, match="own directory"):
        resolve(cfg(tmp_path / "a"), tmp_path / "a")


def test_model_shapes_must_match(tmp_path):
    write_run(tmp_path / "a")
    source = resolve(cfg(tmp_path / "a"), tmp_path / "b")
    same = tmp_path / "same"
    make_tiny_llama(seed=1).save_pretrained(same)
    check_shapes(source, str(same), None)  # other weights, same shapes: fine
    wider = tmp_path / "wider"
    LlamaForCausalLM(LlamaConfig(**{**make_tiny_llama().config.to_dict(), "hidden_size": 32})).save_pretrained(wider)
    with pytest.raises(ValueError, match="do not fit this run's model.*shapes differ"):
        check_shapes(source, str(wider), None)
    deeper = tmp_path / "deeper"
    LlamaForCausalLM(LlamaConfig(**{**make_tiny_llama().config.to_dict(), "num_hidden_layers": 2})).save_pretrained(deeper)
    with pytest.raises(ValueError, match="missing"):
        check_shapes(source, str(deeper), None)


def test_config_refuses_unknown_references_and_lora_phases():
    with pytest.raises(ValueError, match="init_reference"):
        validate(Config(init_reference="start"))
    bad = Config(init_from="x")
    bad.model.lora.enabled = True
    with pytest.raises(ValueError, match="LoRA"):
        validate(bad)
