"""code_io: the proposer writes a problem and test inputs only; the solver's programs run on
them, are clustered by their outputs, and the majority cluster is the pseudo-label.

Proposal: a statement, then ``Inputs:`` and ``tests_per_problem`` (5) lines, one INPUT each
(``\\n`` escapes; non-empty, distinct, at most 1,000 characters). Each program runs on every
input in the sandbox; its outcome is its tuple of outputs, and a program that fails on any
input (or is missing) joins no cluster but counts in N (verifiers/code/cluster.py). The
vote is the answer tasks' (``has_majority``: a unique largest cluster of at least
``selfplay.min_majority``); solver score 1 for a program in it (it agrees with the majority
on every input), else 0; the agreement rate feeds the curriculum as for any vote. Held-out
problems carry reference outputs: ``correct`` is a program matching them on every input.
HumanEval's problems (``task.eval_set=humaneval``) are graded by their own tests, as in ``code``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from selfplay.tasks.base import ParsedProposal, Problem
from selfplay.tasks.code import CodeTask
from selfplay.tasks.code_text import NO_PROGRAM, CodeProblem
from selfplay.tasks.verdicts import Verdicts, has_majority
from verifiers.code.cluster import IOClusters, cluster_outcomes, outcome
from verifiers.code.io_tests import TestLimits, escape, stdin_for, unescape
from verifiers.code.program import extract_program
from verifiers.code.run_tests import normalize_output
from verifiers.sandbox.types import Program

PROMPTS = {
    "stdin_program": (
        "Write a short programming problem whose solution is a Python program that reads from "
        "standard input and prints to standard output. First write the problem after 'Problem:', "
        "saying exactly what the input and the output are. Then write 'Inputs:' and, on the lines "
        "after it, {k} different test inputs, one per line (write \\n for a line break inside an "
        "input). Do not write the outputs or the solution.\n"
        "Example of the format:\nProblem: Read an integer n and print 2 * n.\nInputs:\n1\n5"
    ),
}


def parse_inputs(text: str, k: int, limits: TestLimits = TestLimits()) -> tuple[tuple[str, ...], str | None]:
    """``k`` distinct non-empty inputs, or the reason there are not."""
    inputs = [unescape(line.strip()) for line in text.splitlines() if line.strip()]
    if len(inputs) != k:
        return (), f"{len(inputs)} inputs (expected {k})"
    if too_long := [i for i in inputs if len(i) > limits.max_input_chars]:
        return (), f"an input of {len(too_long[0])} characters (max {limits.max_input_chars})"
    if len(set(inputs)) != len(inputs):
        return (), "a repeated input"
    return tuple(inputs), None


@dataclass
class CodeIOTask(CodeTask):
    name: str = "code_io"
    heading = "Inputs"

    prompts: ClassVar[dict[str, str]] = PROMPTS

    def _problem_from(self, statement: str, lines: str) -> ParsedProposal:
        inputs, why = parse_inputs(lines, self.tests_per_problem)
        if why:
            return ParsedProposal(None, f"inputs: {why}")
        return ParsedProposal(CodeProblem(statement, inputs=inputs))

    def _judge_proposed(self, problems: list[Problem], completions: list[list[str]], min_majority: int) -> list[Verdicts]:
        """Every program on every input of its problem, in one sandbox batch, then a vote."""
        programs = [[extract_program(c) for c in group] for group in completions]
        jobs = [Program(src, stdin_for(i)) for p, group in zip(problems, programs, strict=True)
                for src in group if src is not None for i in p.inputs]
        results = iter(self.executor.run_many(jobs) if jobs else [])
        out = []
        for p, group in zip(problems, programs):
            runs = [[next(results) for _ in p.inputs] if src is not None else None for src in group]
            clusters = cluster_outcomes([outcome(r) for r in runs])
            out.append(_voted(p, group, runs, clusters, min_majority))
        return out


def _lines(problem: CodeProblem, outputs: tuple[str, ...]) -> str:
    return "\n".join(f"{escape(i)} ||| {escape(o)}" for i, o in zip(problem.inputs, outputs))


def _voted(problem: CodeProblem, programs, runs, clusters: IOClusters, min_majority: int) -> Verdicts:
    vote = clusters.vote
    labeled = has_majority(vote, min_majority)
    expected = tuple(normalize_output(t.output) for t in problem.tests) if problem.ground_truth else None

    def right(o: tuple[str, ...] | None) -> bool | None:
        return None if expected is None else o == expected

    majority = None if clusters.label is None else _lines(problem, clusters.label)
    return Verdicts(
        answers=tuple(programs),
        scores=tuple(float(labeled and vote.agrees(j)) for j in range(vote.n)),
        clusters=vote.cluster_of,
        label=majority if labeled else None,
        majority=majority,
        agree=vote.majority_size,
        n=vote.n,
        mean_score=None,
        correct=tuple(right(o) for o in clusters.outcomes),
        majority_correct=right(clusters.label),
        details=tuple(_report(problem, r, o, c) for r, o, c in zip(runs, clusters.outcomes, vote.cluster_of)),
    )


def _report(problem: CodeProblem, runs, out: tuple[str, ...] | None, cluster: int) -> str:
    if runs is None:
        return NO_PROGRAM
    if out is None:
        failed = next((k, r) for k, r in enumerate(runs, start=1) if not r.ok)
        k, r = failed
        why = f"limit: {r.limit_hit}" if r.limit_hit else f"exit {r.exit_code}, signal {r.signal}"
        last = r.stderr.strip().splitlines()[-1][:120] if r.stderr.strip() else ""
        return f"failed on input {k} ({why}) {last}".rstrip() + ": in no cluster"
    return f"cluster {cluster}\n" + _lines(problem, out)


def make(cfg) -> CodeIOTask:
    return CodeIOTask(topics=list(cfg.topics), tests_per_problem=cfg.tests_per_problem, sandbox=cfg.sandbox,
                      eval_per_level=cfg.eval_per_level, eval_levels=list(cfg.eval_levels), eval_set=cfg.eval_set,
                      eval_size=cfg.eval_size)
