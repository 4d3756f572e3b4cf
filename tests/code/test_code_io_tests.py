"""The test-line parser: format, escapes, validation reasons."""

import pytest

from verifiers.code.io_tests import IOTest, TestLimits, escape, format_test, parse_test_line, parse_tests, unescape


def test_parses_lines_with_escapes():
    parsed = parse_tests("3 4 ||| 7\n\n  2\\n5 6 |||  1\\n11  \n")
    assert parsed.valid
    assert parsed.tests == (IOTest("3 4", "7"), IOTest("2\n5 6", "1\n11"))
    assert parsed.tests[1].stdin == "2\n5 6\n"
    assert IOTest("", "x").stdin == "" and IOTest("a\n", "x").stdin == "a\n"


def test_backslash_rules():
    assert unescape(r"a\\nb") == "a\\nb"  # an escaped backslash, then a plain n
    assert unescape(r"\d+\t") == r"\d+\t"  # other backslashes stay as written
    assert unescape(r"x\n\\") == "x\n\\"
    for text in ["a\nb", "back\\slash", "\\n literally", "", "\\\n"]:
        assert unescape(escape(text)) == text
    test = IOTest("1\n2", "a\\b")
    assert parse_test_line(format_test(test)) == test


@pytest.mark.parametrize("text,reason", [
    ("", "no test lines"),
    ("   \n\n", "no test lines"),
    ("1 2 3", "line 1: no '|||' separator"),
    ("1 ||| 2\n3 ||| 4 ||| 5", "line 2: 2 '|||' separators"),
    ("1 |||   ", "line 1: empty output"),
    ("1 ||| 2\n\n1 ||| 2", "line 3: same input as line 1"),
    ("1 ||| 2\n1 ||| 3", "line 2: same input as line 1"),
    ("x" * 1001 + " ||| 1", "line 1: input of 1001 characters"),
    ("1 ||| " + "y" * 1001, "line 1: output of 1001"),
])
def test_invalid_reasons(text, reason):
    parsed = parse_tests(text)
    assert not parsed.valid and parsed.tests == ()
    assert parsed.invalid_reason.startswith(reason), parsed.invalid_reason


def test_bounds_on_count_and_size():
    lines = "\n".join(f"{i} ||| {i}" for i in range(17))
    assert parse_tests(lines).invalid_reason == "more than 16 tests"
    assert parse_tests(lines, TestLimits(max_tests=17)).valid
    assert parse_tests("1 ||| 1", TestLimits(min_tests=2)).invalid_reason == "1 tests (min 2)"
    assert parse_tests("1 ||| 1\n" * 10_000).invalid_reason.startswith("tests text of")
    assert parse_tests(None).invalid_reason == "tests are not text"
