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


def test_worker_places_sampler_logprobs_under_their_tokens(toy_model_dir):
    """The sampler's log-probs reach the update aligned with the completion tokens: HF's own
    (``SamplingParams.logprobs``) equal the trainer's, so the logged gap is float noise; one
    shifted token shows up as the max."""
    from selfplay.config import ModelConfig
    from selfplay.messages import SamplingParams, TrainSample

    def samples(shift: float):
        w.model.eval()
        gens = w.generate(["add:", "mul:"], SamplingParams(temperature=0.7, n=3, max_new_tokens=6, logprobs=True))
        out = []
        for k, group in enumerate(gens):
            for j, g in enumerate(group):
                lp = list(g.logprobs)
                if (k, j) == (1, 2):
                    lp[-1] += shift
                out.append(TrainSample(g.prompt_ids, g.completion_ids, float(j % 2), group=k, sampler_logprobs=tuple(lp)))
        return out

    w = PolicyWorker(toy_model_dir, ModelConfig(), AlgoConfig(lr=1e-9), seed=0, threads=1, generation_batch_size=16)
    m = w.train(samples(0.0), temperature=0.7).metrics
    assert m["rollout_logprob_diff_max"] < 1e-4 and m["rollout_logprob_diff_mean"] < 1e-5
    m = w.train(samples(0.25), temperature=0.7).metrics
    assert m["rollout_logprob_diff_max"] == pytest.approx(0.25, abs=1e-4)
    with pytest.raises(ValueError, match="every sample"):
        w.train([*samples(0.0)[:2], TrainSample([1], [2], 0.0, group=0)], temperature=0.7)
