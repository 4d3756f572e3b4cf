"""Run a program on test lines through an executor and judge each test.

A test passes when the run ended by itself with exit status 0, within every limit, with its
output complete, and its stdout equals the expected output after ``normalize_output`` on
both sides: line endings become ``\\n``, trailing whitespace is cut from every line, and
trailing empty lines are dropped. Leading whitespace, inner blank lines and case count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol, Sequence

from verifiers.code.io_tests import IOTest
from verifiers.sandbox.types import Program, SandboxLimits, SandboxResult

_TRAILING_SPACE = re.compile(r"[ \t\f\v]+$", re.MULTILINE)


class ProgramExecutor(Protocol):
    """What ``verifiers.sandbox.make_executor`` returns."""

    def run_many(self, programs: Sequence[Program], limits: SandboxLimits | None = None) -> list[SandboxResult]: ...


def normalize_output(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _TRAILING_SPACE.sub("", text).rstrip("\n")


def outputs_match(actual: str, expected: str) -> bool:
    return normalize_output(actual) == normalize_output(expected)


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a pytest class
    passed: bool
    reason: str  # "passed", "wrong output", "exit 1", "signal 9", "limit: wall", "no program"
    result: SandboxResult | None  # None when nothing ran


def judge(result: SandboxResult, expected: str) -> TestOutcome:
    if result.limit_hit is not None:
        return TestOutcome(False, f"limit: {result.limit_hit}", result)
    if result.stdout_truncated or result.stderr_truncated:
        return TestOutcome(False, "limit: output", result)
    if result.exit_code != 0:
        status = f"signal {result.signal}" if result.exit_code is None else f"exit {result.exit_code}"
        return TestOutcome(False, status, result)
    if not outputs_match(result.stdout, expected):
        return TestOutcome(False, "wrong output", result)
    return TestOutcome(True, "passed", result)


@dataclass(frozen=True)
class TestReport:
    __test__ = False  # not a pytest class
    outcomes: tuple[TestOutcome, ...]

    @property
    def passed(self) -> int:
        return sum(o.passed for o in self.outcomes)

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def all_passed(self) -> bool:
        return self.total > 0 and self.passed == self.total

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


def run_tests_many(executor: ProgramExecutor, sources: Sequence[str | None], tests: Sequence[IOTest],
                   limits: SandboxLimits | None = None) -> list[TestReport]:
    """Every program on every test, as one batch (the executor runs it in parallel)."""
    tests = list(tests)
    jobs = [Program(src, t.stdin) for src in sources if src is not None for t in tests]
    results = iter(executor.run_many(jobs, limits))
    reports = []
    for src in sources:
        if src is None:
            reports.append(TestReport(tuple(TestOutcome(False, "no program", None) for _ in tests)))
        else:
            reports.append(TestReport(tuple(judge(next(results), t.output) for t in tests)))
    return reports


def run_tests(executor: ProgramExecutor, source: str | None, tests: Sequence[IOTest],
              limits: SandboxLimits | None = None) -> TestReport:
    return run_tests_many(executor, [source], tests, limits)[0]
