"""``python -m selfplay backend=vllm`` end to end on the tiny toy world (Ray, the Hydra app,
an in-process vLLM engine in the policy worker): the engine's log-probs follow the trainer
after every update, and a resumed run's engine serves the checkpoint's weights."""

import pytest
import torch
from testkit.runs import read_metrics, run_selfplay, tiny_config
from vllm_support import require_vllm

from agents.models import load_model
from agents.policy_worker import PolicyWorker
from selfplay.fingerprint import fingerprint
from selfplay.messages import SamplingParams
from selfplay.rl import token_logprobs

pytestmark = pytest.mark.slow

# Max |sampler - trainer| log-prob of a sampled token when the engine holds the trainer's
# weights: ~6e-6 measured on the tiny toy (float32); a missed push moves it by > 1e-2.
TOL = 1e-4
DIFF = "train/{}/rollout_logprob_diff_{}"


@pytest.fixture(scope="module")
def vllm_run(tmp_path_factory, toy_cache):
    require_vllm()
    run_dir = tmp_path_factory.mktemp("vllm") / "run"
    run_selfplay(run_dir, toy_cache, "backend=vllm", "steps=2")
    return run_dir


def test_engine_follows_the_trainer_and_a_resumed_run_continues(vllm_run, toy_cache):
    rows = read_metrics(vllm_run)
    assert [r["step"] for r in rows] == [0, 1, 2]
    for row in rows[1:]:
        assert 0 <= row[DIFF.format("solver", "max")] < TOL, row
        assert 0 <= row[DIFF.format("solver", "mean")] <= row[DIFF.format("solver", "max")]
    # One push per update: solver at step 1 (v1); at step 2 solver (v2), then proposer (v3).
    assert [rows[1]["train/solver/weights_version"], rows[2]["train/solver/weights_version"],
            rows[2]["train/proposer/weights_version"]] == [1.0, 2.0, 3.0]
    # The proposer's step-2 batch was sampled before the solver's update of that step (a
    # shared policy): its gap is that update's, measured, not the engine's; only finite here.
    assert 0 <= rows[2][DIFF.format("proposer", "max")] < 1.0

    proc = run_selfplay(vllm_run, toy_cache, "backend=vllm", "steps=3")
    assert "Resuming from" in proc.stdout + proc.stderr
    row = read_metrics(vllm_run)[3]
    # The restored worker pushed the checkpoint's weights (version 3) before sampling step 3.
    assert row["train/solver/weights_version"] == 4.0
    assert row[DIFF.format("solver", "max")] < TOL


def test_restored_worker_engine_serves_the_checkpoint_weights(vllm_run, toy_cache, monkeypatch):
    monkeypatch.setenv("SELFPLAY_CACHE", str(toy_cache))
    from agents.vllm_backend import StaleWeightsError
    from selfplay.driver import resolve_model_path

    cfg = tiny_config("backend=vllm")
    ckpt = vllm_run / "checkpoints" / "step_000002" / "policy"
    saved, _ = load_model(str(ckpt / "model"))
    saved.eval()
    torch.set_num_threads(1)
    w = PolicyWorker(resolve_model_path(cfg), cfg.model, cfg.algo, seed=5, threads=1, generation_batch_size=64,
                     backend=cfg.backend)
    seq = w.backend._probe()
    with torch.no_grad():
        ids = torch.tensor([seq])
        expected = token_logprobs(saved, ids, torch.ones_like(ids))[0][0, 1:]

    def gap() -> float:
        return float((w.backend.engine_logprobs(seq) - expected).abs().max())

    assert gap() > 1e-3  # a fresh worker's engine holds the base weights: the check can fail
    w.load(str(ckpt))
    assert fingerprint(w.model.state_dict()) == fingerprint(saved.state_dict())  # the module is the checkpoint's
    assert gap() < TOL  # and so is the engine
    assert w.backend.weights_version == 3
    prompts = ["add:", "mul:"]
    params = SamplingParams(temperature=1.0, n=2, max_new_tokens=6)
    assert all(len(g) == 2 for g in w.generate(prompts, params))
    with torch.no_grad():  # a write the worker did not push: refused, never sampled silently
        next(w.model.parameters()).add_(0.01)
    with pytest.raises(StaleWeightsError, match="call update_weights"):
        w.generate(prompts, params)
    w._push_weights()  # pushed: it samples again
    assert all(len(g) == 2 for g in w.generate(prompts, params))
