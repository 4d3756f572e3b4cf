"""Problem sources and label sources (selfplay/sources/), in process: what each hands the step,
that the step's records say where each problem came from, that their state resumes, and that
oracle labels cannot be switched on by accident."""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
import sys

import pytest
from testkit.hydra import REPO, compose_config

from selfplay import config_guard, run_state
from selfplay.actors import Actors, ControllerClient, PolicyClient, local_transport
from selfplay.config import Config, CurriculumConfig, LabelsConfig, ProblemSourceConfig, SelfPlayConfig, TaskConfig
from selfplay.curriculum.controller import CurriculumController
from selfplay.messages import Generation, TrainResult
from selfplay.sources import LABEL_SOURCES, PROBLEM_SOURCES, make_sources
from selfplay.step import run_step
from selfplay.tasks import make_task
from selfplay.toyworld import arithmetic
from selfplay.tracking.metrics import MetricsLog, read_metrics
from selfplay.tracking.rollouts import write_rollouts

N = 4


def ids(text: str) -> list[int]:
    return [ord(c) for c in text]


class AnsweringPolicy:
    """Proposes ``1+1`` .. and answers ``a+b=`` prompts: right for the first ``right`` of
    its samples, ``wrong`` for the rest."""

    def __init__(self, right: int, wrong: str = "0"):
        self.right, self.wrong = right, wrong
        self.generated: list[list[str]] = []
        self.trained = 0

    def generate(self, prompts, params):
        self.generated.append(list(prompts))
        out = []
        for prompt in prompts:
            if prompt.endswith("="):
                truth = str(arithmetic.parse_problem(prompt[:-1]).answer)
                texts = [f"<answer>{truth if j < self.right else self.wrong}</answer>" for j in range(params.n)]
            else:
                texts = [f"{j + 1}+{j + 2}" for j in range(params.n)]
            out.append([Generation(ids(prompt), ids(t), t, True) for t in texts])
        return out

    def train(self, samples, temperature):
        self.trained += 1
        return TrainResult({"loss": 0.0}, [0.0] * len(samples))


def make(problem_source=None, labels=None, solver_right=3, teacher=None, shared_policy=False):
    cfg = Config(
        task=TaskConfig(topics=["add", "mul"], eval_per_level=8),
        curriculum=CurriculumConfig(reward="band"),
        problem_source=problem_source or ProblemSourceConfig(),
        labels=labels or LabelsConfig(),
        selfplay=SelfPlayConfig(topics_per_step=2, proposals_per_topic=3, attempts_per_problem=N,
                                proposer_update_every=1, shared_policy=shared_policy),
    )
    solver = AnsweringPolicy(solver_right)
    proposer = teacher or AnsweringPolicy(N)
    controller = CurriculumController(cfg.curriculum, ["add", "mul"], N, seed=0)
    actors = Actors(
        proposer=PolicyClient(proposer, local_transport),
        solver=PolicyClient(solver, local_transport),
        controller=ControllerClient(controller, local_transport),
    )
    task = make_task(cfg.task)
    return cfg, task, actors, proposer, solver


def test_the_registries_name_every_source():
    assert PROBLEM_SOURCES.names() == ("selfplay", "fixed", "scripted", "replay")
    assert LABEL_SOURCES.names() == ("majority", "teacher", "oracle")


# -- problem sources ------------------------------------------------------------------------
def test_scripted_source_draws_only_its_levels_never_a_held_out_problem_and_trains_no_proposer():
    cfg, task, actors, proposer, solver = make(ProblemSourceConfig(name="scripted", levels=[3]))
    sources = make_sources(cfg, task)
    out = run_step(1, cfg, task, actors, sources)
    problems = [r for r in out.records if r.role == "proposer"]
    assert len(problems) == 6 and {r.level for r in problems} == {3} and {r.source for r in out.records} == {"scripted"}
    assert not set(r.parsed for r in problems) & {p.text for p in task.eval_problems()}
    assert proposer.generated == [] and proposer.trained == 0  # no model proposed, none learned
    assert all(not r.trained and r.prompt == "" and r.completion_tokens == 0 for r in problems)
    assert out.metrics["curriculum/level_3_share"] == 1.0
    assert out.metrics["train/proposer/response_length"] != out.metrics["train/proposer/response_length"]  # NaN


def test_a_scripted_mix_follows_its_weights():
    cfg, task, *_ = make(ProblemSourceConfig(name="scripted", levels=[1, 4], weights=[0.25, 0.75]))
    src = make_sources(cfg, task).problems
    levels = [p.parsed.problem.level for _ in range(100) for p in src.propose(1, None)]
    assert set(levels) == {1, 4} and 0.65 < levels.count(4) / len(levels) < 0.85


