"""Test lines ``INPUT ||| OUTPUT``: a program's stdin and its expected stdout, one per line.

Format (one test per non-blank line):
- exactly one ``|||`` separates INPUT from OUTPUT; whitespace around either part is dropped;
- escapes, in both parts: ``\\n`` is a newline and ``\\\\`` a backslash; any other backslash is
  kept as written (so ``\\d`` stays two characters). Tabs and other characters are literal;
- the program's stdin is INPUT with a newline appended (``input()`` needs it), or nothing
  when INPUT is empty.

A set of tests is invalid, with the first reason found, when: it has no test line (or fewer
than ``min_tests``) or more than ``max_tests``; a line has no ``|||`` or more than one; an
OUTPUT is empty; an INPUT or OUTPUT (after unescaping) is longer than its bound; two lines
share an INPUT (a duplicate, or a contradiction if the outputs differ).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SEPARATOR = "|||"
_ESCAPE = re.compile(r"\\(\\|n)")


@dataclass(frozen=True)
class IOTest:
    input: str  # unescaped
    output: str  # unescaped expected stdout

    @property
    def stdin(self) -> str:
        return stdin_for(self.input)


def stdin_for(input_text: str) -> str:
    """The program's stdin for an INPUT: a newline appended unless empty or already there."""
    return input_text + "\n" if input_text and not input_text.endswith("\n") else input_text


@dataclass(frozen=True)
class TestLimits:
    __test__ = False  # not a pytest class
    min_tests: int = 1
    max_tests: int = 16
    max_input_chars: int = 1000
    max_output_chars: int = 1000
    max_text_chars: int = 40_000  # the whole block, checked before any parsing


@dataclass(frozen=True)
class ParsedTests:
    tests: tuple[IOTest, ...]
    invalid_reason: str | None  # None when valid; then ``tests`` holds them all

    @property
    def valid(self) -> bool:
        return self.invalid_reason is None


def unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else "\\", text)


def escape(text: str) -> str:
    """The inverse of ``unescape`` for any string (backslashes first)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def format_test(test: IOTest) -> str:
    return f"{escape(test.input)} {SEPARATOR} {escape(test.output)}"


def parse_test_line(line: str, limits: TestLimits = TestLimits()) -> IOTest | str:
    """An IOTest, or the reason the line is not one."""
    count = line.count(SEPARATOR)
    if count != 1:
        return f"no '{SEPARATOR}' separator" if count == 0 else f"{count} '{SEPARATOR}' separators, expected one"
    left, right = line.split(SEPARATOR)
    test = IOTest(unescape(left.strip()), unescape(right.strip()))
    if not test.output:
        return "empty output"
    if len(test.input) > limits.max_input_chars:
        return f"input of {len(test.input)} characters (max {limits.max_input_chars})"
    if len(test.output) > limits.max_output_chars:
        return f"output of {len(test.output)} characters (max {limits.max_output_chars})"
    return test


def parse_tests(text: str, limits: TestLimits = TestLimits()) -> ParsedTests:
    if not isinstance(text, str):
        return ParsedTests((), "tests are not text")
    if len(text) > limits.max_text_chars:
        return ParsedTests((), f"tests text of {len(text)} characters (max {limits.max_text_chars})")
    tests: list[IOTest] = []
    first_line_of: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parsed = parse_test_line(line, limits)
        if isinstance(parsed, str):
            return ParsedTests((), f"line {number}: {parsed}")
        if parsed.input in first_line_of:
            return ParsedTests((), f"line {number}: same input as line {first_line_of[parsed.input]}")
        first_line_of[parsed.input] = number
        tests.append(parsed)
        if len(tests) > limits.max_tests:
            return ParsedTests((), f"more than {limits.max_tests} tests")
    if len(tests) < limits.min_tests:
        return ParsedTests((), "no test lines" if not tests else f"{len(tests)} tests (min {limits.min_tests})")
    return ParsedTests(tuple(tests), None)
