"""The code tasks: proposals parsed and validated, programs judged in the sandbox."""

import pytest

from selfplay.config import TaskConfig
from selfplay.tasks import make_task
from selfplay.tasks.code_sandbox import LazyExecutor, SandboxSettings
from selfplay.tasks.code_text import CodeProblem
from verifiers.code.io_tests import IOTest

TESTS = "1 ||| 2\n2 ||| 4\n3 ||| 6\n10 ||| 20\n-4 ||| -8"
INPUTS = "1\n2\n3\n4\n5"


def _task(name, executor=None):
    task = make_task(TaskConfig(name=name, topics=["stdin_program"], sandbox=SandboxSettings(wall_s=2.0, cpu_s=1.0)))
    if executor is not None:
        task.executor = LazyExecutor(task.sandbox, executor)
    return task


def _block(src: str) -> str:
    return f"Here is my program:\n```python\n{src}```\n"


DOUBLE = "print(2 * int(input()))\n"
DOUBLE_TOO = "n = int(input())\nprint(n + n)\n"
WRONG_ON_10 = "n = int(input())\nprint(2 * n if n != 10 else 0)\n"
CRASH = "n = int(input())\nprint(1 // (n - 3) * 0 + 2 * n)\n"  # fails on input 3
HANG = "n = int(input())\nwhile n == 2:\n    pass\nprint(2 * n)\n"  # times out on input 2


def test_code_proposal_parsing():
    task = _task("code")
    ok = task.parse_proposal(f"Sure!\nProblem: Read n, print 2n.\nTests:\n```\n{TESTS}\n```\nGood luck.")
    assert ok.valid and ok.problem.text == "Read n, print 2n." and len(ok.problem.tests) == 5
    assert ok.problem.tests[0] == IOTest("1", "2") and ok.problem.details == TESTS
    numbered = task.parse_proposal("Problem: x\nTests:\n" + "\n".join(f"{k}. {t}" for k, t in enumerate(TESTS.splitlines(), 1)))
    assert numbered.valid and numbered.problem.tests[0] == IOTest("1", "2")
    reasons = {
        "Problem: x\n": "no 'Tests:' heading",
        "Tests:\n" + TESTS: "empty problem statement",
        "Problem: x\nTests:\n1 ||| 2\n2 ||| 4": "tests: 2 tests (min 5)",
        "Problem: x\nTests:\n" + TESTS.replace("2 ||| 4", "1 ||| 4"): "tests: line 2: same input as line 1",
        "Problem: x\nTests:\n" + TESTS.replace("2 ||| 4", "2 4"): "tests: line 2: no '|||' separator",
        "Problem: x\nTests:\n" + TESTS.replace("||| 4", "|||"): "tests: line 2: empty output",
        "Problem: " + "x" * 2001 + "\nTests:\n" + TESTS: "problem statement longer than 2000 characters",
    }
    for text, reason in reasons.items():
        parsed = task.parse_proposal(text)
        assert not parsed.valid and parsed.invalid_reason == reason, (text[:40], parsed.invalid_reason)


def test_code_io_proposal_parsing():
    task = _task("code_io")
    ok = task.parse_proposal(f"Problem: Read n, print 2n.\nInputs:\n{INPUTS}\n\nThat's all.")
    assert ok.valid and ok.problem.inputs == ("1", "2", "3", "4", "5") and not ok.problem.tests
    assert task.parse_proposal("Problem: x\nInputs:\n1\\n2\n3\n4\n5\n6").problem.inputs[0] == "1\n2"
    assert task.parse_proposal("Problem: x\nInputs:\n1\n2\n3").invalid_reason == "inputs: 3 inputs (expected 5)"
    assert task.parse_proposal("Problem: x\nInputs:\n1\n2\n3\n4\n1").invalid_reason == "inputs: a repeated input"


