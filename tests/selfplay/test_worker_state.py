"""A policy worker's checkpoint holds its whole future: weights, optimizer, every random
stream, the reference's identity. In-process (the worker is a plain class), on the tiny toy model."""

import pytest
import torch
from testkit.runs import tiny_config

from agents.policy_worker import PolicyWorker
from selfplay.messages import SamplingParams, TrainSample

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def setup(toy_cache, monkeypatch_module):
    monkeypatch_module.setenv("SELFPLAY_CACHE", str(toy_cache))
    from selfplay.driver import resolve_model_path

    cfg = tiny_config()
    return cfg, resolve_model_path(cfg)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def worker(setup, seed=0):
    cfg, path = setup
    return PolicyWorker(path, cfg.model, cfg.algo, seed=seed, threads=1, generation_batch_size=64)


PROMPTS = ["add:", "mul:"]
PARAMS = SamplingParams(temperature=1.0, n=4, max_new_tokens=8)


def texts(w):
    return [[g.text for g in group] for group in w.generate(PROMPTS, PARAMS)]


def train_once(w):
    gens = w.generate(PROMPTS, PARAMS)
    samples = [TrainSample(g.prompt_ids, g.completion_ids, float(j % 2), group=i) for i, grp in enumerate(gens) for j, g in enumerate(grp)]
    w.train(samples, temperature=1.0)


def test_restoring_the_random_state_replays_sampling(setup):
    w = worker(setup)
    state = w.rng_state()
    first = texts(w)
    assert texts(w) != first  # the stream moves on...
    w.set_rng_state(state)
    assert texts(w) == first  # ...and is put back whole (what evaluation relies on)


def test_save_then_load_continues_exactly(setup, tmp_path):
    a = worker(setup)
    train_once(a)
    a.save(str(tmp_path / "ckpt"))
    train_once(a)
    after = texts(a)
    # Another seed: everything must come from the checkpoint (which also puts back this
    # process's global random state, shared with ``a`` in-process).
    b = worker(setup, seed=123)
    b.load(str(tmp_path / "ckpt"))
    assert b.reference_fingerprint() == a.reference_fingerprint()
    train_once(b)
    assert texts(b) == after
    for (name, p), q in zip(a.model.named_parameters(), b.model.parameters()):
        assert torch.equal(p, q), name
