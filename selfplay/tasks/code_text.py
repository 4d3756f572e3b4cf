"""Code problems and the proposer's text around them (shared by ``code`` and ``code_io``).

A proposal is a problem statement, then a heading (``Tests:`` for ``code``, ``Inputs:`` for
``code_io``) and one line per test. The cut: the LAST heading splits the completion (a model
that revises itself ends with its final version); the statement is what precedes it, after
a ``Problem:`` label if there is one; the lines are the non-blank lines after it, up to the
first blank or fence (```) line that follows one, with list markers (``1.``, ``-``)
dropped. Only the first ``MAX_SCAN_CHARS`` characters are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selfplay.tasks.base import Problem
from verifiers.code.io_tests import IOTest, escape, format_test

MAX_SCAN_CHARS = 8_000
MAX_STATEMENT_CHARS = 2_000
NO_PROGRAM = "no program (no closed ```python block)"  # a judge's account of a reply without one
_PROBLEM_LABEL = re.compile(r"^[ \t#*]*problem(?:[ \t]+statement)?[ \t*]*:[ \t*]*", re.IGNORECASE | re.MULTILINE)
_FENCE = re.compile(r"^[ \t]*`{3,}")
_LIST_MARKER = re.compile(r"^[ \t]*(?:\d+[.)]|[-*])[ \t]+")


@dataclass(frozen=True)
class CodeProblem(Problem):
    """A problem a program solves from stdin to stdout. ``tests``: what the solver is graded
    on (``code``: the proposer's; held-out problems: the reference's); ``inputs``: what it is
    run on (``code_io``: the proposer's, with no outputs). ``ground_truth`` is set only on
    held-out problems (the reference tests, as lines): correctness is known only there."""

    tests: tuple[IOTest, ...] = ()
    inputs: tuple[str, ...] = ()

    @property
    def details(self) -> str | None:
        if self.tests:
            return "\n".join(format_test(t) for t in self.tests)
        return "\n".join(escape(i) for i in self.inputs) or None


@dataclass(frozen=True)
class ProposalCut:
    statement: str
    lines: str | None  # the test (or input) lines, joined; None when the heading is missing


def cut_proposal(completion: str, heading: str) -> ProposalCut:
    text = completion[:MAX_SCAN_CHARS] if isinstance(completion, str) else ""
    marker = re.compile(rf"^[ \t#*]*{heading}[ \t*]*:", re.IGNORECASE | re.MULTILINE)
    last = None
    for last in marker.finditer(text):
        pass
    if last is None:
        return ProposalCut(_statement(text), None)
    return ProposalCut(_statement(text[: last.start()]), _lines(text[last.end():]))


def _statement(text: str) -> str:
    label = None
    for label in _PROBLEM_LABEL.finditer(text):
        pass
    if label is not None:
        text = text[label.end():]
    return "\n".join(line for line in text.strip().splitlines() if not _FENCE.match(line)).strip()


def _lines(text: str) -> str:
    kept: list[str] = []
    for line in text.splitlines():
        if _FENCE.match(line) or not line.strip():
            if kept:
                break
            continue
        kept.append(_LIST_MARKER.sub("", line, count=1).rstrip())
    return "\n".join(kept)


def statement_problem(statement: str) -> str | None:
    """Why a statement is not one (None: it is)."""
    if not statement:
        return "empty problem statement"
    if len(statement) > MAX_STATEMENT_CHARS:
        return f"problem statement longer than {MAX_STATEMENT_CHARS} characters"
    return None


def solver_prompt(statement: str) -> str:
    return (
        f"{statement}\n\n"
        "Write a Python 3 program that solves this problem. It reads the input from standard input "
        "and prints the answer to standard output. Put the whole program in one ```python code block."
    )
