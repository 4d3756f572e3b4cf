"""One step of self-play (docs/architecture.md walks through it):

topics -> proposals -> parsed problems -> N solver attempts -> majority vote -> rewards ->
RL updates of the roles due this step. Remote calls go through the typed clients of
``selfplay/actors.py``, so this module knows nothing of Ray.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from selfplay.actors import Actors
from selfplay.config import Config
from selfplay.messages import CurriculumScores, Generation, ProblemOutcome, SamplingParams, TrainResult, TrainSample
from selfplay.tasks import ParsedProposal, Task
from selfplay.tracking.rollouts import RolloutRecord
from verifiers import MajorityResult, majority_vote


@dataclass
class StepOutput:
    metrics: dict[str, float]
    records: list[RolloutRecord]


@dataclass
class _Proposal:
    topic_idx: int
    sample_idx: int
    topic: str
    gen: Generation
    parsed: ParsedProposal


def has_majority(m: MajorityResult, min_size: int) -> bool:
    """Whether the vote yields a pseudo-label: a unique largest cluster of >= ``min_size`` answers.

    SQLM rewards agreeing with the majority "when a majority exists"; with every answer
    different, or two clusters tied, rewarding the tie-break winner would train on noise.
    """
    top = m.majority_size
    return m.label is not None and top >= min_size and list(m.cluster_sizes).count(top) == 1


def is_due(step: int, every: int) -> bool:
    return every > 0 and step % every == 0


def run_step(step: int, cfg: Config, task: Task, actors: Actors) -> StepOutput:
    sp = cfg.selfplay
    t_start = time.perf_counter()
    sampling = dict(temperature=sp.temperature, top_p=sp.top_p)

    topics = actors.controller.topic_prompts(sp.topics_per_step)
    prompts = [task.proposer_prompt(t) for t in topics]
    gens = actors.proposer.generate(
        prompts, SamplingParams(n=sp.proposals_per_topic, max_new_tokens=cfg.task.max_proposal_tokens, **sampling)
    )
    proposals = [
        _Proposal(i, j, topics[i], g, task.parse_proposal(g.text)) for i, group in enumerate(gens) for j, g in enumerate(group)
    ]
    valid = [p for p in proposals if p.parsed.valid]
    attempts = actors.solver.generate(
        [task.solver_prompt(p.parsed.problem) for p in valid],
        SamplingParams(n=sp.attempts_per_problem, max_new_tokens=cfg.task.max_answer_tokens, **sampling),
    ) if valid else []
    t_generated = time.perf_counter()

    answers = [[task.extract_answer(a.text) for a in group] for group in attempts]
    majorities = [majority_vote(group, task.equivalent) for group in answers]
    t_verified = time.perf_counter()

    majority_of = {id(p): m for p, m in zip(valid, majorities)}
    outcomes = [
        ProblemOutcome(p.parsed.problem.text, majority_of[id(p)].majority_size, majority_of[id(p)].n)
        if p.parsed.valid
        else ProblemOutcome(None, 0, 0)
        for p in proposals
    ]
    scores: CurriculumScores = actors.controller.score(outcomes)
    labeled = [has_majority(m, sp.min_majority) for m in majorities]
    solver_rewards = [[float(ok and m.agrees(j)) for j in range(m.n)] for m, ok in zip(majorities, labeled)]

    # -- RL updates -------------------------------------------------------------------------
    train_metrics: dict[str, float] = {}
    solver_adv: list[list[float]] | None = None
    proposer_adv: list[float] | None = None
    if is_due(step, sp.solver_update_every) and valid:
        samples = [
            TrainSample(a.prompt_ids, a.completion_ids, solver_rewards[k][j], group=k)
            for k, group in enumerate(attempts)
            for j, a in enumerate(group)
        ]
        result: TrainResult = actors.solver.train(samples, sp.temperature)
        flat = iter(result.advantages)
        solver_adv = [[next(flat) for _ in group] for group in attempts]
        train_metrics.update(_prefixed("train/solver", result.metrics))
    if is_due(step, sp.proposer_update_every):
        samples = [
            TrainSample(p.gen.prompt_ids, p.gen.completion_ids, scores.rewards[k], group=p.topic_idx)
            for k, p in enumerate(proposals)
        ]
        result = actors.proposer.train(samples, sp.temperature)
        proposer_adv = result.advantages
        train_metrics.update(_prefixed("train/proposer", result.metrics))
    t_trained = time.perf_counter()

    records = _records(step, task, proposals, valid, attempts, answers, majorities, scores, solver_rewards, solver_adv, proposer_adv)
    generated_tokens = sum(r.completion_tokens for r in records)
    step_s = t_trained - t_start
    metrics = {
        **scores.metrics,
        "curriculum/label_accuracy": _label_accuracy(task, valid, majorities, labeled),
        "curriculum/labeled_fraction": _mean([float(x) for x in labeled]),
        "train/solver/reward_mean": _mean([r for group in solver_rewards for r in group]),
        "train/proposer/reward_mean": _mean(scores.rewards),
        "train/solver/response_length": _mean([r.completion_tokens for r in records if r.role == "solver"]),
        "train/proposer/response_length": _mean([r.completion_tokens for r in records if r.role == "proposer"]),
        **_level_mix(valid),
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


def _label_accuracy(task: Task, valid: list[_Proposal], majorities: list[MajorityResult], labeled: list[bool]) -> float:
    """Share of pseudo-labels that are right, among labeled problems with known ground truth."""
    known = [
        (p.parsed.problem.ground_truth, m.label)
        for p, m, ok in zip(valid, majorities, labeled)
        if ok and p.parsed.problem.ground_truth
    ]
    return _mean([float(label is not None and task.equivalent(label, truth)) for truth, label in known])


def _level_mix(valid: list[_Proposal]) -> dict[str, float]:
    """Share of valid proposals at each difficulty level, where the task knows levels."""
    levels = [p.parsed.problem.level for p in valid if p.parsed.problem.level is not None]
    return {f"curriculum/level_{lvl}_share": levels.count(lvl) / len(levels) for lvl in sorted(set(levels))}


def _records(step, task, proposals, valid, attempts, answers, majorities, scores, solver_rewards, solver_adv, proposer_adv):
    nan = math.nan
    records: list[RolloutRecord] = []
    solved = {id(p): k for k, p in enumerate(valid)}
    for k, p in enumerate(proposals):
        problem = p.parsed.problem
        m = majorities[solved[id(p)]] if p.parsed.valid else None
        truth = problem.ground_truth if problem else None
        records.append(
            RolloutRecord(
                step=step, role="proposer", group_id=f"s{step}-t{p.topic_idx}", sample_idx=p.sample_idx,
                topic=p.topic, prompt=task.proposer_prompt(p.topic), completion=p.gen.text,
                parsed=problem.text if problem else None, valid=p.parsed.valid,
                invalid_reason=p.parsed.invalid_reason, reward=scores.rewards[k],
                advantage=proposer_adv[k] if proposer_adv is not None else nan, trained=proposer_adv is not None,
                agreement=m.agreement if m else None, majority_answer=m.label if m else None,
                ground_truth=truth, correct=(m.label is not None and task.equivalent(m.label, truth)) if m and truth else None,
                level=problem.level if problem else None,
                prompt_tokens=len(p.gen.prompt_ids), completion_tokens=len(p.gen.completion_ids),
            )
        )
    for k, (p, group) in enumerate(zip(valid, attempts)):
        problem, m = p.parsed.problem, majorities[k]
        for j, a in enumerate(group):
            answer = answers[k][j]
            records.append(
                RolloutRecord(
                    step=step, role="solver", group_id=f"s{step}-t{p.topic_idx}-p{p.sample_idx}", sample_idx=j,
                    topic=p.topic, prompt=task.solver_prompt(problem), completion=a.text, parsed=answer,
                    valid=answer is not None, invalid_reason=None if answer is not None else "no answer extracted",
                    reward=solver_rewards[k][j], advantage=solver_adv[k][j] if solver_adv is not None else nan,
                    trained=solver_adv is not None, agreement=m.agreement, majority_answer=m.label,
                    ground_truth=problem.ground_truth,
                    correct=(answer is not None and task.equivalent(answer, problem.ground_truth)) if problem.ground_truth else None,
                    level=problem.level, prompt_tokens=len(a.prompt_ids), completion_tokens=len(a.completion_ids),
                )
            )
    return records
