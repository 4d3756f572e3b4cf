"""What a policy worker's update spends: the passes it skips, the mode it scores the sampler
in, mixed precision, and the step-time metrics it reports."""

import pytest
import torch

import agents.policy_worker as pw
from agents.generation import SamplingParams
from agents.policy_worker import PolicyWorker, TrainSample
from selfplay.config import ModelConfig
from selfplay.rl import AlgoConfig


def make(path, algo=None, **model) -> PolicyWorker:
    return PolicyWorker(path, ModelConfig(path=path, **model), algo or AlgoConfig(lr=1e-3), seed=0, threads=1,
                        generation_batch_size=64)


def rollout(worker) -> list[TrainSample]:
    groups = worker.generate(["add:", "mul:"], SamplingParams(n=4, max_new_tokens=6))
    return [TrainSample(g.prompt_ids, g.completion_ids, float(j % 2), group=k)
            for k, group in enumerate(groups) for j, g in enumerate(group)]


def test_no_reference_copy_or_pass_without_a_kl_term(toy_model_dir):
    with_kl = make(toy_model_dir)
    without = make(toy_model_dir, AlgoConfig(lr=1e-3, use_kl_loss=False))
    assert isinstance(with_kl.ref, torch.nn.Module) and without.ref is None
    samples = rollout(without)
    metrics = without.train(samples, 1.0).metrics
    assert "kl" not in metrics and "time/ref_logprobs_s" not in metrics  # not measured, not reported as 0
    assert {"kl", "time/ref_logprobs_s"} <= set(with_kl.train(samples, 1.0).metrics)
    # The starting weights' identity, for resume checks, is the same with or without a copy.
    assert without.reference_fingerprint() == with_kl.reference_fingerprint()


def test_old_pass_only_off_policy_and_in_the_samplers_mode(toy_model_dir, monkeypatch):
    modes = []
    real = pw.batch_response_logprobs

    def spy(model, *args, **kwargs):
        modes.append(getattr(model, "training", None))
        return real(model, *args, **kwargs)

    monkeypatch.setattr(pw, "batch_response_logprobs", spy)
    on_policy = make(toy_model_dir)
    metrics = on_policy.train(rollout(on_policy), 1.0).metrics
    assert "time/old_logprobs_s" not in metrics and modes == [False]  # the reference's pass only
    assert on_policy.model.training

    modes.clear()
    two_epochs = make(toy_model_dir, AlgoConfig(lr=1e-3, ppo_epochs=2))
    metrics = two_epochs.train(rollout(two_epochs), 1.0).metrics
    assert "time/old_logprobs_s" in metrics
    assert modes == [False, False]  # the policy scored in eval mode, as it sampled; then the reference
    assert two_epochs.model.training  # and back to train mode for the update


def test_step_time_metrics(toy_model_dir):
    worker = make(toy_model_dir)
    metrics = worker.train(rollout(worker), 1.0).metrics
    for key in ("ref_logprobs", "forward_backward", "optimizer", "weight_push", "total"):
        assert metrics[f"time/{key}_s"] >= 0.0
    assert metrics["time/total_s"] >= metrics["time/forward_backward_s"] + metrics["time/ref_logprobs_s"]
    assert metrics["throughput/train_tokens_per_s"] > 0
    assert metrics["perf/flops"] > 0 and 0 < metrics["perf/mfu"] < 2


def test_bfloat16_autocast_keeps_float32_weights(toy_model_dir, monkeypatch):
    # The MFU metric's one-off bf16 matmul probe takes ~30 s on a CPU without AVX512-BF16.
    monkeypatch.setattr(pw, "matmul_peak", lambda *args, **kwargs: 1.0)
    worker = make(toy_model_dir, autocast="bfloat16")
    before = [p.detach().clone() for p in worker.model.parameters()]
    metrics = worker.train(rollout(worker), 1.0).metrics
    assert all(p.dtype == torch.float32 for p in worker.model.parameters())
    assert any(not torch.equal(a, p) for a, p in zip(before, worker.model.parameters()))
    assert all(v == v for v in metrics.values())  # no NaN


def test_unknown_autocast_is_refused(toy_model_dir):
    with pytest.raises(ValueError, match="model.autocast"):
        make(toy_model_dir, autocast="int8")


def test_kl_in_reward_keeps_the_sampling_policys_pass(toy_model_dir):
    worker = make(toy_model_dir, AlgoConfig(lr=1e-3, use_kl_loss=False, use_kl_in_reward=True, kl_reward_coef=0.1))
    metrics = worker.train(rollout(worker), 1.0).metrics
    # The shaped reward needs the sampler's log-probs before the update, even on-policy.
    assert {"time/old_logprobs_s", "time/ref_logprobs_s", "kl_in_reward", "kl"} <= set(metrics)
    assert metrics["kl_in_reward"] == pytest.approx(0.0, abs=1e-5)  # the policy is still the reference


def test_the_matmul_peak_probe_leaves_the_sampling_stream_alone():
    # It runs at a process's first update: on a resumed run that is another step than on an
    # uninterrupted one, so drawing from the global stream would break exact resume.
    from agents.perf import _PEAKS, matmul_peak

    _PEAKS.clear()
    torch.manual_seed(3)
    before = torch.get_rng_state()
    assert matmul_peak(torch.float32, size=64, calls=2) > 0
    assert torch.equal(before, torch.get_rng_state())
