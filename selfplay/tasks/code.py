"""SQLM's code task: the proposer writes a problem and its unit tests; the solver writes a
program; the program's score is the fraction of the proposer's tests it passes.

Proposal: a problem statement, then ``Tests:`` and ``tests_per_problem`` (5) lines
``INPUT ||| OUTPUT`` (verifiers/code/io_tests.py: ``\\n`` escapes, bounded sizes, distinct
inputs). Anything else is invalid and gets the format penalty. Solver: a Python program in
a fenced block (the last one; verifiers/code/program.py) that reads stdin and prints the
answer; it runs on every test in the sandbox (``task.sandbox``; never outside it) and
scores passed / total (0 without a program). The proposer's reward reads the mean score
(SQLM: 1 iff 0 < mean < 1; selfplay/curriculum/rewards.py). The tests are the label: they
are not ground truth (a proposer can be wrong), so ``correct`` is known only on the held-out
problems, whose reference tests are ``ground_truth``.

The held-out set is a registered choice (``task.eval_set``, selfplay/tasks/eval_sets.py):
the project's own problems, or HumanEval, whose problems are prompted and judged by
selfplay/tasks/humaneval.py (in the same sandbox) and whose metrics the evaluation also logs
under ``eval/humaneval/`` (``eval_benchmark``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from selfplay.tasks.base import ParsedProposal, Problem
from selfplay.tasks import humaneval
from selfplay.tasks.code_eval import LEVELS
from selfplay.tasks.code_sandbox import LazyExecutor, SandboxSettings
from selfplay.tasks.code_text import NO_PROGRAM, CodeProblem, cut_proposal, solver_prompt, statement_problem
from selfplay.tasks.eval_sets import EVAL_SETS
from selfplay.tasks.verdicts import Verdicts
from verifiers.code.io_tests import TestLimits, format_test, parse_tests
from verifiers.code.program import extract_program
from verifiers.code.run_tests import TestOutcome, judge as judge_run
from verifiers.sandbox.types import Program

PROMPTS = {
    "stdin_program": (
        "Write a short programming problem whose solution is a Python program that reads from "
        "standard input and prints to standard output. First write the problem after 'Problem:', "
        "saying exactly what the input and the output are. Then write 'Tests:' and, on the lines "
        "after it, {k} tests, one per line, each as INPUT ||| OUTPUT (write \\n for a line break "
        "inside INPUT or OUTPUT). Each test needs a different INPUT. Do not write the solution.\n"
        "Example of the format:\nProblem: Read an integer n and print 2 * n.\nTests:\n"
        "1 ||| 2\n5 ||| 10"
    ),
}


@dataclass
class CodeTask:
    topics: list[str] = field(default_factory=lambda: sorted(PROMPTS))
    tests_per_problem: int = 5
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    eval_per_level: int = 64
    eval_levels: list[int] = field(default_factory=list)
    eval_set: str = "builtin"  # a name in EVAL_SETS: builtin | humaneval
    eval_size: int = 0  # humaneval: its first eval_size problems (0: all)
    name: str = "code"
    heading = "Tests"
    prompts: ClassVar[dict[str, str]] = PROMPTS

    def __post_init__(self) -> None:
        if unknown := set(self.topics) - set(self.prompts):
            raise ValueError(f"task.topics: unknown {sorted(unknown)}; {self.name} knows {sorted(self.prompts)}")
        self.eval_levels = list(self.eval_levels) or list(LEVELS)
        if bad := set(self.eval_levels) - set(LEVELS):
            raise ValueError(f"task.eval_levels: unknown {sorted(bad)}; {self.name} has levels {LEVELS}")
        EVAL_SETS.check(self.eval_set, "task.eval_set")
        if self.eval_size < 0 or (self.eval_size and self.eval_set == "builtin"):
            raise ValueError("task.eval_size: must be >= 0, and 0 with eval_set=builtin (sized by eval_per_level)")
        if not 1 <= self.tests_per_problem <= TestLimits().max_tests:
            raise ValueError(f"task.tests_per_problem: must be in [1, {TestLimits().max_tests}]")
        if bad_sandbox := self.sandbox.problems():
            key, value, why = bad_sandbox[0]
            raise ValueError(f"{key}: {value!r}: {why}")
        self.executor = LazyExecutor(self.sandbox)

    def proposer_prompt(self, topic: str) -> str:
        return self.prompts[topic].format(k=self.tests_per_problem)

    def parse_proposal(self, text: str) -> ParsedProposal:
        cut = cut_proposal(text, self.heading)
        if why := statement_problem(cut.statement):
            return ParsedProposal(None, why)
        if cut.lines is None:
            return ParsedProposal(None, f"no '{self.heading}:' heading")
        return self._problem_from(cut.statement, cut.lines)

    def _problem_from(self, statement: str, lines: str) -> ParsedProposal:
        """The problem of a statement and the lines under its heading: here, tests."""
        k = self.tests_per_problem
        parsed = parse_tests(lines, TestLimits(min_tests=k, max_tests=k))
        if not parsed.valid:
            return ParsedProposal(None, f"tests: {parsed.invalid_reason}")
        return ParsedProposal(CodeProblem(statement, tests=parsed.tests))

    @property
    def eval_benchmark(self) -> str | None:
        """A named benchmark held out (its metrics also go under ``eval/<name>/``); None: the builtin set."""
        return None if self.eval_set == "builtin" else self.eval_set

    def benchmark_prompts(self) -> dict[str, str]:
        """The benchmark's prompts by name, for the contamination check (all of them, not the subset)."""
        return {p.task_id: p.text for p in humaneval.all_problems()} if self.eval_set == "humaneval" else {}

    def solver_prompt(self, problem: Problem) -> str:
        if isinstance(problem, humaneval.HumanEvalProblem):
            return humaneval.solver_prompt(problem)
        return solver_prompt(problem.text)

    def judge(self, problems: list[Problem], completions: list[list[str]], *, min_majority: int) -> list[Verdicts]:
        """HumanEval's held-out problems by their own tests; proposed (and builtin) ones by the task's rule.
        A batch is one or the other: the step judges proposals, the evaluation the held-out set."""
        benchmark = [isinstance(p, humaneval.HumanEvalProblem) for p in problems]
        if any(benchmark):
            if not all(benchmark):
                raise ValueError("a judge batch mixes HumanEval problems with others")
            return humaneval.judge(self.executor.get(), problems, completions)  # type: ignore[arg-type]
        return self._judge_proposed(problems, completions, min_majority)

    def _judge_proposed(self, problems: list[Problem], completions: list[list[str]], min_majority: int) -> list[Verdicts]:
        """Every program on every test of its problem, in one sandbox batch."""
        programs = [[extract_program(c) for c in group] for group in completions]
        jobs = [Program(src, t.stdin) for p, group in zip(problems, programs, strict=True)
                for src in group if src is not None for t in p.tests]
        results = iter(self.executor.run_many(jobs) if jobs else [])
        out = []
        for p, group in zip(problems, programs):
            outcomes = [[judge_run(next(results), t.output) for t in p.tests] if src is not None else None
                        for src in group]
            out.append(_graded(p, group, outcomes))
        return out

    def eval_problems(self) -> list[Problem]:
        return list(EVAL_SETS.get(self.eval_set, "task.eval_set")(self))

    def features(self, problem: Problem) -> dict:
        return {} if problem.level is None else {"level": problem.level}


