"""One in-process step of the ``code`` and ``code_io`` tasks with scripted policies: the
proposer's tests become the solver's rewards through the sandbox, the mean score the
proposer's, and the rollouts carry tests and per-test results."""

from __future__ import annotations

import pytest

from selfplay.actors import Actors, ControllerClient, PolicyClient, local_transport
from selfplay.config import Config, CurriculumConfig, SelfPlayConfig, TaskConfig
from selfplay.curriculum.controller import CurriculumController
from selfplay.messages import Generation, TrainResult
from selfplay.sources import make_sources
from selfplay.step import run_step
from selfplay.tasks import make_task
from selfplay.inspect.cli import main as inspect_main
from selfplay.tasks.code_sandbox import LazyExecutor, SandboxSettings
from selfplay.tracking.rollouts import write_rollouts

TESTS = "1 ||| 2\n2 ||| 4\n3 ||| 6\n10 ||| 20\n-4 ||| -8"
PROPOSALS = {
    "code": ["Problem: Read n, print 2n.\nTests:\n" + TESTS, "Problem: broken\nTests:\n1 ||| 2"],
    "code_io": ["Problem: Read n, print 2n.\nInputs:\n1\n2\n3\n10\n-4", "Problem: broken\nInputs:\n1"],
}
PROGRAMS = ["print(2 * int(input()))", "n = int(input())\nprint(2 * n if n != 10 else 0)", "print(2 * int(input()))",
            "nothing"]


def _block(src):
    return src if src == "nothing" else f"```python\n{src}\n```"


class Scripted:
    def __init__(self, proposals):
        self.proposals = proposals

    def generate(self, prompts, params):
        texts = self.proposals if params.n == len(self.proposals) else [_block(p) for p in PROGRAMS]
        return [[Generation([1], [2] * (k + 1), t, True) for k, t in enumerate(texts)] for _ in prompts]

    def train(self, samples, temperature):
        return TrainResult({"loss": 0.0}, [s.reward for s in samples])


@pytest.mark.parametrize("name", ["code", "code_io"])
def test_a_code_step(name, sandbox_executor, tmp_path, capsys):
    cfg = Config(
        task=TaskConfig(name=name, topics=["stdin_program"], sandbox=SandboxSettings(wall_s=2.0, cpu_s=1.0)),
        curriculum=CurriculumConfig(reward="band"),
        selfplay=SelfPlayConfig(topics_per_step=1, proposals_per_topic=2, attempts_per_problem=4,
                                proposer_update_every=1, shared_policy=False),
    )
    task = make_task(cfg.task)
    task.executor = LazyExecutor(task.sandbox, sandbox_executor)
    policy = PolicyClient(Scripted(PROPOSALS[name]), local_transport)
    controller = ControllerClient(CurriculumController(cfg.curriculum, task.topics, 4, seed=0), local_transport)
    out = run_step(1, cfg, task, Actors(proposer=policy, solver=policy, controller=controller), make_sources(cfg, task))
    proposer = [r for r in out.records if r.role == "proposer"]
    solver = [r for r in out.records if r.role == "solver"]
    assert [r.valid for r in proposer] == [True, False] and len(solver) == 4
    if name == "code":
        assert [r.reward for r in solver] == [1.0, 0.8, 1.0, 0.0]
        assert proposer[0].agreement == pytest.approx(0.7) and proposer[0].reward == 1.0  # 0 < mean < 1
        assert proposer[0].details == TESTS and proposer[0].label == TESTS
        assert "test 4: wrong output" in solver[1].details
    else:
        assert [r.reward for r in solver] == [1.0, 0.0, 1.0, 0.0]  # the majority cluster: programs 1 and 3
        assert proposer[0].agreement == 0.5 and proposer[0].reward == 1.0  # 2 of 4 agree: SQLM's band
        assert proposer[0].details == "1\n2\n3\n10\n-4" and proposer[0].majority_answer.startswith("1 ||| 2\n")
        assert solver[1].details.startswith("cluster 1")
    assert proposer[1].reward == cfg.curriculum.format_penalty and proposer[1].invalid_reason.startswith(
        "tests:" if name == "code" else "inputs:")
    assert solver[0].parsed == "print(2 * int(input()))\n" and solver[3].parsed is None
    assert out.metrics["train/solver/reward_mean"] == pytest.approx(sum(r.reward for r in solver) / 4)

    # The rollouts render readably: the problem's tests, each program and its results as blocks.
    write_rollouts(tmp_path, 1, out.records)
    assert inspect_main(["rollouts", str(tmp_path), "--show"]) == 0
    shown = capsys.readouterr().out
    assert "tests / inputs:\n    1 ||| 2\n" in shown or "tests / inputs:\n    1\n    2\n" in shown
    assert "    program:\n        print(2 * int(input()))\n" in shown
    assert ("    results:\n        test 1: passed\n" if name == "code" else "    results:\n        cluster 0\n") in shown
