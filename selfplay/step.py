"""One step of self-play (docs/architecture.md walks through it):

problems (from the problem source) -> N solver attempts -> the task's judge (a majority vote,
or tests run in the sandbox) -> labels (from the label source) -> rewards -> RL updates of
the roles due this step. Remote calls go through the typed clients of ``selfplay/actors.py``,
so this module knows nothing of Ray.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from selfplay.actors import Actors
from selfplay.config import Config
from selfplay.messages import CurriculumScores, ProblemOutcome, SamplingParams, TrainResult, TrainSample
from selfplay.sources import DataSources
from selfplay.sources.base import Proposal
from selfplay.tasks import Task
from selfplay.tasks.verdicts import has_majority
from selfplay.tracking.rollouts import RolloutRecord

__all__ = ["StepOutput", "has_majority", "is_due", "run_step"]


@dataclass
class StepOutput:
    metrics: dict[str, float]
    records: list[RolloutRecord]


def is_due(step: int, every: int) -> bool:
    return every > 0 and step % every == 0


def run_step(step: int, cfg: Config, task: Task, actors: Actors, sources: DataSources) -> StepOutput:
    sp = cfg.selfplay
    t_start = time.perf_counter()

    proposals = sources.problems.propose(step, actors)
    valid = [p for p in proposals if p.parsed.valid]
    attempts = actors.solver.generate(
        [task.solver_prompt(p.parsed.problem) for p in valid],
        SamplingParams(n=sp.attempts_per_problem, max_new_tokens=cfg.task.max_answer_tokens,
                       temperature=sp.temperature, top_p=sp.top_p),
    ) if valid else []
    t_generated = time.perf_counter()

    problems = [p.parsed.problem for p in valid]
    verdicts = task.judge(problems, [[a.text for a in group] for group in attempts], min_majority=sp.min_majority)
    labels = sources.labels.label(problems, verdicts, actors)
    t_verified = time.perf_counter()

    verdict_of = {id(p): v for p, v in zip(valid, verdicts)}
    outcomes = [
        verdict_of[id(p)].outcome(p.parsed.problem.text) if p.parsed.valid else ProblemOutcome(None, 0, 0)
        for p in proposals
    ]
    scores: CurriculumScores = actors.controller.score(outcomes)
    solver_rewards = [list(lab.scores) for lab in labels.per_problem]

    # -- RL updates -------------------------------------------------------------------------
    train_metrics: dict[str, float] = {}
    solver_adv: list[list[float]] | None = None
    proposer_adv: list[float] | None = None
    if is_due(step, sp.solver_update_every) and valid:
        samples = [
            TrainSample(a.prompt_ids, a.completion_ids, solver_rewards[k][j], group=k, sampler_logprobs=a.logprobs)
            for k, group in enumerate(attempts)
            for j, a in enumerate(group)
        ]
        result: TrainResult = actors.solver.train(samples, sp.temperature)
        flat = iter(result.advantages)
        solver_adv = [[next(flat) for _ in group] for group in attempts]
        train_metrics.update(_prefixed("train/solver", result.metrics))
    if sources.problems.trains_proposer(step):
        # It learns from the proposals it generated: a source may mix in others (fresh_share).
        own = [k for k, p in enumerate(proposals) if p.gen is not None]
        samples = [
            TrainSample(proposals[k].gen.prompt_ids, proposals[k].gen.completion_ids, scores.rewards[k],
                        group=proposals[k].topic_idx, sampler_logprobs=proposals[k].gen.logprobs)
            for k in own
        ]
        result = actors.proposer.train(samples, sp.temperature)
        adv_of = dict(zip(own, result.advantages))
        proposer_adv = [adv_of.get(k, math.nan) for k in range(len(proposals))]
        train_metrics.update(_prefixed("train/proposer", result.metrics))
    t_trained = time.perf_counter()

    records = _records(step, task, proposals, valid, attempts, verdicts, labels.per_problem, scores,
                       solver_rewards, solver_adv, proposer_adv)
    generated_tokens = sum(r.completion_tokens for r in records)
    step_s = t_trained - t_start
    metrics = {
        **scores.metrics,
        "curriculum/label_accuracy": _mean([float(lab.correct) for lab in labels.per_problem if lab.correct is not None]),
        "curriculum/labeled_fraction": _mean([float(lab.answer is not None) for lab in labels.per_problem]),
        "train/solver/reward_mean": _mean([r for group in solver_rewards for r in group]),
        "train/proposer/reward_mean": _mean(scores.rewards),
        "train/solver/response_length": _mean([r.completion_tokens for r in records if r.role == "solver"]),
        "train/proposer/response_length": _mean([len(p.gen.completion_ids) for p in proposals if p.gen is not None]),
        **_level_mix(valid),
        **labels.metrics,
        **train_metrics,
        "time/step_s": step_s,
        "time/generate_s": t_generated - t_start,
        "time/verify_s": t_verified - t_generated,
        "time/train_s": t_trained - t_verified,
        "throughput/tokens_per_s": generated_tokens / step_s if step_s > 0 else 0.0,
    }
    return StepOutput(metrics, records)


def _prefixed(prefix: str, metrics: dict[str, float]) -> dict[str, float]:
    return {f"{prefix}/{k}": v for k, v in metrics.items()}


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def _level_mix(valid: list[Proposal]) -> dict[str, float]:
    """Share of valid proposals at each difficulty level, where the task knows levels."""
    levels = [p.parsed.problem.level for p in valid if p.parsed.problem.level is not None]
    return {f"curriculum/level_{lvl}_share": levels.count(lvl) / len(levels) for lvl in sorted(set(levels))}


def _records(step, task, proposals, valid, attempts, verdicts, labels, scores, solver_rewards, solver_adv,
             proposer_adv):
    nan = math.nan
    records: list[RolloutRecord] = []
    solved = {id(p): k for k, p in enumerate(valid)}
    for k, p in enumerate(proposals):
        problem = p.parsed.problem
        v, lab = (verdicts[solved[id(p)]], labels[solved[id(p)]]) if p.parsed.valid else (None, None)
        records.append(
            RolloutRecord(
                step=step, role="proposer", group_id=f"s{step}-t{p.topic_idx}", sample_idx=p.sample_idx,
                topic=p.topic, prompt=p.prompt, completion=p.completion,
                parsed=problem.text if problem else None, valid=p.parsed.valid,
                invalid_reason=p.parsed.invalid_reason, reward=scores.rewards[k],
                advantage=proposer_adv[k] if proposer_adv is not None else nan,
                trained=proposer_adv is not None and p.gen is not None,
                agreement=v.rate if v else None, majority_answer=v.majority if v else None,
                ground_truth=problem.ground_truth if problem else None, correct=v.majority_correct if v else None,
                level=problem.level if problem else None,
                prompt_tokens=len(p.gen.prompt_ids) if p.gen else 0,
                completion_tokens=len(p.gen.completion_ids) if p.gen else 0,
                source=p.source, label=lab.answer if lab else None,
                details=problem.details if problem else None,
            )
        )
    for k, (p, group) in enumerate(zip(valid, attempts)):
        problem, v = p.parsed.problem, verdicts[k]
        for j, a in enumerate(group):
            answer = v.answers[j]
            records.append(
                RolloutRecord(
                    step=step, role="solver", group_id=f"s{step}-t{p.topic_idx}-p{p.sample_idx}", sample_idx=j,
                    topic=p.topic, prompt=task.solver_prompt(problem), completion=a.text, parsed=answer,
                    valid=answer is not None, invalid_reason=None if answer is not None else "no answer extracted",
                    reward=solver_rewards[k][j], advantage=solver_adv[k][j] if solver_adv is not None else nan,
                    trained=solver_adv is not None, agreement=v.rate, majority_answer=v.majority,
                    ground_truth=problem.ground_truth, correct=v.correct[j],
                    level=problem.level, prompt_tokens=len(a.prompt_ids), completion_tokens=len(a.completion_ids),
                    source=p.source, label=labels[k].answer, details=v.details[j],
                )
            )
    return records