def test_scripted_state_resumes_the_same_draws():
    cfg, task, *_ = make(ProblemSourceConfig(name="scripted", levels=[2, 3]))
    a = make_sources(cfg, task)
    a.problems.propose(1, None)
    saved = a.state_dict()
    expected = [p.completion for p in a.problems.propose(2, None)]
    b = make_sources(cfg, task)
    b.load_state_dict(saved)
    assert [p.completion for p in b.problems.propose(2, None)] == expected


def test_a_level_the_task_cannot_generate_is_refused_before_any_work():
    cfg, task, *_ = make(ProblemSourceConfig(name="scripted", levels=[5]))
    with pytest.raises(ValueError, match=r"level\(s\) \[5\]"):
        make_sources(cfg, task)
    cfg, task, *_ = make(ProblemSourceConfig(name="scripted", levels=[2]))
    task.topics = ["mul"]  # no two-digit x one-digit level-2 products: level 2 is additions only
    with pytest.raises(ValueError, match=r"level\(s\) \[2\] with operators \['\*'\]"):
        make_sources(cfg, task)


@pytest.mark.parametrize("name", ["multiply", "linear_equations"])
def test_free_text_tasks_generate_problems_their_parser_accepts(name):
    task = make_task(TaskConfig(name=name, topics=[], answer_format="auto", equivalence="numeric"))
    problems = task.sample_problems(random.Random(0), 24, {1: 1.0, 2: 1.0})
    assert {p.level for p in problems} == {1, 2} and all(p.ground_truth for p in problems)
    for p in problems:
        parsed = task.parse_proposal(p.text).problem
        assert parsed is not None and parsed.text == p.text
        assert parsed.ground_truth in (None, p.ground_truth)  # a word problem's the parser cannot compute


def test_fixed_source_generates_like_selfplay_but_never_trains_the_proposer():
    for name, trains in (("selfplay", 1), ("fixed", 0)):
        cfg, task, actors, proposer, solver = make(ProblemSourceConfig(name=name))
        out = run_step(1, cfg, task, actors, make_sources(cfg, task))
        assert proposer.trained == trains and len(proposer.generated) == 1
        assert {r.source for r in out.records} == {name}


class CountingPolicy(AnsweringPolicy):
    """Also records how many samples each update got."""

    def __init__(self, right: int):
        super().__init__(right)
        self.batches: list[int] = []

    def train(self, samples, temperature):
        self.batches.append(len(samples))
        return TrainResult({"loss": 0.0}, [0.5] * len(samples))


def test_a_fresh_share_mixes_generator_groups_in_and_the_proposer_learns_only_from_its_own():
    proposer = CountingPolicy(N)
    # 2 topic groups a step, share 0.5: one written by the proposer, one fresh from the generator.
    cfg, task, actors, *_ = make(ProblemSourceConfig(fresh_share=0.5), teacher=proposer)
    sources = make_sources(cfg, task)
    out = run_step(1, cfg, task, actors, sources)
    rows = [r for r in out.records if r.role == "proposer"]
    own, fresh = [r for r in rows if r.source == "selfplay"], [r for r in rows if r.source == "fresh"]
    assert len(own) == len(fresh) == 3 and len(proposer.generated[0]) == 1  # one topic prompt generated
    assert {r.group_id for r in own} == {"s1-t0"} and {r.group_id for r in fresh} == {"s1-t1"}
    assert proposer.batches == [3]  # its update saw only its own group
    assert all(r.trained and r.advantage == 0.5 for r in own)
    assert all(not r.trained and r.advantage != r.advantage and r.completion_tokens == 0 for r in fresh)
    assert not {r.parsed for r in fresh} & {p.text for p in task.eval_problems()}
    assert {r.source for r in out.records if r.role == "solver"} == {"selfplay", "fresh"}  # both labelled, trained on
    assert sources.metric_tags() == {}  # still the selfplay source; the config records the share


def test_a_fresh_share_draws_all_levels_and_resumes_the_same_draws():
    cfg, task, *_ = make(ProblemSourceConfig(fresh_share=0.5))
    src = make_sources(cfg, task).problems
    levels = {p.parsed.problem.level for _ in range(40) for p in src.fresh.propose(1, None)}
    assert levels == {1, 2, 3, 4}
    a = make_sources(cfg, task)
    a.problems.fresh.propose(1, None)
    saved = a.state_dict()
    expected = [p.completion for p in a.problems.fresh.propose(2, None)]
    b = make_sources(cfg, task)
    b.load_state_dict(saved)
    assert [p.completion for p in b.problems.fresh.propose(2, None)] == expected


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        (["problem_source=scripted", "problem_source.fresh_share=0.25"], "only problem_source=selfplay reads it"),
        (["problem_source.fresh_share=1.0"], r"must be in \[0, 1\)"),
        (["problem_source.fresh_share=-0.1"], r"must be in \[0, 1\)"),
        (["problem_source.fresh_share=0.01"], "gives 0 of selfplay.topics_per_step=32 groups"),
        (["problem_source.fresh_share=0.99"], "gives 32 of selfplay.topics_per_step=32 groups"),
    ],
)
def test_a_bad_fresh_share_is_refused_before_any_work(overrides, match):
    with pytest.raises(ValueError, match=match):
        compose_config(*overrides)


