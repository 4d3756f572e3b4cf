"""The code tasks' held-out problems: short stdin -> stdout programs with reference tests.

Written for this project (no download): level 1 reads one or two numbers and prints one
value; level 2 needs a loop or a string operation. Expected outputs are computed here from
the reference solutions (this project's own code, run in-process, never model code), on
inputs fixed below, so the set is identical on every machine.
"""

from __future__ import annotations

from typing import Callable

from selfplay.tasks.code_text import CodeProblem
from verifiers.code.io_tests import IOTest, format_test

Spec = tuple[int, str, Callable[[str], str], list[str]]  # level, statement, reference, inputs

SPECS: list[Spec] = [
    (1, "Read two integers a and b on one line, separated by a space. Print a + b.",
     lambda s: str(sum(map(int, s.split()))), ["1 2", "-5 5", "100 250", "0 0", "-7 -8"]),
    (1, "Read an integer n. Print n squared.",
     lambda s: str(int(s) ** 2), ["3", "0", "-4", "12", "100"]),
    (1, "Read an integer n. Print EVEN if n is even and ODD otherwise.",
     lambda s: "EVEN" if int(s) % 2 == 0 else "ODD", ["2", "7", "0", "-3", "1000001"]),
    (1, "Read two integers on one line. Print the larger of the two.",
     lambda s: str(max(map(int, s.split()))), ["3 9", "10 2", "-1 -5", "4 4", "0 -100"]),
    (1, "Read a line of text. Print it reversed.",
     lambda s: s[::-1], ["abc", "hello world", "a", "racecar", "12345"]),
    (1, "Read a word. Print the number of characters in it.",
     lambda s: str(len(s)), ["cat", "a", "elephant", "xyzzy", "hello"]),
    (2, "Read an integer n (n >= 1). Print the sum 1 + 2 + ... + n.",
     lambda s: str(int(s) * (int(s) + 1) // 2), ["1", "3", "10", "100", "7"]),
    (2, "Read an integer n (0 <= n <= 12). Print n factorial.",
     lambda s: str(__import__("math").factorial(int(s))), ["0", "1", "5", "10", "12"]),
    (2, "Read a line of lowercase letters and spaces. Print how many vowels (a, e, i, o, u) it contains.",
     lambda s: str(sum(c in "aeiou" for c in s)), ["hello", "sky", "aeiou", "the quick brown fox", "banana"]),
    (2, "Read a line of integers separated by spaces. Print their sum.",
     lambda s: str(sum(map(int, s.split()))), ["1 2 3", "10", "-1 1 -1 1", "5 5 5 5 5", "100 200 300"]),
    (2, "Read a word. Print YES if it is a palindrome (reads the same backwards) and NO otherwise.",
     lambda s: "YES" if s == s[::-1] else "NO", ["level", "hello", "a", "abba", "abca"]),
    (2, "Read an integer n (n >= 1). Print the digits of n added together.",
     lambda s: str(sum(map(int, s))), ["5", "123", "9999", "1000", "48"]),
]
LEVELS = [1, 2]


def reference_tests(reference: Callable[[str], str], inputs: list[str]) -> tuple[IOTest, ...]:
    return tuple(IOTest(i, reference(i)) for i in inputs)


def eval_set(per_level: int, levels: list[int]) -> list[CodeProblem]:
    """The first ``per_level`` problems of each level in ``levels``, each with its reference
    tests as ``tests`` and, as lines, as ``ground_truth``."""
    out = []
    for level in levels:
        for lvl, statement, reference, inputs in [s for s in SPECS if s[0] == level][:per_level]:
            tests = reference_tests(reference, inputs)
            out.append(CodeProblem(statement, "\n".join(format_test(t) for t in tests), lvl,
                                   tests=tests, inputs=tuple(inputs)))
    return out


def builtin_set(task) -> list[CodeProblem]:
    """``task.eval_set=builtin``: this module's problems, as the task's eval settings pick them."""
    return eval_set(task.eval_per_level, task.eval_levels)