def test_code_judge_scores_the_fraction_of_the_proposers_tests(sandbox_executor):
    task = _task("code", sandbox_executor)
    problem = task.parse_proposal(f"Problem: Read n, print 2n.\nTests:\n{TESTS}").problem
    [v] = task.judge([problem], [[_block(DOUBLE), _block(WRONG_ON_10), "no code here", _block(CRASH)]], min_majority=2)
    assert v.scores == (1.0, 0.8, 0.0, 0.8)
    assert v.mean_score == pytest.approx(0.65) and v.rate == pytest.approx(0.65) and (v.agree, v.n) == (1, 4)
    assert v.answers[0] == DOUBLE and v.answers[2] is None and v.label == TESTS and v.majority is None
    assert v.correct == (None,) * 4  # the proposer's tests are not ground truth
    assert "test 4: wrong output (got '0\\n', expected '20')" in v.details[1]
    assert v.details[2].startswith("no program") and "test 3: exit 1" in v.details[3]
    assert v.outcome("p").mean_score == pytest.approx(0.65)


def test_code_judge_on_held_out_problems_reads_reference_tests(sandbox_executor):
    task = _task("code", sandbox_executor)
    problems = task.eval_problems()
    square = next(p for p in problems if p.text.startswith("Read an integer n. Print n squared."))
    [v] = task.judge([square], [[_block("n = int(input())\nprint(n * n)\n"), _block(DOUBLE)]], min_majority=1)
    assert v.correct == (True, False) and v.scores[0] == 1.0 and v.scores[1] < 1.0


def test_code_io_judge_votes_over_output_clusters(sandbox_executor):
    task = _task("code_io", sandbox_executor)
    problem = task.parse_proposal(f"Problem: Read n, print 2n.\nInputs:\n{INPUTS}").problem
    # agreeing (two different programs), disagreeing, crashing, timing out, missing
    group = [_block(DOUBLE), _block(WRONG_ON_10.replace("10", "5")), _block(DOUBLE_TOO), _block(CRASH), _block(HANG),
             "none"]
    [v] = task.judge([problem], [group], min_majority=2)
    assert v.clusters == (0, 1, 0, -1, -1, -1) and (v.agree, v.n) == (2, 6) and v.rate == pytest.approx(2 / 6)
    assert v.scores == (1.0, 0.0, 1.0, 0.0, 0.0, 0.0)
    assert v.label == v.majority == "1 ||| 2\n2 ||| 4\n3 ||| 6\n4 ||| 8\n5 ||| 10"
    assert v.mean_score is None and v.correct == (None,) * 6
    assert v.details[3].startswith("failed on input 3 (exit 1") and "limit: " in v.details[4]
    # min_majority above the largest cluster: no label, every score 0 (two agreeing programs suffice)
    [w] = task.judge([problem], [[group[0], group[2]]], min_majority=3)
    assert w.label is None and w.majority == v.majority and w.scores == (0.0,) * 2


def test_code_io_judge_on_held_out_problems(sandbox_executor):
    task = _task("code_io", sandbox_executor)
    double_sum = CodeProblem("sum", "1 2 ||| 3", 1, tests=(IOTest("1 2", "3"), IOTest("5 5", "10")), inputs=("1 2", "5 5"))
    add = "print(sum(map(int, input().split())))\n"
    [v] = task.judge([double_sum], [[_block(add), _block("print(3)\n"), _block(add)]], min_majority=2)
    assert v.correct == (True, False, True) and v.majority_correct is True


def test_programs_run_under_the_tasks_limits_on_a_shared_executor():
    """An executor made elsewhere (the tests share one, with the sandbox's own defaults) still
    runs the task's programs under ``task.sandbox``'s limits."""
    seen = []

    class Recorder:
        def run_many(self, programs, limits=None):
            seen.append(limits)
            return []

    task = _task("code_io", Recorder())
    task.executor.run_many([])
    assert seen == [SandboxSettings(wall_s=2.0, cpu_s=1.0).limits()]


def test_code_task_settings_are_checked():
    with pytest.raises(ValueError, match="task.sandbox.executor"):
        make_task(TaskConfig(name="code", topics=["stdin_program"], sandbox=SandboxSettings(executor="docker")))
    with pytest.raises(ValueError, match="task.topics"):
        make_task(TaskConfig(name="code", topics=["add"]))