def test_a_good_fresh_share_is_accepted():
    assert compose_config("problem_source.fresh_share=0.25").problem_source.fresh_share == 0.25


def _saved_run(tmp_path, task_name="toy_arithmetic"):
    """A run directory whose rollouts hold proposals of steps 1-3 (one invalid per step)."""
    cfg, task, actors, *_ = make()
    sources = make_sources(cfg, task)
    run = tmp_path / "saved"
    for step in (1, 2, 3):
        out = run_step(step, cfg, task, actors, sources)
        for r in out.records:
            if r.role == "proposer":
                r.completion = r.parsed = f"{step}{r.sample_idx}+{r.group_id[-1]}"
        out.records[0].valid, out.records[0].completion = False, "junk"
        write_rollouts(run, step, out.records)
    (run / ".hydra").mkdir()
    (run / ".hydra" / "config.yaml").write_text(f"task:\n  name: {task_name}\n")
    return run


def test_replay_hands_out_another_runs_valid_problems_in_order_then_starts_over(tmp_path):
    run = _saved_run(tmp_path)
    cfg, task, actors, *_ = make(ProblemSourceConfig(name="replay", run_dir=str(run), first_step=2, last_step=3))
    sources = make_sources(cfg, task)
    def valid(step):  # proposals in their order; the first of each step was made invalid
        return [f"{step}{j}+{t}" for t in (0, 1) for j in range(3)][1:]

    pool = valid(2) + valid(3)
    first = [p.completion for p in sources.problems.propose(1, actors)]
    second = [p.completion for p in sources.problems.propose(2, actors)]
    assert first + second == (pool + pool)[:12]  # 10 valid problems, 6 a step: the second step wraps
    out = run_step(3, cfg, task, actors, sources)
    assert {r.source for r in out.records} == {"replay"} and all(r.valid for r in out.records if r.role == "proposer")
    # A checkpoint's position resumes it; a replayed set that changed since is refused.
    state = sources.state_dict()
    again = make_sources(cfg, task)
    again.load_state_dict(state)
    resumed = [p.completion for p in again.problems.propose(4, actors)]
    assert resumed == [p.completion for p in sources.problems.propose(4, actors)]
    whole_run = ProblemSourceConfig(name="replay", run_dir=str(run))  # all its steps: another set
    other = make_sources(dataclasses.replace(cfg, problem_source=whole_run), task)
    with pytest.raises(ValueError, match="differ from the ones this run's checkpoint replayed"):
        other.load_state_dict(state)


def test_replay_refuses_a_missing_empty_or_foreign_run_before_any_work(tmp_path):
    for run_dir, first, match in [
        (tmp_path / "nowhere", None, "not a directory"),
        (_saved_run(tmp_path), 7, "no valid proposals in steps 7..last"),
    ]:
        cfg, task, *_ = make(ProblemSourceConfig(name="replay", run_dir=str(run_dir), first_step=first))
        with pytest.raises(ValueError, match=match):
            make_sources(cfg, task)
    foreign = _saved_run(tmp_path / "b", task_name="multiply")
    cfg, task, *_ = make(ProblemSourceConfig(name="replay", run_dir=str(foreign)))
    with pytest.raises(ValueError, match="its problems are for task 'multiply'"):
        make_sources(cfg, task)


# -- label sources --------------------------------------------------------------------------
def _solver_rewards(out):
    return [r.reward for r in out.records if r.role == "solver"]


def test_majority_labels_reward_agreement_with_the_solvers_own_vote():
    cfg, task, actors, *_ = make(solver_right=1)  # one right answer, three agreeing wrong ones
    out = run_step(1, cfg, task, actors, make_sources(cfg, task))
    assert _solver_rewards(out) == [0.0, 1.0, 1.0, 1.0] * 6
    assert {r.label for r in out.records if r.role == "solver"} == {"0"}
    assert out.metrics["curriculum/label_accuracy"] == 0.0 and out.metrics["curriculum/labeled_fraction"] == 1.0


