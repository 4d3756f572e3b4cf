"""One base, two LoRA adapters (``model.lora.shared_base``): a role's update moves its own
adapter only, each role keeps its own optimizer, warm-up clock and weights version, and a
checkpoint restores both roles exactly. In-process, on a tiny toy-world model."""

import pytest
import torch

from agents.lora import LoraConfig
from agents.shared_base import ROLES, SharedBaseWorker
from selfplay.config import Config, ModelConfig, SelfPlayConfig, validate
from selfplay.messages import SamplingParams, TrainSample
from selfplay.rl import AlgoConfig, token_logprobs, warmup_lr

PROMPTS = ["add:", "mul:"]
PARAMS = SamplingParams(n=4, max_new_tokens=8)


def make(path: str, *, seed=0, **algo) -> SharedBaseWorker:
    lora = LoraConfig(enabled=True, r=4, alpha=8, target_modules=["q_proj", "v_proj"], shared_base=True)
    return SharedBaseWorker(path, ModelConfig(path=path, lora=lora), AlgoConfig(lr=1e-2, **algo), seed=seed, threads=1,
                            generation_batch_size=64)


def rollout(w: SharedBaseWorker, role: str, flip=False) -> list[TrainSample]:
    groups = w.as_role(role, "generate", PROMPTS, PARAMS)
    return [TrainSample(g.prompt_ids, g.completion_ids, float((j % 2) ^ flip), group=k)
            for k, group in enumerate(groups) for j, g in enumerate(group)]


def logprobs(w: SharedBaseWorker, role: str, samples: list[TrainSample]) -> torch.Tensor:
    w.model.set_adapter(role)
    ids, attn, _ = w.roles[role]._batch(samples)
    with torch.no_grad():
        return token_logprobs(w.model, ids, attn)[0]


def tensors(w: SharedBaseWorker) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in w.model.state_dict().items()}


def owner(name: str) -> str:
    """``solver``/``proposer`` for an adapter tensor, ``base`` for the rest."""
    return next((r for r in ROLES if "lora_" in name and f".{r}." in name), "base")


def test_a_role_update_moves_its_own_adapter_only(toy_model_dir):
    w = make(toy_model_dir)
    for role, other in (("proposer", "solver"), ("solver", "proposer")):
        samples = rollout(w, role)
        before = tensors(w)
        assert w.as_role(role, "train", samples, 1.0).metrics["grad_norm"] > 0
        after = tensors(w)
        moved = {k for k in before if not torch.equal(before[k], after[k])}
        assert moved and {owner(k) for k in moved} == {role}, moved  # not the base, not the other role
        assert all("lora_A" in k or "lora_B" in k for k in moved)
        # Its optimizer holds its own adapter's tensors, and nothing else.
        names = {id(p): n for n, p in w.model.named_parameters()}
        optimised = {names[id(p)] for g in w.roles[role].optimizer.param_groups for p in g["params"]}
        assert optimised and {owner(n) for n in optimised} == {role}


def test_roles_keep_their_own_clock_version_and_diverge(toy_model_dir):
    w = make(toy_model_dir, lr_warmup_steps=4)
    solver_samples, proposer_samples = rollout(w, "solver"), rollout(w, "proposer", flip=True)
    start = logprobs(w, "solver", solver_samples)
    torch.testing.assert_close(logprobs(w, "proposer", solver_samples), start)  # B = 0: both start at the base
    lrs = [w.as_role("solver", "train", solver_samples, 1.0).metrics["lr"] for _ in range(2)]
    proposer = w.as_role("proposer", "train", proposer_samples, 1.0).metrics
    assert lrs == [warmup_lr(w.roles["solver"].algo, u) for u in (0, 1)]
    assert proposer["lr"] == warmup_lr(w.roles["proposer"].algo, 0)  # its first update, whatever the solver did
    assert proposer["weights_version"] == 1 and w.roles["solver"].backend.weights_version == 2
    solver_now, proposer_now = logprobs(w, "solver", solver_samples), logprobs(w, "proposer", solver_samples)
    assert not torch.allclose(solver_now, proposer_now)  # the adapters diverged
    assert not torch.allclose(solver_now, start)
    # The reference is the base, whatever adapter is active.
    ref = w.roles["proposer"].ref
    ids, attn, _ = w.roles["solver"]._batch(solver_samples)
    w.model.set_adapter("proposer")
    torch.testing.assert_close(token_logprobs(ref, ids, attn)[0], start)


def test_checkpoint_restores_both_roles_exactly(toy_model_dir, tmp_path):
    a = make(toy_model_dir)
    for role in ROLES:
        a.as_role(role, "train", rollout(a, role), 1.0)
    for role in ROLES:
        a.as_role(role, "save", str(tmp_path / role))
    files = {role: {p.relative_to(tmp_path / role).as_posix() for p in (tmp_path / role).rglob("*")} for role in ROLES}
    for role in ROLES:
        assert {f"model/{role}/adapter_model.safetensors", "trainer_state.pt", "reference.json"} <= files[role]
        assert not any(f.startswith(f"model/{other}") for other in ROLES if other != role for f in files[role])
    # What happens next in the original...
    samples = {role: rollout(a, role) for role in ROLES}
    expected = {role: logprobs(a, role, samples[role]) for role in ROLES}
    for role in ROLES:
        a.as_role(role, "train", samples[role], 1.0)
    after = tensors(a)

    b = make(toy_model_dir, seed=123)  # everything must come from the checkpoint
    for role in ROLES:
        assert b.as_role(role, "reference_fingerprint") == a.as_role(role, "reference_fingerprint")
        b.as_role(role, "load", str(tmp_path / role))
    assert {r: b.roles[r].updates for r in ROLES} == {"solver": 1, "proposer": 1}
    # ...happens again in the restored copy: the same samples (random state), log-probs
    # (both adapters), and updates (both optimizers' Adam state).
    replay = {role: rollout(b, role) for role in ROLES}
    assert replay == samples
    for role in ROLES:
        torch.testing.assert_close(logprobs(b, role, samples[role]), expected[role], atol=0, rtol=0)
        b.as_role(role, "train", samples[role], 1.0)
    assert all(torch.equal(after[k], v) for k, v in tensors(b).items())


def test_as_role_refuses_unknown_roles_and_private_methods(toy_model_dir):
    w = make(toy_model_dir)
    with pytest.raises(ValueError, match="role 'critic'"):
        w.as_role("critic", "ping")
    with pytest.raises(ValueError, match="_batch"):
        w.as_role("solver", "_batch", [])


@pytest.mark.parametrize(
    "lora, shared_policy, why",
    [(LoraConfig(shared_base=True), False, "lora.enabled"), (LoraConfig(enabled=True, shared_base=True), True, "shared_policy")],
)
def test_shared_base_needs_lora_and_a_policy_per_role(lora, shared_policy, why):
    cfg = Config(model=ModelConfig(path="x", lora=lora), selfplay=SelfPlayConfig(shared_policy=shared_policy))
    with pytest.raises(ValueError, match=f"model.lora.shared_base.*{why}"):
        validate(cfg)
    validate(Config(model=ModelConfig(path="x", lora=LoraConfig(enabled=True, shared_base=True)),
                    selfplay=SelfPlayConfig(shared_policy=False)))
