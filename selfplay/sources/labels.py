"""Label sources: the answer each problem's solver attempts are rewarded for matching.

``majority`` (default): the task's own verdicts (``Task.judge``): for an answer task the
solver's majority answer, where the vote yields one (``has_majority()``); label-free, as
SQLM and TTRL; for ``code`` the proposer's tests. ``teacher``: the proposer model answers
each problem ``labels.samples`` times and its majority is the label (teacher-labelled
data). ``oracle``: the task's ground truth; the one source that trains on what self-play is
never given, so validation refuses it without ``labels.allow_oracle=true`` and every metrics
row of such a run carries ``labels/source_oracle``. ``teacher`` and ``oracle`` compare
answers, so they need a task with an answer equivalence (not the code tasks).
"""

from __future__ import annotations

from selfplay.messages import SamplingParams
from selfplay.sources.base import Labels, ProblemLabel
from selfplay.tasks.verdicts import has_majority

__all__ = ["MajorityLabels", "OracleLabels", "TeacherLabels", "has_majority"]


class MajorityLabels:
    name = "majority"

    def __init__(self, cfg, task):
        pass

    def label(self, problems, verdicts, actors) -> Labels:
        return Labels([ProblemLabel(v.label, v.scores, v.majority_correct if v.label is not None else None)
                       for v in verdicts], {})


def _answer_task(task, source: str):
    if not callable(getattr(task, "equivalent", None)):
        raise ValueError(f"labels={source}: task {task.name!r} has no answer equivalence to match a label with "
                         "(it judges by running programs); use labels=majority")
    return task


def _matching(task, label: str | None, answers, truth: str | None) -> ProblemLabel:
    return ProblemLabel(
        label,
        tuple(float(label is not None and a is not None and task.equivalent(a, label)) for a in answers),
        task.equivalent(label, truth) if label is not None and truth else None,
    )


class TeacherLabels:
    name = "teacher"

    def __init__(self, cfg, task):
        self.cfg, self.task = cfg, _answer_task(task, "teacher")
        self.samples = cfg.labels.samples or cfg.selfplay.attempts_per_problem

    def label(self, problems, verdicts, actors) -> Labels:
        if not problems:
            return Labels([], {})
        sp = self.cfg.selfplay
        groups = actors.proposer.generate(
            [self.task.solver_prompt(p) for p in problems],
            SamplingParams(n=self.samples, max_new_tokens=self.cfg.task.max_answer_tokens,
                           temperature=sp.temperature, top_p=sp.top_p),
        )
        votes = self.task.judge(problems, [[g.text for g in group] for group in groups], min_majority=sp.min_majority)
        return Labels(
            [_matching(self.task, v.label, own.answers, p.ground_truth) for p, v, own in zip(problems, votes, verdicts)],
            {"labels/teacher_agreement_mean": sum(v.rate for v in votes) / len(votes)},
        )


class OracleLabels:
    name = "oracle"

    def __init__(self, cfg, task):
        if not cfg.labels.allow_oracle:  # validation refuses it first; a second lock on the door
            raise ValueError("labels=oracle needs labels.allow_oracle=true")
        self.task = _answer_task(task, "oracle")

    def label(self, problems, verdicts, actors) -> Labels:
        return Labels([_matching(self.task, p.ground_truth, v.answers, p.ground_truth)
                       for p, v in zip(problems, verdicts)], {})


def make_majority(cfg, task) -> MajorityLabels:
    return MajorityLabels(cfg, task)


def make_teacher(cfg, task) -> TeacherLabels:
    return TeacherLabels(cfg, task)


def make_oracle(cfg, task) -> OracleLabels:
    return OracleLabels(cfg, task)
