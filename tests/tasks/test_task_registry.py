"""The registry builds every task from its preset, and every experiment preset composes
into a valid typed config with the settings its docs promise."""

import pytest

from selfplay.config import TaskConfig
from selfplay.tasks import TASKS, make_task
from testkit.hydra import compose_config


def compose_experiment(name: str, *overrides: str):
    return compose_config(f"experiment={name}", *overrides)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_builds_with_a_topic_prompt_and_eval_set(name):
    cfg = compose_config(f"task={name}").task
    task = make_task(cfg)
    assert task.name == name and task.topics
    assert all(task.proposer_prompt(t) for t in task.topics)
    assert task.eval_problems()


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="unknown task"):
        make_task(TaskConfig(name="nope"))
    with pytest.raises(ValueError, match="task.topics"):
        make_task(TaskConfig(name="multiply", topics=["add"]))
    with pytest.raises(ValueError, match="task.eval_levels"):
        make_task(TaskConfig(name="linear_equations", topics=[], eval_levels=[4]))


@pytest.mark.parametrize("task", ["multiply", "linear_equations"])
def test_sqlm_presets_carry_the_published_settings(task):
    cfg = compose_experiment(f"sqlm_{task}")
    assert (cfg.model.name, cfg.task.name) == ("qwen2.5-3b-instruct", task)
    sp = cfg.selfplay
    assert (sp.proposals_per_topic, sp.attempts_per_problem, sp.proposer_update_every, sp.topics_per_step) == (4, 4, 5, 64)
    assert sp.shared_policy and sp.temperature == 1.0
    algo = cfg.algo
    assert algo.lr == 1e-6 and algo.lr_warmup_steps == 0 and algo.use_kl_loss and not algo.use_kl_in_reward
    assert (algo.kl_loss_coef, algo.kl_loss_type, algo.loss_agg_mode) == (0.001, "k3", "token-mean")
    assert cfg.curriculum.reward == "band" and cfg.task.answer_format == "auto"


@pytest.mark.parametrize("task", ["multiply", "linear_equations"])
def test_cpu_presets_update_both_roles_within_three_steps(task):
    cfg = compose_experiment(f"cpu_smollm2_{task}")
    assert (cfg.model.name, cfg.task.name) == ("smollm2-135m", task)
    assert cfg.model.path.startswith("pkg://") and cfg.model.chat_template
    assert cfg.steps >= 3 and 1 <= cfg.selfplay.proposer_update_every <= 3
    assert cfg.selfplay.solver_update_every == 1 and cfg.algo.lr_warmup_steps == 0
    assert (cfg.algo.lr, cfg.algo.kl_loss_coef) == (1e-6, 0.001)  # SQLM's, not the toy model's
    assert set(make_task(cfg.task).topics) == set(cfg.task.topics)


def test_lora_is_configured_under_model():
    cfg = compose_experiment("cpu_smollm2_multiply", "model.lora.enabled=true", "model.lora.r=4")
    assert cfg.model.lora.enabled and cfg.model.lora.r == 4 and cfg.model.lora.dropout == 0.0
