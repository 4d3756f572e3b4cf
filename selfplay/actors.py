"""Typed clients of the actors, and their construction on Ray.

The step and the driver call ``actors.solver.train(samples, temperature)``: a method with a
signature an editor can follow and a type checker can check. Each client method names the
worker method it runs (``PolicyWorker.train``), so a misspelt name fails the type check and
the argument types are checked against the worker's own signature. How a call reaches the
actor is the client's ``Transport``: Ray here (with the fault-injection point), plain
method calls in the in-process tests (``local_transport``). See docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Concatenate, ParamSpec, TypeVar

from agents.policy_worker import PolicyWorker
from selfplay import faults
from selfplay.config import Config, proposer_model
from selfplay.curriculum.controller import CurriculumController
from selfplay.messages import (
    CurriculumScores, Generation, ProbeRequest, ProbeResult, ProblemOutcome, SamplingParams, TrainResult, TrainSample,
)

P = ParamSpec("P")
R = TypeVar("R")

# (handle, method name, positional args) -> the method's result, blocking
Transport = Callable[[Any, str, tuple], Any]


def local_transport(target: Any, method: str, args: tuple) -> Any:
    """Calls on plain objects in this process (tests, scripts)."""
    return getattr(target, method)(*args)


class _Client:
    def __init__(self, handle: Any, transport: Transport):
        self.handle = handle
        self._transport = transport

    def _call(self, method: Callable[Concatenate[Any, P], R], *args: P.args, **kwargs: P.kwargs) -> R:
        if kwargs:
            raise TypeError("actor calls take positional arguments only")
        return self._transport(self.handle, method.__name__, args)


class PolicyClient(_Client):
    """A policy worker (``agents/policy_worker.py``): one role's model, sampler and trainer."""

    def generate(self, prompts: list[str], params: SamplingParams) -> list[list[Generation]]:
        return self._call(PolicyWorker.generate, prompts, params)

    def train(self, samples: list[TrainSample], temperature: float) -> TrainResult:
        return self._call(PolicyWorker.train, samples, temperature)

    def probe(self, request: ProbeRequest) -> ProbeResult:
        return self._call(PolicyWorker.probe, request)

    def start_phase(self, directory: str, reference: str) -> None:
        return self._call(PolicyWorker.start_phase, directory, reference)

    def save(self, directory: str) -> None:
        return self._call(PolicyWorker.save, directory)

    def load(self, directory: str) -> None:
        return self._call(PolicyWorker.load, directory)

    def rng_state(self) -> dict:
        return self._call(PolicyWorker.rng_state)

    def set_rng_state(self, state: dict) -> None:
        return self._call(PolicyWorker.set_rng_state, state)

    def reference_fingerprint(self) -> str:
        return self._call(PolicyWorker.reference_fingerprint)


class ControllerClient(_Client):
    """The curriculum controller (``selfplay/curriculum/controller.py``)."""

    def topic_prompts(self, count: int) -> list[str]:
        return self._call(CurriculumController.topic_prompts, count)

    def score(self, outcomes: list[ProblemOutcome]) -> CurriculumScores:
        return self._call(CurriculumController.score, outcomes)

    def state_dict(self) -> dict:
        return self._call(CurriculumController.state_dict)

    def load_state_dict(self, state: dict) -> None:
        return self._call(CurriculumController.load_state_dict, state)


@dataclass
class Actors:
    proposer: PolicyClient
    solver: PolicyClient  # the same worker as the proposer under a shared policy
    controller: ControllerClient

    def policies(self, shared_policy: bool) -> dict[str, PolicyClient]:
        """Distinct policy workers by checkpoint sub-folder name."""
        return {"policy": self.solver} if shared_policy else {"solver": self.solver, "proposer": self.proposer}


# -- on Ray -------------------------------------------------------------------------------------
@dataclass
class Where:
    """Where the driver is, for the fault-injection points ``<phase>.<method>@<step>``."""

    phase: str = "setup"
    step: int = 0


@dataclass(frozen=True)
class RoleHandle:
    """One role of a shared-base actor (``agents/shared_base.py``), called like a worker of its own."""

    actor: Any
    role: str


def ray_transport(where: Where, timeout_s: float) -> Transport:
    from selfplay import cluster

    def call(handle: Any, method: str, args: tuple) -> Any:
        if isinstance(handle, RoleHandle):
            ref = handle.actor.as_role.remote(handle.role, method, *args)
        else:
            ref = getattr(handle, method).remote(*args)
        faults.point(f"{where.phase}.{method}", where.step)  # the actor is busy with it now
        # Bounded: a hung or starved actor ends the run with a message, not a silent wait.
        return cluster.get(ref, timeout_s, f"{method} ({where.phase}, step {where.step})")

    return call


def make_actors(cfg: Config, model_path: str, where: Where, proposer_path: str | None = None) -> Actors:
    """Start the policy worker(s) and the controller on the connected Ray cluster, and wait
    (bounded by ``cluster.actor_start_timeout_s``) until each has started. Without a shared
    policy the proposer's worker starts from ``proposer_path`` (default: ``model_path``) with
    ``proposer_model(cfg)``'s settings."""
    import ray

    from agents.shared_base import SharedBaseWorker
    from selfplay import cluster

    call = ray_transport(where, cfg.cluster.call_timeout_s)
    kwargs = dict(
        threads=cfg.cluster.torch_threads, generation_batch_size=cfg.cluster.generation_batch_size,
        keep_reference=cfg.instruments.enabled,  # the drift probes' KL to the base
        backend=cfg.backend,
    )
    resources = dict(num_cpus=cfg.cluster.worker_num_cpus, num_gpus=cfg.cluster.worker_num_gpus)
    if cfg.model.lora.shared_base:
        both = ray.remote(**resources)(SharedBaseWorker).remote(model_path, cfg.model, cfg.algo, seed=cfg.seed, **kwargs)
        solver, proposer = RoleHandle(both, "solver"), RoleHandle(both, "proposer")
    else:
        worker_cls = ray.remote(**resources)(PolicyWorker)
        solver = worker_cls.options(name=None).remote(model_path, cfg.model, cfg.algo, seed=cfg.seed, **kwargs)
        if cfg.selfplay.shared_policy:
            proposer = solver
        else:
            proposer = worker_cls.remote(
                proposer_path or model_path, proposer_model(cfg), cfg.algo, seed=cfg.seed + 1, **kwargs
            )
    controller = ray.remote(num_cpus=0)(CurriculumController).remote(
        cfg.curriculum, list(cfg.task.topics), cfg.selfplay.attempts_per_problem, seed=cfg.seed
    )
    handles = {"solver worker": solver, "proposer worker": proposer, "curriculum controller": controller}
    cluster.wait_started({name: getattr(h, "actor", h) for name, h in handles.items()}, cfg.cluster.actor_start_timeout_s)
    solver_client = PolicyClient(solver, call)
    proposer_client = solver_client if proposer is solver else PolicyClient(proposer, call)
    return Actors(proposer=proposer_client, solver=solver_client, controller=ControllerClient(controller, call))
