"""Running the Hydra app in a subprocess on the tiny toy world, and reading what it wrote."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import psutil
import torch
from safetensors.torch import load_file

from selfplay.tracking.metrics import read_metrics as _read_metrics
from testkit.hydra import REPO, compose_config

TINY = [
    # A small toy model trained just enough (~10 s) to write well-formed problems.
    "model.toyworld.hidden_size=64",
    "model.toyworld.intermediate_size=192",
    "model.toyworld.num_layers=2",
    "model.toyworld.num_heads=2",
    "model.toyworld.steps=300",
    "model.toyworld.batch_size=64",
    "model.toyworld.lr=0.003",
    "selfplay.topics_per_step=4",
    "selfplay.proposer_update_every=2",
    "task.eval_per_level=4",
    "eval_every=2",
    "checkpoint_every=2",
    "logging.progress=false",
    # One thread per worker: exact numerics, and room for whatever else the machine runs.
    "cluster.torch_threads=1",
]
TAG_ENV = "SELFPLAY_TEST_TAG"  # inherited by the run's Ray processes: finds them after a kill
TIMING = ("time/", "throughput/")
# The resume and crash tests' run: 2k = 6 steps, evaluated every 3, checkpointed every 2, so a
# resume lands off the evaluation, checkpoint and proposer-update cadences alike.
EXACT_RUN = ["eval_every=3"]
EXACT_STEPS = 6


def run_app(
    run_dir: Path, cache: Path, *overrides: str, base: tuple[str, ...] | list[str] = (), fault: str | None = None,
    expect_rc: int = 0, tag: str | None = None, timeout: float = 600,
) -> subprocess.CompletedProcess:
    """``python -m selfplay hydra.run.dir=RUN_DIR BASE OVERRIDES`` with its own toy cache;
    asserts its exit code. ``tag`` marks its Ray processes (``actor_processes``)."""
    env = {**os.environ, "SELFPLAY_CACHE": str(cache), TAG_ENV: tag or uuid.uuid4().hex}
    env.pop("SELFPLAY_FAULT", None)
    if fault:
        env["SELFPLAY_FAULT"] = fault
    cmd = [sys.executable, "-m", "selfplay", f"hydra.run.dir={run_dir}", *base, *overrides]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == expect_rc, f"rc {proc.returncode}\n" + proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def run_selfplay(run_dir: Path, cache: Path, *overrides: str, **kwargs) -> subprocess.CompletedProcess:
    """``run_app`` on the tiny toy world (``TINY``)."""
    return run_app(run_dir, cache, *overrides, base=TINY, **kwargs)


def read_metrics(run_dir: Path) -> list[dict]:
    return _read_metrics(run_dir / "metrics.jsonl")


def timed_key(key: str) -> bool:
    """A wall-clock metric: ``time/*``, ``throughput/*``, and the update's own breakdown
    (``train/<role>/time/*``, ``.../throughput/*``, ``.../perf/*``)."""
    return key.startswith(TIMING) or any(f"/{part}" in key for part in (*TIMING, "perf/"))


def untimed(rows: list[dict]) -> list[dict]:
    """Metrics rows without the wall-clock ones (the only ones a rerun may change)."""
    return [{k: v for k, v in r.items() if not timed_key(k)} for r in rows]


def actor_processes(tag: str) -> list[psutil.Process]:
    """Live Ray actor processes of the runs started with ``tag``."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            name = (p.info["cmdline"] or [""])[0]
            if name.startswith(("ray::PolicyWorker", "ray::CurriculumController")) and p.environ().get(TAG_ENV) == tag:
                found.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    return found


def assert_actors_gone(tag: str, within_s: float = 30) -> None:
    """The run's actors exit with it (Ray stops them a moment after their driver is gone)."""
    deadline = time.time() + within_s
    while actor_processes(tag) and time.time() < deadline:
        time.sleep(0.5)
    assert not actor_processes(tag), f"actors outlived their run: {actor_processes(tag)}"


def final_state(run_dir: Path, worker: str = "policy") -> tuple[dict, dict]:
    """Weights and trainer state of a worker's final checkpoint (``policy``, or ``solver`` /
    ``proposer`` without a shared policy)."""
    ckpt = run_dir / "checkpoints" / f"step_{EXACT_STEPS:06d}" / worker
    weights = load_file(ckpt / "model" / "model.safetensors")
    trainer = torch.load(ckpt / "trainer_state.pt", weights_only=False)
    return weights, trainer


def assert_same_run(run_dir: Path, reference: Path, workers: tuple[str, ...] = ("policy",)) -> None:
    """Same metrics (timing aside), rollouts, final weights, optimizer and random state."""
    assert untimed(read_metrics(run_dir)) == untimed(read_metrics(reference))
    for step in range(1, EXACT_STEPS + 1):
        name = f"rollouts/step_{step:06d}.parquet"
        pd.testing.assert_frame_equal(pd.read_parquet(run_dir / name), pd.read_parquet(reference / name))
    for worker in workers:
        (w, t), (w_ref, t_ref) = final_state(run_dir, worker), final_state(reference, worker)
        assert w.keys() == w_ref.keys() and all(torch.equal(w[k], w_ref[k]) for k in w), worker
        opt, opt_ref = t["optimizer"]["state"], t_ref["optimizer"]["state"]
        assert opt.keys() == opt_ref.keys()
        for i in opt:
            assert all(torch.equal(opt[i][k], opt_ref[i][k]) for k in opt[i]), worker
        assert torch.equal(t["rng"]["torch"], t_ref["rng"]["torch"]), worker


def tiny_config(*overrides: str):
    """The typed config the app would run with ``TINY`` and ``overrides`` (Hydra's compose)."""
    return compose_config(*TINY, *overrides)
