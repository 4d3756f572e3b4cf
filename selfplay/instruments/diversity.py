"""Diversity of problems and answers, and the tails a run lost.

- distinct-n: distinct character n-grams over all character n-grams of a set of texts (Li et
  al.'s distinct-n, over characters rather than words or tokens: the toy world's problems are
  one "word" each, and characters compare across tokenizers).
- entropy (bits) of the problems' distribution over each feature of the task and over their
  joint kind; the share of the task's rare kinds (``features.is_rare``).
- answers: the share of distinct answers, distinct-n over them, and the mean entropy of the
  N answers to one problem (an unanswered attempt counts as one more value).
- ``vanished_kinds``: kinds a run proposed in its first steps and no longer in its last.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Hashable, Iterable

from selfplay.instruments.features import Features, features, has_tails, is_rare, kind
from selfplay.tasks import Problem, Task

NGRAMS = (1, 2, 3)
NO_ANSWER = "\u2205"  # an attempt with no extractable answer, as a value of its own


def distinct_n(texts: Iterable[str], n: int) -> float:
    """Distinct character n-grams / all character n-grams of ``texts`` (nan when there are none)."""
    grams = [t[i : i + n] for t in texts for i in range(len(t) - n + 1)]
    return len(set(grams)) / len(grams) if grams else math.nan


def entropy_bits(values: Iterable[Hashable]) -> float:
    """Entropy (bits) of the empirical distribution of ``values`` (nan when empty)."""
    counts = Counter(values)
    total = sum(counts.values())
    if not total:
        return math.nan
    return max(0.0, -sum(c / total * math.log2(c / total) for c in counts.values()))


def problem_diversity(task: Task, problems: list[Problem], prefix: str) -> dict[str, float]:
    """``<prefix>/distinct_problems`` (a count), ``distinct_<n>``, ``entropy_<feature>``,
    ``entropy_kind``, and ``rare_share`` where the task defines tails."""
    if not problems:
        return {}
    texts = [p.text for p in problems]
    out = {f"{prefix}/distinct_problems": float(len(set(texts)))}
    out.update({f"{prefix}/distinct_{n}": distinct_n(texts, n) for n in NGRAMS})
    feats = [features(task, p) for p in problems]
    for name in sorted({k for f in feats for k in f}):
        out[f"{prefix}/entropy_{name}"] = entropy_bits(f.get(name) for f in feats)
    if any(feats):
        out[f"{prefix}/entropy_kind"] = entropy_bits(kind(f) for f in feats)
    if has_tails(task):
        out[f"{prefix}/rare_share"] = sum(is_rare(task, f) for f in feats) / len(feats)
    return out


def answer_diversity(groups: list[list[str | None]], prefix: str) -> dict[str, float]:
    """Answers grouped by problem: ``<prefix>/distinct_answers`` (share), ``distinct_<n>``,
    ``answer_entropy`` (mean over problems)."""
    answers = [a for g in groups for a in g if a is not None]
    if not groups:
        return {}
    entropies = [entropy_bits(NO_ANSWER if a is None else a for a in g) for g in groups]
    out = {f"{prefix}/answer_entropy": sum(entropies) / len(groups)}
    if answers:
        out[f"{prefix}/distinct_answers"] = len(set(answers)) / len(answers)
        out.update({f"{prefix}/distinct_{n}": distinct_n(answers, n) for n in NGRAMS})
    return out


def step_diversity(task: Task, records) -> dict[str, float]:
    """``diversity/proposer/*`` over a step's valid problems, ``diversity/solver/*`` over its answers
    (``records``: the step's ``RolloutRecord`` list)."""
    problems = [
        Problem(r.parsed, r.ground_truth, r.level)
        for r in records
        if r.role == "proposer" and r.valid and r.parsed is not None
    ]
    groups: dict[str, list[str | None]] = {}
    for r in records:
        if r.role == "solver":
            groups.setdefault(r.group_id, []).append(r.parsed)
    return {
        **problem_diversity(task, problems, "diversity/proposer"),
        **answer_diversity(list(groups.values()), "diversity/solver"),
    }


@dataclass(frozen=True)
class Vanished:
    kind: str  # "level=4", or a joint kind "digits=2x2, level=4, op=*"
    early_count: int  # problems of this kind in the early window
    early_share: float  # their share of the early window's problems
    last_seen: int  # the last step that proposed one


def vanished_kinds(problems: list[tuple[int, Features]], window: int) -> list[Vanished]:
    """Kinds (each feature's values, and joint kinds) proposed in the first ``window`` steps and
    never in the last ``window`` ones. ``problems``: (step, features) of each valid problem.
    Empty when the run has fewer than 2 * ``window`` steps (the windows would overlap)."""
    steps = sorted({s for s, _ in problems})
    if window < 1 or len(steps) < 2 * window:
        return []
    early, late = set(steps[:window]), set(steps[-window:])

    def kinds(f: Features) -> list[str]:
        singles = [kind({k: v}) for k, v in f.items()]
        return singles + ([kind(f)] if len(f) > 1 else [])

    counts: Counter[str] = Counter()
    seen_late: set[str] = set()
    last: dict[str, int] = {}
    n_early = 0
    for step, f in problems:
        for k in kinds(f):
            last[k] = max(last.get(k, step), step)
            if step in early:
                counts[k] += 1
            if step in late:
                seen_late.add(k)
        n_early += step in early
    gone = [Vanished(k, c, c / n_early, last[k]) for k, c in counts.items() if k not in seen_late]
    return sorted(gone, key=lambda v: (-v.early_count, v.kind))
