"""Read the generations study's run directories: one Hydra multirun per generation
(ROOT/gen_0, ROOT/gen_1, ...); job k of generation g started from job k of generation g-1, so
job number k across the generations is one chain (scripts/run.sh).

Per job (one generation of one chain):
- the proposer's own problems: its valid proposals in the rollouts (``source`` selfplay; the
  fresh arm's generator problems are left out), their diversity per step
  (``selfplay.instruments.diversity.problem_diversity``, the instrument the run logs) averaged
  over the generation's steps, and its valid-proposal rate;
- the per-step diversity as the run logged it (``diversity/proposer/*``: fresh problems counted);
- the proposer probe at the final evaluation (``diversity/eval/proposer/*``: samples from the
  generation's final weights with the same probe seed every time);
- held-out accuracy per level at the final evaluation (and the base model's, at generation 0's
  step 0).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

import pandas as pd
from omegaconf import OmegaConf

from selfplay.inspect import RolloutQuery, load_jobs, load_rollouts
from selfplay.inspect.sweep import Job
from selfplay.instruments.diversity import problem_diversity
from selfplay.instruments.features import Features, features
from selfplay.tasks import Problem, make_task

OWN_SOURCE = "selfplay"  # the rollouts' source of the proposer's own problems
DIVERSITY = ("rare_share", "distinct_problems", "entropy_kind")
PROBE = ("rare_share", "distinct_problems", "entropy_kind", "valid_fraction")
HELD_OUT = {"overall": "eval/solver_pass@1", **{f"level_{k}": f"eval/level_{k}/pass@1" for k in (1, 2, 3, 4)}}
COLUMNS = ["step", "valid", "parsed", "ground_truth", "level", "source"]
_GEN = re.compile(r"^gen_(\d+)$")


@dataclass(frozen=True)
class Generation:
    index: int
    seed: str
    own: dict[str, float]  # DIVERSITY (per-step means), valid_rate, per_step (own proposals a step)
    logged: dict[str, float]  # DIVERSITY as logged per step (fresh problems included), means over steps
    probe: dict[str, float]  # PROBE at the final evaluation
    held_out: dict[str, float]  # HELD_OUT at the final evaluation
    kinds: list[Features]  # the features of every valid own proposal


@dataclass(frozen=True)
class Chain:
    arm: str
    num: int  # the job number in every generation's sweep
    base_held_out: dict[str, float]  # generation 0's step-0 evaluation: the base model
    base_probe: dict[str, float]
    generations: list[Generation]


def arm_of(job: Job) -> str:
    """'+arm=fresh_25' among the job's overrides -> 'fresh_25'."""
    arms = [o.split("=", 1)[1] for o in job.setting if o.lstrip("+").startswith("arm=")]
    if len(arms) != 1:
        raise ValueError(f"{job.run.path}: no single +arm= override in {job.setting}")
    return arms[0]


def _at(metrics: pd.DataFrame, col: str, step: int | None) -> float:
    """``col`` at ``step`` (None: its last logged value); NaN where not logged."""
    if col not in metrics:
        return float("nan")
    s = metrics.set_index("step")[col].dropna()
    if s.empty or (step is not None and step not in s.index):
        return float("nan")
    return float(s.iloc[-1] if step is None else s.loc[step])


def _last_eval(metrics: pd.DataFrame) -> int | None:
    s = metrics.set_index("step")[HELD_OUT["overall"]].dropna() if HELD_OUT["overall"] in metrics else pd.Series()
    later = s[s.index > 0]
    return int(later.index.max()) if len(later) else None


def _task(job: Job):
    return make_task(OmegaConf.load(job.run.config_path).task)


def _own(job: Job, task) -> tuple[dict[str, float], list[Features]]:
    rows = load_rollouts(job.run, RolloutQuery(role="proposer"), COLUMNS)
    rows = rows[rows["source"] == OWN_SOURCE]
    valid = rows[rows["valid"].fillna(False).astype(bool) & rows["parsed"].notna()]
    per_step = defaultdict(list)
    for r in valid.itertuples():
        level = None if pd.isna(r.level) else int(r.level)
        gt = None if pd.isna(r.ground_truth) else r.ground_truth
        per_step[int(r.step)].append(Problem(r.parsed, gt, level))
    steps = sorted(set(rows["step"].astype(int)))
    measured = [problem_diversity(task, per_step[s], "own") for s in steps if per_step[s]]
    out = {k: mean(m[f"own/{k}"] for m in measured) if measured else float("nan") for k in DIVERSITY}
    half = len(measured) // 2  # the generation's first and second half of steps: the trend within it
    for key, part in (("rare_share_first_half", measured[:half]), ("rare_share_second_half", measured[half:])):
        out[key] = mean(m["own/rare_share"] for m in part) if part else float("nan")
    out["valid_rate"] = len(valid) / len(rows) if len(rows) else float("nan")
    out["per_step"] = len(rows) / len(steps) if steps else float("nan")
    kinds = [features(task, p) for s in steps for p in per_step[s]]
    return out, kinds


def generation(index: int, job: Job, task) -> Generation | None:
    """The job's measures; None if it has no final evaluation (running, or stopped early)."""
    m = job.metrics
    last = _last_eval(m) if m is not None else None
    if last is None:
        return None
    steps = m[m["step"] > 0]
    logged = {k: float(steps[f"diversity/proposer/{k}"].mean()) if f"diversity/proposer/{k}" in steps
              else float("nan") for k in DIVERSITY}
    own, kinds = _own(job, task)
    return Generation(
        index, job.seed or "", own, logged,
        {k: _at(m, f"diversity/eval/proposer/{k}", last) for k in PROBE},
        {k: _at(m, col, last) for k, col in HELD_OUT.items()}, kinds,
    )


def generation_dirs(root: str | Path) -> list[Path]:
    """ROOT/gen_0, gen_1, ... in order; gaps are an error (a chain needs every generation)."""
    found = {int(m.group(1)): p for p in Path(root).iterdir() if p.is_dir() and (m := _GEN.match(p.name))}
    if sorted(found) != list(range(len(found))) or not found:
        raise ValueError(f"{root}: expected gen_0, gen_1, ... without gaps, found {sorted(found)}")
    return [found[g] for g in range(len(found))]


def load_chains(root: str | Path) -> list[Chain]:
    """Every chain, its generations up to the first one without a final evaluation."""
    dirs = generation_dirs(root)
    first = load_jobs(dirs[0])
    task = _task(first[0])
    chains = []
    for job0 in first:
        arm, gens = arm_of(job0), []
        for g, d in enumerate(dirs):
            jobs = {j.num: j for j in load_jobs(d)} if g else {j.num: j for j in first}
            job = jobs.get(job0.num)
            if job is None:
                break
            if arm_of(job) != arm:
                raise ValueError(f"{job.run.path}: arm {arm_of(job)!r}, its chain's generation 0 is {arm!r}")
            gen = generation(g, job, task)
            if gen is None:
                break
            gens.append(gen)
        m0 = job0.metrics if job0.metrics is not None else pd.DataFrame({"step": []})
        chains.append(Chain(arm, job0.num, {k: _at(m0, col, 0) for k, col in HELD_OUT.items()},
                            {k: _at(m0, f"diversity/eval/proposer/{k}", 0) for k in PROBE}, gens))
    return chains


def by_arm(chains: list[Chain]) -> dict[str, list[Chain]]:
    """Arm -> its chains, in the order of the sweep."""
    out: dict[str, list[Chain]] = {}
    for c in chains:
        out.setdefault(c.arm, []).append(c)
    return out
