"""Self-play runs with LoRA adapters through the Hydra app and Ray: a checkpoint holds only
the adapters, and the run resumes from it. On the toy world, and on SmolLM2 (slow)."""

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from testkit.runs import read_metrics, run_app, untimed

from selfplay.paths import cache_root

pytestmark = pytest.mark.slow

LORA = ["model.lora.enabled=true", "model.lora.r=4", "model.lora.alpha=8", "logging.progress=false", "cluster.torch_threads=1"]
TOY = [
    "model.toyworld.hidden_size=32", "model.toyworld.intermediate_size=64", "model.toyworld.num_layers=2",
    "model.toyworld.num_heads=2", "model.toyworld.steps=20", "model.toyworld.batch_size=16",
    "task.eval_per_level=2", "selfplay.topics_per_step=2",
    "selfplay.proposer_update_every=2", "checkpoint_every=2", "algo.lr=1e-3",
]
SMOLLM2 = [
    "experiment=cpu_smollm2_multiply", "selfplay.topics_per_step=1", "selfplay.proposals_per_topic=2",
    "selfplay.attempts_per_problem=2", "task.eval_levels=[1]", "task.eval_per_level=1", "eval_samples=2",
    "task.max_proposal_tokens=24", "task.max_answer_tokens=16", "checkpoint_every=2", "algo.lr=1e-4",
    "instruments.probe_prompts=2", "instruments.proposer_probe_samples=2",  # the probes at SmolLM2's cost
]


def run(run_dir: Path, cache: Path, *overrides: str) -> str:
    proc = run_app(run_dir, cache, *overrides, base=LORA, timeout=900)
    return proc.stdout + proc.stderr


def drop(row: dict, *prefixes: str) -> dict:
    return {k: v for k, v in row.items() if not k.startswith(prefixes)}


def metrics(run_dir: Path) -> list[dict]:
    return untimed(read_metrics(run_dir))


def check_adapter_run(run_dir: Path, cache: Path, overrides: list[str], adapters=("policy/model",)) -> None:
    run(run_dir, cache, "steps=2", *overrides)
    for adapter in adapters:
        files = {p.name for p in (run_dir / "checkpoints" / "step_000002" / adapter).iterdir()}
        assert {"adapter_model.safetensors", "adapter_config.json"} <= files
        assert not any(f.startswith("model") and f.endswith(".safetensors") for f in files)  # no base weights
    rows = read_metrics(run_dir)
    assert "train/proposer/loss" in rows[2]  # both roles trained by step 2

    out = run(run_dir, cache, "steps=3", *overrides)
    assert "Resuming from" in out
    assert [row["step"] for row in read_metrics(run_dir)] == [0, 1, 2, 3]


def test_lora_selfplay_on_the_toy_world(tmp_path):
    check_adapter_run(tmp_path / "run", tmp_path / "cache", TOY)


def test_lora_shared_base_on_the_toy_world(tmp_path):
    # One worker, one base, an adapter per role, each in its role's checkpoint folder.
    shared = [*TOY, "selfplay.shared_policy=false", "model.lora.shared_base=true"]
    run_dir, cache = tmp_path / "run", tmp_path / "cache"
    check_adapter_run(run_dir, cache, shared, adapters=("solver/model/solver", "proposer/model/proposer"))
    step3 = run_dir / "checkpoints" / "step_000003"
    assert not (step3 / "solver" / "model" / "proposer").exists()
    adapters = {role: load_file(step3 / role / "model" / role / "adapter_model.safetensors") for role in ("solver", "proposer")}
    assert any(not torch.equal(v, adapters["proposer"][k]) for k, v in adapters["solver"].items())  # two policies

    # The resumed run (2 steps, then 1) equals an uninterrupted one: both adapters, both optimizers.
    run(tmp_path / "straight", cache, "steps=3", *shared)
    resumed, straight = metrics(run_dir), metrics(tmp_path / "straight")
    assert resumed[-1] == straight[-1]  # step 3, its evaluation included
    # Earlier rows alike but for the 2-step run's closing evaluation (which never shifts training).
    assert [drop(r, "eval/") for r in resumed] == [drop(r, "eval/") for r in straight]
    for role in ("solver", "proposer"):
        a, b = (d / "checkpoints" / "step_000003" / role for d in (run_dir, tmp_path / "straight"))
        wa, wb = (load_file(x / "model" / role / "adapter_model.safetensors") for x in (a, b))
        assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
        oa, ob = (torch.load(x / "trainer_state.pt", weights_only=False)["optimizer"]["state"] for x in (a, b))
        assert oa.keys() == ob.keys() and all(torch.equal(oa[i][k], ob[i][k]) for i in oa for k in oa[i])


def test_lora_selfplay_on_smollm2(tmp_path):
    pytest.importorskip("gguf")
    # The shared cache keeps SmolLM2's converted weights between runs (a ~40 s conversion).
    check_adapter_run(tmp_path / "run", cache_root(), SMOLLM2)
