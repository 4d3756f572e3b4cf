"""The generation backend is chosen by name from one registry (agents/backends.py)."""

import pytest

from agents.backends import BACKENDS, BackendConfig, make_backend
from agents.generation import HFBackend
from agents.models import load_model
from agents.policy_worker import PolicyWorker
from selfplay.rl import AlgoConfig


def test_registry_names_both_backends_and_builds_hf_without_vllm(toy_model_dir):
    assert BACKENDS.names() == ("hf", "vllm")
    model, tok = load_model(toy_model_dir)
    backend = make_backend(BackendConfig(), model, tok, batch_size=8, precision=None)
    assert isinstance(backend, HFBackend) and backend.model is model and backend.batch_size == 8
    with pytest.raises(ValueError, match=r"backend.name='sglang': unknown generation backend \(known: hf, vllm\)"):
        make_backend(BackendConfig(name="sglang"), model, tok, batch_size=8, precision=None)


def test_worker_builds_its_backend_from_the_config(toy_model_dir):
    from selfplay.config import ModelConfig

    w = PolicyWorker(toy_model_dir, ModelConfig(), AlgoConfig(), seed=0, threads=1, generation_batch_size=16)
    assert isinstance(w.backend, HFBackend) and w.backend.batch_size == 16
    with pytest.raises(ValueError, match="unknown generation backend"):
        PolicyWorker(toy_model_dir, ModelConfig(), AlgoConfig(), seed=0, threads=1, generation_batch_size=16,
                     backend=BackendConfig(name="nope"))
