import pytest

from selfplay.toyworld.build import ToyWorldConfig, build

# A toy-world base model built in about a second: the LoRA mechanics need a real HF
# checkpoint and tokenizer of the toy world's kind, not a good model.
TINY_TOY = ToyWorldConfig(hidden_size=32, intermediate_size=64, num_layers=2, num_heads=2, steps=20,
                          batch_size=16, eval_per_level=2, threads=1)


@pytest.fixture(scope="session")
def toy_model_dir(tmp_path_factory):
    return str(build(TINY_TOY, root=tmp_path_factory.mktemp("cache"), log=lambda s: None))
