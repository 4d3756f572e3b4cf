"""What the driver gets from the instruments at an evaluation: names, the step-0 skill set kept
across evaluations (and checkpoints), scripted workers in place of the Ray ones."""

import pytest

from selfplay.actors import Actors, ControllerClient, PolicyClient, local_transport
from selfplay.config import Config, TaskConfig
from selfplay.evaluation import Evaluation
from selfplay.instruments.recorder import Instruments
from selfplay.messages import ProbeResult
from selfplay.tasks import Problem, make_task


class ScriptedProbe:
    def __init__(self, samples):
        self.requests, self.samples = [], samples

    def probe(self, request):
        self.requests.append(request)
        first = len(self.requests) <= 2
        return ProbeResult(0.5, None if first else 0.25, 0.1, None if first else 0.2, 10, [], self.samples)


def evaluation(correct):
    problems = [Problem("1+2", "3", 1), Problem("12+34", "46", 3), Problem("3*4", "12", 1)]
    greedy = [("3" if ok else "2") for ok in correct]
    return Evaluation({}, problems, greedy, correct, [["3", "3"], ["46", "45"], ["12", None]])


def test_eval_metrics_and_the_step0_skill_set():
    cfg = Config(task=TaskConfig(eval_per_level=4))
    cfg.instruments.probe_prompts = 6
    task = make_task(cfg.task)
    worker = ScriptedProbe([["1+2", "1+2", "hello"], ["12*34", "3*4", "5*6"]])
    actors = Actors(PolicyClient(worker, local_transport), PolicyClient(worker, local_transport), ControllerClient(None, local_transport))
    ins = Instruments(cfg, task)
    m0 = ins.at_eval(0, evaluation([True, False, True]), actors)
    assert [r.name for r in worker.requests] == ["solver", "proposer"]
    held_out = [task.solver_prompt(p) for p in task.eval_problems()]
    assert len(worker.requests[0].prompts) == 6 and set(worker.requests[0].prompts) <= set(held_out)  # of 16
    assert worker.requests[1].prompts == ["add:", "mul:"] and worker.requests[1].ref_samples == 16
    assert m0["skills/base_solved_accuracy"] == 1.0
    assert m0["drift/solver/kl_to_base"] == 0.5 and "drift/solver/kl_to_prev" not in m0
    assert m0["diversity/eval/proposer/valid_fraction"] == pytest.approx(5 / 6)
    assert m0["diversity/eval/proposer/distinct_problems"] == 4
    assert m0["diversity/eval/proposer/rare_share"] == pytest.approx(1 / 5)  # 12*34 is level 4
    assert m0["diversity/eval/solver/answer_entropy"] == pytest.approx(2 / 3)
    assert "skills/copied_operand_fraction" in m0 and "skills/top_answer_share" in m0

    # A later evaluation (after a resume: the state went through a checkpoint).
    state = ins.state_dict()
    again = Instruments(cfg, task)
    again.load_state_dict(state)
    m1 = again.at_eval(5, evaluation([False, True, True]), actors)
    assert m1["skills/base_solved_accuracy"] == 0.5  # problems 0 and 2 were the base's; 0 is lost
    assert m1["drift/solver/kl_to_prev"] == 0.25 and m1["drift/proposer/changed_vs_prev"] == 0.2


def test_probe_prompts_zero_takes_every_held_out_problem_and_disabled_measures_nothing():
    cfg = Config(task=TaskConfig(eval_per_level=4))
    cfg.instruments.probe_prompts = 0
    task = make_task(cfg.task)
    assert len(Instruments(cfg, task).requests["solver"].prompts) == 16
    cfg.instruments.enabled = False
    off = Instruments(cfg, task)
    assert off.after_step([]) == {} and off.at_eval(0, evaluation([True] * 3), None) == {}
