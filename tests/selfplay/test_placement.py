"""Which actor asks Ray for which resources (``make_actors``), and the refusal before any work
when the cluster lacks the GPUs asked for: without a GPU, Ray replaced by a recorder."""

import sys

import pytest
from testkit.hydra import compose_config

from selfplay import cluster, preflight
from selfplay.actors import Where, make_actors


class _RecordingRay:
    """``ray.remote(**resources)(cls).options(...).remote(*args, **kwargs)``, recorded."""

    def __init__(self):
        self.asked: list[tuple[str, dict, dict]] = []

    def remote(self, **resources):
        return lambda cls: _ActorClass(self, cls.__name__, resources)


class _ActorClass:
    def __init__(self, ray, name, resources):
        self.ray, self.name, self.resources = ray, name, resources

    def options(self, **_):
        return self

    def remote(self, *args, **kwargs):
        self.ray.asked.append((self.name, self.resources, kwargs))
        return object()


@pytest.fixture
def fake_ray(monkeypatch):
    ray = _RecordingRay()
    monkeypatch.setitem(sys.modules, "ray", ray)
    monkeypatch.setattr(cluster, "wait_started", lambda handles, timeout_s: None)
    return ray


def asked(fake_ray, *overrides):
    make_actors(compose_config(*overrides), "/models/base", Where())
    return [(name, res, kw.get("backend").name if "backend" in kw else None) for name, res, kw in fake_ray.asked]


def test_a_shared_policy_worker_asks_for_the_gpus_the_controller_for_nothing(fake_ray):
    assert asked(fake_ray, "cluster.worker_num_gpus=1", "backend=vllm") == [
        ("PolicyWorker", {"num_cpus": 1.0, "num_gpus": 1.0}, "vllm"),
        ("CurriculumController", {"num_cpus": 0}, None),
    ]


def test_each_role_worker_asks_for_its_own_share(fake_ray):
    assert asked(fake_ray, "selfplay.shared_policy=false", "cluster.worker_num_gpus=0.5", "cluster.worker_num_cpus=2") == [
        ("PolicyWorker", {"num_cpus": 2.0, "num_gpus": 0.5}, "hf"),
        ("PolicyWorker", {"num_cpus": 2.0, "num_gpus": 0.5}, "hf"),
        ("CurriculumController", {"num_cpus": 0}, None),
    ]


def test_a_shared_lora_base_is_one_worker_asking_once(fake_ray):
    got = asked(fake_ray, "model.lora.enabled=true", "selfplay.shared_policy=false", "model.lora.shared_base=true",
                "cluster.worker_num_gpus=1")
    assert got == [("SharedBaseWorker", {"num_cpus": 1.0, "num_gpus": 1.0}, "hf"), ("CurriculumController", {"num_cpus": 0}, None)]


@pytest.mark.parametrize("experiment", ["sqlm_multiply", "sqlm_linear_equations"])
def test_sqlm_presets_generate_on_vllm_with_a_gpu_per_worker(fake_ray, experiment):
    cfg = compose_config(f"experiment={experiment}")
    assert (cfg.backend.name, cfg.cluster.worker_num_gpus, cfg.model.device) == ("vllm", 1.0, "cuda")
    assert asked(fake_ray, f"experiment={experiment}")[0] == ("PolicyWorker", {"num_cpus": 1.0, "num_gpus": 1.0}, "vllm")


def test_gpus_the_machine_lacks_are_refused_before_any_work(monkeypatch):
    monkeypatch.setattr(preflight, "_local_node", lambda num_cpus: {"CPU": 16.0, "GPU": 0.0})
    cfg = compose_config("experiment=sqlm_multiply")
    problems = {p.key: p for p in preflight._check_cluster(cfg)}
    assert "Ray would wait forever" in problems["cluster.worker_num_gpus"].why
    assert "1 policy worker(s) ask for 1 GPU each, but this machine's local Ray has GPU 0" in problems["cluster.worker_num_gpus"].why
    monkeypatch.setattr(preflight, "_local_node", lambda num_cpus: {"CPU": 16.0, "GPU": 1.0})
    assert preflight._check_cluster(cfg) == []
    cfg = compose_config("experiment=sqlm_multiply", "selfplay.shared_policy=false")  # two workers, one GPU
    assert [p.key for p in preflight._check_cluster(cfg)] == ["cluster.worker_num_gpus"]
