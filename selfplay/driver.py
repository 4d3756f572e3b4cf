"""The experiment driver: the single controller that starts the actors and runs the steps.

It owns the run directory (metrics, rollouts, checkpoints) and is the only party that talks
to the actors; they never talk to each other.
"""

from __future__ import annotations

import logging
import random
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from tqdm import tqdm

from selfplay import cluster, faults, phases, rng_state, role_models, run_state
from selfplay.actors import Where, make_actors
from selfplay.checkpoint import discard_after
from selfplay.config import Config
from selfplay.contamination import ContaminationCheck
from selfplay.evaluation import evaluate_in_detail
from selfplay.instruments.recorder import Instruments
from selfplay.run_lock import lock_run_dir
from selfplay.sources import make_sources
from selfplay.step import is_due, run_step
from selfplay.tasks import make_task
from selfplay.tracking.metrics import MetricsLog, read_metrics
from selfplay.tracking.mirrors import Mirror, TensorBoardMirror, WandbMirror, new_wandb_id, require_wandb
from selfplay.tracking.rollouts import remove_after, write_rollouts

log = logging.getLogger(__name__)


def resolve_model_path(cfg: Config) -> str:
    """The solver's model folder or hub id; the toy world's base model is built (or found cached)."""
    return role_models.model_path(cfg.model, log=tqdm.write)


def _mirrors(cfg: Config, run_dir: Path, keep_upto: int, wandb_id: str) -> list[Mirror]:
    mirrors: list[Mirror] = []
    if cfg.logging.tensorboard:
        mirrors.append(TensorBoardMirror(run_dir, keep_upto))
    if cfg.logging.wandb:
        mirrors.append(WandbMirror(run_dir, cfg.logging.wandb_project, run_state.config_dict(cfg), wandb_id))
    return mirrors


def _last_eval(rows: list[dict]) -> dict[str, float]:
    """The newest evaluation in the log (a resumed run returns it if it has none to do)."""
    for row in reversed(rows):
        if any(k.startswith("eval/") for k in row):
            return {k: v for k, v in row.items() if k.startswith("eval/")}
    return {}


def run(cfg: Config, run_dir: Path, on_start: Callable[[], None] = lambda: None) -> dict[str, float]:
    """Run (or resume) the experiment in ``run_dir``; returns the last evaluation's metrics.
    ``on_start``: called under the run lock once the run is accepted (resume point and config
    checked), before the run writes anything: a refused run leaves the directory as it was."""
    faults.check_spec()
    if cfg.logging.wandb:
        require_wandb()
    lock = lock_run_dir(run_dir)
    try:
        return _run(cfg, run_dir, on_start)
    finally:
        lock.close()


def _run(cfg: Config, run_dir: Path, on_start: Callable[[], None]) -> dict[str, float]:
    # Decided before any work: a refused config change costs nothing.
    ckpt = run_state.find_resume(cfg, run_dir)
    warnings = run_state.check_config(ckpt, cfg) if ckpt is not None else []
    for w in warnings:
        log.warning(w)
    on_start()
    phase = phases.resolve(cfg, run_dir)
    task = make_task(cfg.task)
    sources = make_sources(cfg, task)
    models = role_models.role_models(cfg, log=tqdm.write)
    tqdm.write(role_models.describe(models))
    role_models.save(run_dir, models)
    if phase is not None:
        phases.check_shapes(phase, models["solver"].path, cfg.model.gguf_file)
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    cluster.start(cfg.cluster)
    cluster.check_capacity(cfg)
    where = Where()
    actors = make_actors(cfg, models["solver"].path, where, models["proposer"].path)
    if phase is not None:  # before a resume's restore: with init_reference=phase_start it sets the reference
        phases.start(phase, cfg, actors)
    instruments = Instruments(cfg, task)
    contamination = ContaminationCheck(task)
    start, wandb_id, changes = 0, new_wandb_id(), []
    if ckpt is not None:
        restored = run_state.restore_with_fallback(ckpt, cfg, actors, run_dir)  # an earlier one if it fails to load
        ckpt, state, warnings = restored.ckpt, restored.state, restored.warnings
        run_state.drop_final_only_eval(run_dir, ckpt, cfg)
        instruments.load_state_dict(state.instruments)
        rng_state.restore(state.rng)
        sources.load_state_dict(state.sources)
        start, changes = state.step, state.config_changes
        wandb_id = state.wandb_id or wandb_id
        if cfg.resume_allow_config_change and warnings:
            changes = [*changes, {"step": start, "changes": warnings}]
        tqdm.write(f"Resuming from {ckpt} (step {start})")
    # Whatever a killed or abandoned attempt wrote past the starting point goes: the run redoes it.
    discard_after(run_dir, start)
    remove_after(run_dir, start)
    keep_upto = start if ckpt is not None else -1
    metrics_log = MetricsLog(run_dir, keep_upto, _mirrors(cfg, run_dir, keep_upto, wandb_id), sources.metric_tags())
    if ckpt is not None and metrics_log.rows != state.metrics_rows:
        log.warning("metrics.jsonl holds %d rows up to step %d; the checkpoint saw %d", metrics_log.rows, start, state.metrics_rows)

    def run_eval(step: int) -> dict[str, float]:
        # Evaluation samples from a copy of the solver's random state: whether and how often
        # a run evaluates never shifts the stream its training draws from.
        where.phase = "eval"
        saved = actors.solver.rng_state()
        evaluation = evaluate_in_detail(
            actors.solver.generate,
            task,
            samples=cfg.eval_samples,
            temperature=cfg.selfplay.temperature,
            max_new_tokens=cfg.task.max_answer_tokens,
        )
        actors.solver.set_rng_state(saved)
        on_cadence = step == 0 or is_due(step, cfg.eval_every)
        return {**evaluation.metrics, **instruments.at_eval(step, evaluation, actors, on_cadence)}

    last_eval = _last_eval(read_metrics(metrics_log.path))
    if start == 0:
        last_eval = run_eval(0)
        metrics_log.log(0, last_eval)
        tqdm.write(_summary(0, last_eval))
    bar = tqdm(range(start + 1, cfg.steps + 1), initial=start, total=cfg.steps, disable=not cfg.logging.progress, desc="self-play")
    for step in bar:
        where.phase, where.step = "step", step
        out = run_step(step, cfg, task, actors, sources)
        metrics = {**out.metrics, **instruments.after_step(out.records), **contamination.annotate(out.records)}
        if is_due(step, cfg.eval_every) or step == cfg.steps:
            t0 = time.perf_counter()
            last_eval = run_eval(step)
            metrics.update(last_eval)
            metrics["time/eval_s"] = time.perf_counter() - t0
        write_rollouts(run_dir, step, out.records)
        faults.point("rollouts_written", step)
        metrics_log.log(step, metrics)
        faults.point("metrics_written", step)
        bar.set_postfix_str(_short(metrics))
        tqdm.write(_summary(step, metrics))
        if is_due(step, cfg.checkpoint_every) or step == cfg.steps:
            where.phase = "checkpoint"
            state = run_state.DriverState(
                step=step,
                controller=actors.controller.state_dict(),
                rng=rng_state.capture(),
                metrics_rows=metrics_log.rows,
                wandb_id=wandb_id,
                config_changes=changes,
                sources=sources.state_dict(),
                instruments=instruments.state_dict(),
            )
            run_state.save(run_dir, cfg, actors, state)
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
