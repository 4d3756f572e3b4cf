"""Synthetic run directories laid out exactly as the experiment driver writes them.

The rollout schema is the driver's own (``selfplay.tracking.rollouts.SCHEMA``, defined once), so
the tests check the reader against what the writer writes.
"""
from __future__ import annotations

import json
import math
import random
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from selfplay.tracking.rollouts import SCHEMA

ROLLOUT_SCHEMA = SCHEMA  # the writer's: the reader is checked against what the driver writes

# Untrusted model text that must come out escaped (HTML) or defanged (terminal).
HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)> \x1b[31mRED\x1b[0m'

CONFIG = {
    "seed": 0,
    "task": {"name": "toy_arith", "topics": ["arithmetic", "algebra"], "levels": [1, 2, 3]},
    "algo": {"name": "grpo", "lr": 1.0e-5, "kl_coef": 0.001, "clip_ratio_low": 0.2},
    "curriculum": {"name": "frontier", "n_attempts": 4},
    "trainer": {"steps": 12, "eval_every": 4},
}


def write_hydra(run: Path, overrides: list[str], config: dict | None = None) -> None:
    (run / ".hydra").mkdir(parents=True, exist_ok=True)
    (run / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config or CONFIG, sort_keys=False))
    (run / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    (run / ".hydra" / "hydra.yaml").write_text("hydra:\n  mode: RUN\n")


def write_metrics(run: Path, records: list[dict]) -> None:
    run.mkdir(parents=True, exist_ok=True)
    with open(run / "metrics.jsonl", "w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")


def write_rollouts(run: Path, step: int, rows: list[dict], via_pandas: bool = False) -> Path:
    path = run / "rollouts" / f"step_{step:06d}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    if via_pandas:  # pandas infers type `null` for all-None columns: the reader must cope
        pd.DataFrame(rows).to_parquet(path, index=False)
    else:
        pq.write_table(pa.Table.from_pylist(rows, schema=ROLLOUT_SCHEMA), path)
    return path


def _advantages(rewards: list[float]) -> list[float]:
    m = sum(rewards) / len(rewards)
    sd = math.sqrt(sum((r - m) ** 2 for r in rewards) / len(rewards))
    return [(r - m) / (sd + 1e-6) for r in rewards]


def step_rows(step: int, rng: random.Random, topics=("arithmetic", "algebra"), g=4, n=4,
              proposer_trained=True, hostile=False) -> list[dict]:
    """One step: g proposals per topic, n solver attempts per valid proposal."""
    proposer, solver = [], []
    skill = min(0.9, 0.3 + 0.05 * step)
    for t, topic in enumerate(topics):
        gid = f"s{step}-t{t}"
        props = []
        for i in range(g):
            level = 1 + (i % 3)
            a, b = rng.randint(2, 99), rng.randint(2, 99)
            valid = i != g - 1 or step % 3 != 0  # every third step one invalid proposal
            problem = f"What is {a} + {b}? ({topic}, level {level})" if valid else None
            completion = (f"Problem: {problem}\nThe answer should be an integer." if valid
                          else "I cannot come up with a problem.")
            if hostile and i == 0:
                completion += "\n" + HOSTILE
            props.append(dict(
                step=step, role="proposer", group_id=gid, sample_idx=i, topic=topic,
                prompt=f"<|user|>Write one level-{level} {topic} problem.\n<|assistant|>",
                completion=completion, parsed=problem, valid=valid,
                invalid_reason=None if valid else "no_problem", reward=-1.0,
                advantage=float("nan"), trained=proposer_trained, agreement=None,
                majority_answer=None, ground_truth=str(a + b) if valid else None,
                correct=None, level=level if valid else None,
                prompt_tokens=14, completion_tokens=len(completion.split())))
            if not valid:
                continue
            truth = str(a + b)
            p_right = skill / level
            answers = [truth if rng.random() < p_right else str(a + b + rng.choice([-1, 1, 10]))
                       for _ in range(n)]
            top, count = Counter(answers).most_common(1)[0]
            agreement = count / n
            sgid = f"{gid}-p{i}"
            rewards = [1.0 if ans == top else 0.0 for ans in answers]
            for j, (ans, r, adv) in enumerate(zip(answers, rewards, _advantages(rewards))):
                text = f"We add {a} and {b}.\nAnswer: {ans}"
                if hostile and i == 0 and j == 0:
                    text += "\n" + HOSTILE
                solver.append(dict(
                    step=step, role="solver", group_id=sgid, sample_idx=j, topic=topic,
                    prompt=f"<|user|>Solve. End with 'Answer: <n>'.\nProblem: {problem}\n<|assistant|>",
                    completion=text, parsed=ans, valid=True, invalid_reason=None, reward=r,
                    advantage=adv, trained=True, agreement=agreement, majority_answer=top,
                    ground_truth=truth, correct=ans == truth, level=level, prompt_tokens=30,
                    completion_tokens=len(text.split())))
            props[-1].update(reward=4 * agreement * (1 - agreement), agreement=agreement,
                             majority_answer=top, correct=top == truth)
        for p, adv in zip(props, _advantages([p["reward"] for p in props])):
            p["advantage"] = adv if proposer_trained else float("nan")
        proposer += props
    return proposer + solver


def metric_records(steps: int, eval_every: int, rng: random.Random) -> list[dict]:
    """Step 0 eval (base model), train metrics each step, eval as a separate line."""
    recs = []
    for step in range(0, steps + 1):
        if step > 0:
            r = {"step": step}
            r.update({
                "curriculum/agreement_mean": 0.5 + 0.3 * step / steps,
                "curriculum/frontier_fraction": 0.3 + 0.2 * step / steps,
                "curriculum/label_accuracy": 0.6 + 0.3 * step / steps,
                "curriculum/valid_fraction": 0.9,
                "train/solver/reward_mean": 0.5 + 0.01 * step,
                "train/solver/loss": 0.1 * rng.random(),
                "train/solver/kl": 0.001 * step,
                "train/solver/entropy": 1.5 - 0.02 * step,
                "train/solver/grad_norm": 1.0 + rng.random(),
                "train/solver/clip_fraction": 0.05,
                "train/solver/response_length": 40 + step,
                "train/proposer/reward_mean": 0.2 + 0.01 * step,
                "time/step_s": 12.5, "time/generate_s": 8.0, "time/verify_s": 0.5,
                "time/train_s": 4.0, "throughput/tokens_per_s": 2400.0,
            })
            if step % 2 == 0:  # proposer updated every other step
                r.update({
                    "train/proposer/loss": 0.2 * rng.random(), "train/proposer/kl": 0.002 * step,
                    "train/proposer/entropy": 2.0, "train/proposer/grad_norm": 0.7,
                    "train/proposer/clip_fraction": 0.02, "train/proposer/response_length": 25.0,
                })
            recs.append(r)
        if step % eval_every == 0 or step == steps:
            base = 0.3 + 0.4 * step / steps + rng.gauss(0, 0.02)
            recs.append({"step": step, "eval/solver_pass@1": base, "eval/solver_greedy": base + 0.02,
                         "eval/solver_maj@4": base + 0.05,
                         **{f"eval/level_{k}/pass@1": base / k for k in (1, 2, 3)}})
    return recs


def write_run(run: Path, steps: int = 12, eval_every: int = 4, seed: int = 0,
              overrides: list[str] | None = None, hostile: bool = True) -> Path:
    """A complete run directory; step 3's file is written via pandas (null-typed columns)."""
    rng = random.Random(seed)
    write_hydra(run, overrides if overrides is not None else [f"seed={seed}"])
    write_metrics(run, metric_records(steps, eval_every, rng))
    for step in range(1, steps + 1):
        rows = step_rows(step, rng, proposer_trained=step % 2 == 0, hostile=hostile)
        write_rollouts(run, step, rows, via_pandas=step == 3)
    (run / "checkpoints" / "step_000010").mkdir(parents=True)
    (run / "tb").mkdir()
    return run