def _graded(problem, programs, outcomes: list[list[TestOutcome] | None]) -> Verdicts:
    total = len(problem.tests)
    scores = tuple(sum(o.passed for o in oc) / total if oc is not None else 0.0 for oc in outcomes)
    known = problem.ground_truth is not None
    return Verdicts(
        answers=tuple(programs),
        scores=scores,
        clusters=(-1,) * len(programs),
        label="\n".join(format_test(t) for t in problem.tests),
        majority=None,
        agree=sum(s == 1.0 for s in scores),
        n=len(programs),
        mean_score=sum(scores) / len(scores) if scores else 0.0,
        correct=tuple(s == 1.0 if known else None for s in scores),
        majority_correct=None,
        details=tuple(_report(problem, oc) for oc in outcomes),
    )


def _report(problem, outcomes: list[TestOutcome] | None) -> str:
    if outcomes is None:
        return NO_PROGRAM
    lines = []
    for k, (t, o) in enumerate(zip(problem.tests, outcomes), start=1):
        line = f"test {k}: {o.reason}"
        if o.reason == "wrong output" and o.result is not None:
            line += f" (got {o.result.stdout[:80]!r}, expected {t.output[:80]!r})"
        elif not o.passed and o.result is not None and o.result.stderr.strip():
            line += f" ({o.result.stderr.strip().splitlines()[-1][:120]})"
        lines.append(line)
    return "\n".join(lines)


def make(cfg) -> CodeTask:
    return CodeTask(topics=list(cfg.topics), tests_per_problem=cfg.tests_per_problem, sandbox=cfg.sandbox,
                    eval_per_level=cfg.eval_per_level, eval_levels=list(cfg.eval_levels), eval_set=cfg.eval_set,
                    eval_size=cfg.eval_size)