def test_oracle_labels_reward_the_ground_truth():
    cfg, task, actors, *_ = make(labels=LabelsConfig(name="oracle", allow_oracle=True), solver_right=1)
    sources = make_sources(cfg, task)
    out = run_step(1, cfg, task, actors, sources)
    assert _solver_rewards(out) == [1.0, 0.0, 0.0, 0.0] * 6
    assert out.metrics["curriculum/label_accuracy"] == 1.0
    assert sources.metric_tags() == {"labels/source_oracle": 1.0}


def test_teacher_labels_are_the_proposer_models_majority():
    teacher = AnsweringPolicy(right=3, wrong="7")  # its majority is the truth
    cfg, task, actors, *_ = make(labels=LabelsConfig(name="teacher", samples=3), solver_right=1, teacher=teacher)
    out = run_step(1, cfg, task, actors, make_sources(cfg, task))
    asked = teacher.generated[-1]
    assert len(asked) == 6 and all(p.endswith("=") for p in asked)  # the teacher answered every valid problem
    assert _solver_rewards(out) == [1.0, 0.0, 0.0, 0.0] * 6
    assert out.metrics["labels/teacher_agreement_mean"] == 1.0 and out.metrics["curriculum/label_accuracy"] == 1.0


def test_oracle_labels_are_refused_without_the_flag_with_a_clear_message():
    with pytest.raises(ValueError, match=r"labels='oracle'.*ground truth.*labels.allow_oracle=true"):
        compose_config("labels=oracle")
    assert compose_config("labels=oracle", "labels.allow_oracle=true").labels.name == "oracle"
    cfg, task, *_ = make(LabelsConfig(name="oracle"))  # not validated: the source refuses on its own too
    cfg.labels, cfg.problem_source = cfg.problem_source, ProblemSourceConfig()
    with pytest.raises(ValueError, match="allow_oracle"):
        make_sources(cfg, task)


@pytest.mark.slow
def test_the_app_refuses_oracle_labels_before_any_work(tmp_path):
    env = {"SELFPLAY_CACHE": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "selfplay", f"hydra.run.dir={tmp_path / 'run'}", "labels=oracle"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "labels.allow_oracle=true" in proc.stderr
    assert not (tmp_path / "cache").exists() and not (tmp_path / "run" / "metrics.jsonl").exists()


def test_tags_go_into_every_metrics_row(tmp_path):
    log = MetricsLog(tmp_path, keep_upto=-1, mirrors=[], tags={"labels/source_oracle": 1.0})
    log.log(0, {"eval/solver_pass@1": 0.5})
    log.log(1, {"train/solver/loss": 0.1})
    assert [r["labels/source_oracle"] for r in read_metrics(log.path)] == [1.0, 1.0]


def test_the_default_sources_add_no_metrics_and_hold_no_state():
    cfg, task, *_ = make()
    sources = make_sources(cfg, task)
    assert sources.metric_tags() == {} and sources.state_dict() == {"problems": {}}


# -- config -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        (["proposer_model=toy_strong"], "needs selfplay.shared_policy=false"),
        (["problem_source=fixed"], "needs selfplay.shared_policy=false"),
        (["problem_source.levels=[3]"], "only problem_source=scripted reads it"),
        (["problem_source=scripted", "problem_source.levels=[1,4]", "problem_source.weights=[1]"],
         "one weight per level"),
        (["problem_source=replay"], "needs the run directory"),
        (["problem_source.run_dir=/x"], "only problem_source=replay reads it"),
        (["labels.samples=3"], "only labels=teacher reads it"),
        (["problem_source.name=nope"], "unknown problem source"),
        (["labels=teacher", "labels.name=nope"], "unknown label source"),
    ],
)
def test_bad_source_and_role_configs_are_refused(overrides, match):
    with pytest.raises(ValueError, match=match):
        compose_config(*overrides)


def test_a_stronger_proposer_is_a_separate_model_and_changing_it_on_resume_is_refused():
    cfg = compose_config("proposer_model=toy_strong", "selfplay.shared_policy=false")
    assert cfg.proposer_model.toyworld.hidden_size > cfg.model.toyworld.hidden_size
    assert cfg.proposer_model.toyworld.key() != cfg.model.toyworld.key()  # its own build and cache folder
    same = compose_config("selfplay.shared_policy=false")
    with pytest.raises(config_guard.ConfigChangedError, match="proposer_model"):
        config_guard.check(run_state.config_dict(same), run_state.config_dict(cfg), allow=False, where="ckpt",
                           defaults=run_state.config_dict(Config()))
    # A checkpoint from before these options holds none of them: their defaults are no change.
    old = json.loads(json.dumps(run_state.config_dict(same)))
    for key in ("proposer_model", "problem_source", "labels"):
        del old[key]
    assert config_guard.check(old, run_state.config_dict(same), allow=False, where="ckpt",
                              defaults=run_state.config_dict(Config())) == []
