"""``run_step`` in process, with scripted policies in place of the Ray workers: the wiring of
one step (who gets which prompts, which rewards, which advantages) checked sample by sample."""

from __future__ import annotations

import inspect

import pytest

from agents.policy_worker import PolicyWorker
from selfplay.actors import Actors, ControllerClient, PolicyClient, local_transport
from selfplay.config import Config, CurriculumConfig, SelfPlayConfig, TaskConfig
from selfplay.curriculum.controller import CurriculumController
from selfplay.messages import Generation, TrainResult, TrainSample
from selfplay.sources import make_sources
from selfplay.step import run_step
from selfplay.tasks import make_task

N = 4
# Proposals per step, one list per topic prompt (G = 3): two invalid ones among them.
PROPOSALS = [["12+34", "hello", "3*4"], ["5+5", "7*8", "nope!"]]
# Solver answers per problem prompt (N = 4) and the rewards majority vote must give them.
ANSWERS = {
    "12+34=": (["46", "46", "46", "45"], [1, 1, 1, 0]),  # 3 of 4 agree: a label
    "3*4=": (["1", "2", "3", "4"], [0, 0, 0, 0]),  # no two agree: no label
    "5+5=": (["10", "10", "11", "11"], [0, 0, 0, 0]),  # a tie: no label
    "7*8=": (["56", "56", "56", "56"], [1, 1, 1, 1]),  # unanimous
}


def ids(text: str) -> list[int]:
    return [ord(c) for c in text]


def code(prompt_ids: list[int], completion_ids: list[int]) -> float:
    """A number only this (prompt, completion) pair gets: the fake trainer's "advantage"."""
    return float(sum((i + 1) * t for i, t in enumerate(prompt_ids + [0] + completion_ids)) % 100003)


class ScriptedPolicy:
    def __init__(self):
        self.generated: list[list[str]] = []
        self.trained: list[list[TrainSample]] = []

    def generate(self, prompts, params):
        self.generated.append(list(prompts))
        out = []
        for k, prompt in enumerate(prompts):
            if prompt in ANSWERS:
                texts = [f"<answer>{a}</answer>" for a in ANSWERS[prompt][0]]
            else:
                texts = PROPOSALS[k]
            assert len(texts) == params.n
            out.append([Generation(ids(prompt), ids(t), t, True) for t in texts])
        return out

    def train(self, samples, temperature):
        self.trained.append(list(samples))
        return TrainResult({"loss": 0.0}, [code(s.prompt_ids, s.completion_ids) for s in samples])


def make(proposer_update_every: int = 2):
    cfg = Config(
        task=TaskConfig(topics=["add"]),
        curriculum=CurriculumConfig(reward="band"),
        selfplay=SelfPlayConfig(topics_per_step=2, proposals_per_topic=3, attempts_per_problem=N,
                                proposer_update_every=proposer_update_every, shared_policy=False),
    )
    proposer, solver = ScriptedPolicy(), ScriptedPolicy()
    controller = CurriculumController(cfg.curriculum, ["add"], N, seed=0)
    actors = Actors(
        proposer=PolicyClient(proposer, local_transport),
        solver=PolicyClient(solver, local_transport),
        controller=ControllerClient(controller, local_transport),
    )
    return cfg, make_task(cfg.task), actors, proposer, solver


def test_solver_rewards_are_majority_agreement_and_invalid_proposals_never_reach_the_solver():
    cfg, task, actors, proposer, solver = make()
    out = run_step(1, cfg, task, actors, make_sources(cfg, task))
    assert sorted(solver.generated[0]) == sorted(ANSWERS)  # "hello" and "nope!" were not asked
    sol = [r for r in out.records if r.role == "solver"]
    by_prompt: dict[str, list[float]] = {}
    for r in sorted(sol, key=lambda r: (r.prompt, r.sample_idx)):
        by_prompt.setdefault(r.prompt, []).append(r.reward)
    assert by_prompt == {p: [float(x) for x in rewards] for p, (_, rewards) in ANSWERS.items()}
    # ... and the solver trained on exactly those rewards.
    assert sorted((bytes(s.prompt_ids).decode(), s.reward) for s in solver.trained[0]) == sorted(
        (p, float(x)) for p, (_, rewards) in ANSWERS.items() for x in rewards
    )
    prop = {r.parsed or r.completion: r for r in out.records if r.role == "proposer"}
    assert prop["hello"].reward == prop["nope!"].reward == cfg.curriculum.format_penalty
    assert not prop["hello"].valid and prop["12+34"].valid
    # SQLM's band with N=4: 2 or 3 agreeing answers pay the proposer.
    assert (prop["12+34"].reward, prop["3*4"].reward, prop["5+5"].reward, prop["7*8"].reward) == (1.0, 0.0, 1.0, 0.0)
    assert out.metrics["curriculum/valid_fraction"] == pytest.approx(4 / 6)
    assert out.metrics["train/solver/reward_mean"] == pytest.approx(7 / 16)


def test_advantages_map_back_to_their_own_samples():
    cfg, task, actors, proposer, solver = make(proposer_update_every=1)
    out = run_step(1, cfg, task, actors, make_sources(cfg, task))
    assert solver.trained and proposer.trained
    for r in out.records:
        assert r.trained
        assert r.advantage == code(ids(r.prompt), ids(r.completion)), (r.role, r.prompt, r.completion)


def test_the_proposer_trains_exactly_on_its_due_steps():
    cfg, task, actors, proposer, solver = make(proposer_update_every=3)
    trained_at = []
    sources = make_sources(cfg, task)
    for step in range(1, 8):
        before = len(proposer.trained)
        out = run_step(step, cfg, task, actors, sources)
        if len(proposer.trained) > before:
            trained_at.append(step)
            assert len(proposer.trained[-1]) == 6  # every proposal, invalid ones included
        assert all(r.trained == (step % 3 == 0) for r in out.records if r.role == "proposer")
    assert trained_at == [3, 6]
    assert len(solver.trained) == 7


@pytest.mark.parametrize("client", [PolicyClient, ControllerClient])
def test_every_client_method_calls_a_worker_method_of_the_same_signature(client):
    worker = PolicyWorker if client is PolicyClient else CurriculumController
    calls = []
    recorder = client(object(), lambda handle, method, args: calls.append((method, args)))
    for name, method in inspect.getmembers(client, inspect.isfunction):
        if name.startswith("_"):
            continue
        params = list(inspect.signature(method).parameters)[1:]
        getattr(recorder, name)(*params)
        assert calls[-1] == (name, tuple(params)), name
        assert list(inspect.signature(getattr(worker, name)).parameters)[1:] == params, name
