"""Output comparison, the test runner and code_io clustering: pure parts, then real programs."""

import pytest

from verifiers.code.cluster import cluster_outcomes, outcome, run_and_cluster
from verifiers.code.io_tests import parse_tests
from verifiers.code.run_tests import judge, normalize_output, outputs_match, run_tests, run_tests_many
from verifiers.sandbox import SandboxLimits
from verifiers.sandbox.types import SandboxResult

LIMITS = SandboxLimits(wall_s=1.0, cpu_s=1.0)


def _res(stdout="", exit_code=0, limit=None, signal=None):
    return SandboxResult(exit_code, signal, stdout, "", False, False, limit, 0.01, 0.01)


def test_comparison_rule():
    assert normalize_output("a  \r\nb\t\n\n\n") == "a\nb"
    assert outputs_match("1 2 \n3\n", "1 2\n3")
    assert not outputs_match(" 1", "1")  # leading whitespace counts
    assert not outputs_match("a\n\nb", "a\nb")  # inner blank lines count
    assert not outputs_match("Yes", "yes")


def test_judge_reasons():
    assert judge(_res("7\n"), "7").passed
    assert judge(_res("8\n"), "7").reason == "wrong output"
    assert judge(_res("7\n", exit_code=1), "7").reason == "exit 1"
    assert judge(_res("", exit_code=None, signal=9, limit="wall"), "7").reason == "limit: wall"


def test_cluster_outcomes_pure():
    a, b = ("1", "4"), ("1", "5")
    clusters = cluster_outcomes([a, None, b, a, None, None])
    assert clusters.label == a and clusters.vote.majority_size == 2 and clusters.vote.n == 6
    assert clusters.vote.cluster_of == (0, -1, 1, 0, -1, -1)  # failures agree with nothing
    assert cluster_outcomes([b, a]).label == b  # ties: first seen
    assert cluster_outcomes([None, None]).label is None
    assert outcome([_res("1"), _res("2", limit="wall")]) is None
    assert outcome([_res("1 \n"), _res("2")]) == ("1", "2")


SQUARE = "n = int(input())\nprint(n * n)\n"
SQUARE_LOOP = "n = int(input())\ns = 0\nfor _ in range(n):\n    s += n\nprint(s)\n"
PLUS_ONE = "n = int(input())\nprint(n * n + (n == 3))\n"
CRASH = "n = int(input())\nprint(1 // (n - 3))\n"
HANG = "n = int(input())\nwhile n == 4:\n    pass\nprint(n * n)\n"


def test_run_tests_with_real_programs(sandbox_executor):
    tests = parse_tests("2 ||| 4\n3 ||| 9\n4 ||| 16").tests
    good = run_tests(sandbox_executor, SQUARE, tests, LIMITS)
    assert good.all_passed and good.pass_rate == 1.0
    reports = run_tests_many(sandbox_executor, [PLUS_ONE, CRASH, HANG, None], tests, LIMITS)
    assert [o.reason for o in reports[0].outcomes] == ["passed", "wrong output", "passed"]
    assert [o.reason for o in reports[1].outcomes] == ["wrong output", "exit 1", "wrong output"]
    assert reports[2].outcomes[2].reason.startswith("limit: ") and reports[2].passed == 2
    assert [o.reason for o in reports[3].outcomes] == ["no program"] * 3 and not reports[3].all_passed


def test_clustering_with_real_programs(sandbox_executor):
    inputs = ["2", "3", "4"]
    # agreeing (two different programs, same outputs), disagreeing, crashing, timing out, missing
    clusters = run_and_cluster(sandbox_executor, [PLUS_ONE, SQUARE, CRASH, SQUARE_LOOP, HANG, None], inputs, LIMITS)
    assert clusters.outcomes[0] == ("4", "10", "16")
    assert clusters.outcomes[2] is None and clusters.outcomes[4] is None and clusters.outcomes[5] is None
    assert clusters.vote.cluster_of == (0, 1, -1, 1, -1, -1)
    assert clusters.label == ("4", "9", "16") and clusters.vote.agreement == pytest.approx(2 / 6)
    assert [(t.input, t.output) for t in clusters.pseudo_tests(inputs)] == [("2", "4"), ("3", "9"), ("4", "16")]
    # nobody succeeds: no label
    assert run_and_cluster(sandbox_executor, [CRASH, HANG], ["3", "4"], LIMITS).label is None
    with pytest.raises(ValueError):
        run_and_cluster(sandbox_executor, [SQUARE], [], LIMITS)
