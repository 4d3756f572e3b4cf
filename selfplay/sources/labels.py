"""Label sources: the answer each problem's solver attempts are rewarded for matching.

``majority`` (default): the solver's own majority answer, where the vote yields one
(``has_majority()``); label-free, as SQLM and TTRL. ``teacher``: the proposer model answers
each problem ``labels.samples`` times and its majority is the label (teacher-labelled
data). ``oracle``: the task's ground truth; the one source that trains on what self-play is
never given, so validation refuses it without ``labels.allow_oracle=true`` and every metrics
row of such a run carries ``labels/source_oracle``.
"""

from __future__ import annotations

from selfplay.messages import SamplingParams
from selfplay.sources.base import Labels, ProblemLabel
from verifiers import MajorityResult, majority_vote


def has_majority(m: MajorityResult, min_size: int) -> bool:
    """Whether the vote yields a pseudo-label: a unique largest cluster of >= ``min_size`` answers.

    SQLM rewards agreeing with the majority "when a majority exists"; with every answer
    different, or two clusters tied, rewarding the tie-break winner would train on noise.
    """
    top = m.majority_size
    return m.label is not None and top >= min_size and list(m.cluster_sizes).count(top) == 1


class MajorityLabels:
    name = "majority"

    def __init__(self, cfg, task):
        self.min_majority = cfg.selfplay.min_majority

    def label(self, problems, answers, majorities, actors) -> Labels:
        out = []
        for m in majorities:
            ok = has_majority(m, self.min_majority)
            out.append(ProblemLabel(m.label if ok else None, tuple(ok and m.agrees(j) for j in range(m.n))))
        return Labels(out, {})


def _matching(task, label: str | None, answers: list[str | None]) -> ProblemLabel:
    return ProblemLabel(label, tuple(label is not None and a is not None and task.equivalent(a, label)
                                    for a in answers))


class TeacherLabels:
    name = "teacher"

    def __init__(self, cfg, task):
        self.cfg, self.task = cfg, task
        self.samples = cfg.labels.samples or cfg.selfplay.attempts_per_problem

    def label(self, problems, answers, majorities, actors) -> Labels:
        if not problems:
            return Labels([], {})
        sp = self.cfg.selfplay
        groups = actors.proposer.generate(
            [self.task.solver_prompt(p) for p in problems],
            SamplingParams(n=self.samples, max_new_tokens=self.cfg.task.max_answer_tokens,
                           temperature=sp.temperature, top_p=sp.top_p),
        )
        votes = [majority_vote([self.task.extract_answer(g.text) for g in group], self.task.equivalent)
                 for group in groups]
        labels = [v.label if has_majority(v, sp.min_majority) else None for v in votes]
        return Labels(
            [_matching(self.task, lab, a) for lab, a in zip(labels, answers)],
            {"labels/teacher_agreement_mean": sum(v.agreement for v in votes) / len(votes)},
        )


class OracleLabels:
    name = "oracle"

    def __init__(self, cfg, task):
        if not cfg.labels.allow_oracle:  # validation refuses it first; a second lock on the door
            raise ValueError("labels=oracle needs labels.allow_oracle=true")
        self.task = task

    def label(self, problems, answers, majorities, actors) -> Labels:
        return Labels([_matching(self.task, p.ground_truth, a) for p, a in zip(problems, answers)], {})


def make_majority(cfg, task) -> MajorityLabels:
    return MajorityLabels(cfg, task)


def make_teacher(cfg, task) -> TeacherLabels:
    return TeacherLabels(cfg, task)


def make_oracle(cfg, task) -> OracleLabels:
    return OracleLabels(cfg, task)
