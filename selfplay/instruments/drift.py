"""Drift and plasticity probes: each role's policy on fixed prompts at every evaluation.

The probe sets are fixed for a run (from the task and ``instruments.probe_seed``), never the
training batch: the solver's are ``instruments.probe_prompts`` of the task's held-out problems
(its prompts), the proposer's are the task's topic prompts. The worker does the measuring
(``PolicyWorker.probe``, agents/probe.py): per-token KL of full distributions to the role's
frozen reference (``kl_to_base``) and to its previous probe (``kl_to_prev``), and the share of
greedy answers that changed since the reference's and since the previous probe's.
"""

from __future__ import annotations

import random

from selfplay.config import Config
from selfplay.messages import ProbeRequest, ProbeResult
from selfplay.tasks import Task


def probe_requests(cfg: Config, task: Task) -> dict[str, ProbeRequest]:
    """The two roles' probes, by role."""
    ins = cfg.instruments
    problems = task.eval_problems()
    if 0 < ins.probe_prompts < len(problems):
        keep = sorted(random.Random(ins.probe_seed).sample(range(len(problems)), ins.probe_prompts))
        problems = [problems[i] for i in keep]
    common = dict(seed=ins.probe_seed, top_k=ins.probe_top_k, temperature=cfg.selfplay.temperature)
    return {
        # The solver's KL is taken along the reference's greedy answers.
        "solver": ProbeRequest(
            "solver", [task.solver_prompt(p) for p in problems], cfg.task.max_answer_tokens, **common
        ),
        # One greedy answer per topic prompt is too thin for a KL: along reference samples instead.
        "proposer": ProbeRequest(
            "proposer", [task.proposer_prompt(t) for t in task.topics], cfg.task.max_proposal_tokens,
            ref_samples=ins.proposer_probe_samples, samples=ins.proposer_probe_samples, **common,
        ),
    }


def drift_metrics(role: str, result: ProbeResult) -> dict[str, float]:
    out = {
        f"drift/{role}/kl_to_base": result.kl_to_base,
        f"drift/{role}/changed_vs_base": result.changed_vs_base,
    }
    if result.kl_to_prev is not None:
        out[f"drift/{role}/kl_to_prev"] = result.kl_to_prev
    if result.changed_vs_prev is not None:
        out[f"drift/{role}/changed_vs_prev"] = result.changed_vs_prev
    return out
