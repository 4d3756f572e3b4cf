"""The experiment driver: the single controller that starts the actors and runs the steps.

It owns the run directory (metrics, rollouts, checkpoints) and is the only party that talks
to the actors; they never talk to each other.
"""

from __future__ import annotations

import logging
import pickle
import random
import time
from pathlib import Path

import numpy as np
import ray
import torch
from tqdm import tqdm

from selfplay.checkpoint import latest_checkpoint, save_checkpoint, step_of
from selfplay.config import Config
from selfplay.curriculum.controller import CurriculumController
from selfplay.evaluation import evaluate
from selfplay.step import Actors, is_due, run_step
from selfplay.tasks import make_task
from selfplay.tracking.metrics import MetricsLog
from selfplay.tracking.rollouts import remove_after, write_rollouts

log = logging.getLogger(__name__)


def resolve_model_path(cfg: Config) -> str:
    """The model folder or hub id; the toy world's base model is built (or found cached)."""
    if cfg.model.path is not None:
        return cfg.model.path
    from selfplay.toyworld.build import build

    toy = cfg.model.toyworld
    if cfg.task.name == "toy_arithmetic" and (toy.eval_seed, toy.eval_per_level) != (cfg.task.eval_seed, cfg.task.eval_per_level):
        raise ValueError(
            "task.eval_seed/eval_per_level must equal model.toyworld's: the base model's corpus "
            "holds out exactly that evaluation set"
        )
    return str(build(toy, log=lambda s: tqdm.write(s)))


def start_ray(cfg: Config) -> None:
    if ray.is_initialized():
        return
    if cfg.cluster.address:
        ray.init(address=cfg.cluster.address, log_to_driver=True)
    else:
        ray.init(num_cpus=cfg.cluster.num_cpus, include_dashboard=False, log_to_driver=True, configure_logging=False)


def make_actors(cfg: Config, model_path: str) -> Actors:
    from agents.policy_worker import PolicyWorker

    worker_cls = ray.remote(num_cpus=cfg.cluster.worker_num_cpus)(PolicyWorker)
    kwargs = dict(threads=cfg.cluster.torch_threads, generation_batch_size=cfg.cluster.generation_batch_size)
    solver = worker_cls.options(name=None).remote(model_path, cfg.model, cfg.algo, seed=cfg.seed, **kwargs)
    if cfg.selfplay.shared_policy:
        proposer = solver
    else:
        proposer = worker_cls.remote(model_path, cfg.model, cfg.algo, seed=cfg.seed + 1, **kwargs)
    controller = ray.remote(num_cpus=0)(CurriculumController).remote(
        cfg.curriculum, list(cfg.task.topics), cfg.selfplay.attempts_per_problem, seed=cfg.seed
    )

    def call(handle, method: str, *args):
        return ray.get(getattr(handle, method).remote(*args))

    return Actors(proposer=proposer, solver=solver, controller=controller, call=call)


def _workers(cfg: Config, actors: Actors) -> dict:
    """Distinct policy workers by checkpoint sub-folder name."""
    if cfg.selfplay.shared_policy:
        return {"policy": actors.solver}
    return {"solver": actors.solver, "proposer": actors.proposer}


def _save(run_dir: Path, step: int, cfg: Config, actors: Actors) -> None:
    def parts(tmp: Path) -> None:
        for name, worker in _workers(cfg, actors).items():
            actors.call(worker, "save", str(tmp / name))
        state = {
            "step": step,
            "controller": actors.call(actors.controller, "state_dict"),
            "driver_rng": {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()},
        }
        (tmp / "driver_state.pkl").write_bytes(pickle.dumps(state))

    save_checkpoint(run_dir, step, parts, cfg.keep_checkpoints)


def _restore(ckpt: Path, cfg: Config, actors: Actors) -> int:
    for name, worker in _workers(cfg, actors).items():
        actors.call(worker, "load", str(ckpt / name))
    state = pickle.loads((ckpt / "driver_state.pkl").read_bytes())
    actors.call(actors.controller, "load_state_dict", state["controller"])
    random.setstate(state["driver_rng"]["python"])
    np.random.set_state(state["driver_rng"]["numpy"])
    torch.set_rng_state(state["driver_rng"]["torch"])
    return state["step"]


def _find_resume(cfg: Config, run_dir: Path) -> Path | None:
    if cfg.resume == "never":
        return None
    if cfg.resume == "auto":
        return latest_checkpoint(run_dir)
    path = Path(cfg.resume)
    if not (path / "COMPLETE").exists():
        raise FileNotFoundError(f"resume={cfg.resume!r}: not a complete checkpoint (no COMPLETE marker)")
    return path


def run(cfg: Config, run_dir: Path) -> dict[str, float]:
    """Run (or resume) the experiment in ``run_dir``; returns the last evaluation's metrics."""
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    task = make_task(cfg.task)
    model_path = resolve_model_path(cfg)
    start_ray(cfg)
    actors = make_actors(cfg, model_path)
    ckpt = _find_resume(cfg, run_dir)
    start = 0
    if ckpt is not None:
        start = _restore(ckpt, cfg, actors)
        tqdm.write(f"Resuming from {ckpt} (step {start})")
        remove_after(run_dir, start)
    metrics_log = MetricsLog(run_dir, cfg.logging.tensorboard, resume_step=start if ckpt is not None else None)

    def run_eval() -> dict[str, float]:
        return evaluate(
            lambda prompts, params: actors.call(actors.solver, "generate", prompts, params),
            task,
            samples=cfg.eval_samples,
            temperature=cfg.selfplay.temperature,
            max_new_tokens=cfg.task.max_answer_tokens,
        )

    last_eval: dict[str, float] = {}
    if start == 0:
        last_eval = run_eval()
        metrics_log.log(0, last_eval)
        tqdm.write(_summary(0, last_eval))
    bar = tqdm(range(start + 1, cfg.steps + 1), initial=start, total=cfg.steps, disable=not cfg.logging.progress, desc="self-play")
    for step in bar:
        out = run_step(step, cfg, task, actors)
        metrics = out.metrics
        if is_due(step, cfg.eval_every) or step == cfg.steps:
            t0 = time.perf_counter()
            last_eval = run_eval()
            metrics.update(last_eval)
            metrics["time/eval_s"] = time.perf_counter() - t0
        write_rollouts(run_dir, step, out.records)
        metrics_log.log(step, metrics)
        bar.set_postfix_str(_short(metrics))
        tqdm.write(_summary(step, metrics))
        if is_due(step, cfg.checkpoint_every) or step == cfg.steps:
            _save(run_dir, step, cfg, actors)
    metrics_log.close()
    return last_eval


def _short(m: dict[str, float]) -> str:
    return f"agree {m.get('curriculum/agreement_mean', float('nan')):.2f} frontier {m.get('curriculum/frontier_fraction', float('nan')):.2f}"


def _summary(step: int, m: dict[str, float]) -> str:
    parts = [f"step {step:4d}"]
    for key, label in (
        ("curriculum/valid_fraction", "valid"),
        ("curriculum/agreement_mean", "agree"),
        ("curriculum/frontier_fraction", "frontier"),
        ("curriculum/label_accuracy", "label_acc"),
        ("train/solver/reward_mean", "r_solver"),
        ("train/proposer/reward_mean", "r_prop"),
        ("train/solver/kl", "kl"),
        ("eval/solver_pass@1", "EVAL pass@1"),
        ("eval/solver_greedy", "greedy"),
        ("time/step_s", "s"),
    ):
        if key in m and m[key] is not None:
            parts.append(f"{label} {m[key]:.3f}")
    return " | ".join(parts)
