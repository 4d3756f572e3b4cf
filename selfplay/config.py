"""Typed schema of an experiment, registered in Hydra's ConfigStore.

``conf/config.yaml`` starts from ``base_config`` (the ``Config`` dataclass below), so every
override and group option is type-checked by OmegaConf on load, and ``validate`` checks the
relations between values before any actor starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from agents.lora import LoraConfig
from selfplay.curriculum.rewards import REWARDS
from selfplay.instruments.config import InstrumentsConfig
from selfplay.rl.config import AlgoConfig
from selfplay.tasks import TASKS
from selfplay.toyworld.build import ToyWorldConfig


@dataclass
class ModelConfig:
    name: str = "toy"
    # HF hub id or local folder. None with ``toyworld`` set: the toy world's base model is built.
    path: Optional[str] = None
    gguf_file: Optional[str] = None
    toyworld: Optional[ToyWorldConfig] = None
    chat_template: bool = False  # wrap prompts in the tokenizer's chat template
    dtype: str = "float32"
    device: str = "cpu"
    lora: LoraConfig = field(default_factory=LoraConfig)  # adapters only train when enabled


@dataclass
class TaskConfig:
    name: str = "toy_arithmetic"  # a name in selfplay/tasks/__init__.py's TASKS
    topics: list[str] = field(default_factory=lambda: ["add", "mul"])
    answer_format: str = "answer_tag"
    equivalence: str = "numeric"
    equivalence_timeout_s: float = 2.0  # bound on each math-verify comparison
    eval_seed: int = 1234
    eval_per_level: int = 64
    eval_levels: list[int] = field(default_factory=list)  # empty: all the task's levels (free-text tasks)
    max_proposal_tokens: int = 12
    max_answer_tokens: int = 8


@dataclass
class CurriculumConfig:
    # a name in selfplay/curriculum/rewards.py's REWARDS: band (SQLM) | uncertainty (R-Zero) |
    # learnability (Absolute Zero)
    reward: str = "band"
    # The frontier band, in counts of solver answers agreeing with the majority, both
    # exclusive: SQLM pays iff band_min_agree < count < band_max_agree (null: N).
    band_min_agree: int = 1
    band_max_agree: Optional[int] = None
    format_penalty: float = -1.0  # reward of an invalid proposal
    repetition_penalty: float = 0.0  # weight of the duplicate-cluster penalty (R-Zero)


@dataclass
class SelfPlayConfig:
    topics_per_step: int = 16  # topic prompts per step (the proposer's batch of groups)
    proposals_per_topic: int = 4  # G
    attempts_per_problem: int = 4  # N
    temperature: float = 1.0
    top_p: float = 1.0
    # A pseudo-label needs a unique largest cluster of at least this many agreeing answers.
    min_majority: int = 2
    solver_update_every: int = 1
    proposer_update_every: int = 5  # SQLM's best setting; 0 never updates the proposer
    shared_policy: bool = True  # one model plays both roles, as in SQLM


@dataclass
class ClusterConfig:
    address: Optional[str] = None  # null: start a local Ray; "auto" or "ray://host:port": connect
    num_cpus: Optional[int] = None  # CPUs given to a local Ray (null: all)
    worker_num_cpus: float = 1.0
    torch_threads: int = 2
    generation_batch_size: int = 512


@dataclass
class LoggingConfig:
    tensorboard: bool = True
    progress: bool = True
    # Mirror the metrics to Weights & Biases (the `wandb` extra). Offline, into the run
    # directory, unless WANDB_MODE or WANDB_API_KEY is set.
    wandb: bool = False
    wandb_project: str = "selfplay"


@dataclass
class Config:
    seed: int = 0
    steps: int = 40
    eval_every: int = 10  # 0 disables evaluation (except at step 0 and the end)
    eval_samples: int = 4  # samples per held-out problem for pass@1 and maj@N
    checkpoint_every: int = 20
    keep_checkpoints: int = 2
    resume: str = "auto"  # auto | never | <checkpoint path>
    # Resume even where the config differs from the checkpoint's in a result-changing key
    # (selfplay/config_guard.py).
    resume_allow_config_change: bool = False
    # A new phase: start from another run's weights (its directory: the latest intact checkpoint;
    # or a checkpoint folder), with a fresh optimizer, in a new run directory (selfplay/phases.py).
    init_from: Optional[str] = None
    init_reference: str = "base"  # the KL reference of a phase: base (model.path) | phase_start
    model: ModelConfig = field(default_factory=ModelConfig)
    task: TaskConfig = field(default_factory=TaskConfig)
    algo: AlgoConfig = field(default_factory=AlgoConfig)
    curriculum: CurriculumConfig = field(default_factory=CurriculumConfig)
    selfplay: SelfPlayConfig = field(default_factory=SelfPlayConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    instruments: InstrumentsConfig = field(default_factory=InstrumentsConfig)


def register() -> None:
    ConfigStore.instance().store(name="base_config", node=Config)


def to_config(cfg: DictConfig) -> Config:
    """The typed object of a Hydra config, validated."""
    obj = OmegaConf.to_object(cfg)
    assert isinstance(obj, Config)
    validate(obj)
    return obj


def validate(cfg: Config) -> None:
    def bad(key: str, value, why: str) -> None:
        raise ValueError(f"{key}={value!r}: {why}")

    cfg.algo.validate()
    sp = cfg.selfplay
    for key in ("topics_per_step", "proposals_per_topic", "attempts_per_problem"):
        if getattr(sp, key) < 1:
            bad(f"selfplay.{key}", getattr(sp, key), "must be >= 1")
    if not 1 <= sp.min_majority <= sp.attempts_per_problem:
        bad("selfplay.min_majority", sp.min_majority, "must be in [1, attempts_per_problem]")
    if sp.temperature <= 0:
        bad("selfplay.temperature", sp.temperature, "must be > 0 (training samples from the policy)")
    if sp.proposer_update_every < 0 or sp.solver_update_every < 0:
        bad("selfplay.*_update_every", (sp.proposer_update_every, sp.solver_update_every), "must be >= 0")
    TASKS.check(cfg.task.name, "task.name")
    cur = cfg.curriculum
    REWARDS.check(cur.reward, "curriculum.reward")
    hi = cur.band_max_agree if cur.band_max_agree is not None else sp.attempts_per_problem
    if not 0 <= cur.band_min_agree < hi <= sp.attempts_per_problem:
        bad("curriculum.band_*", (cur.band_min_agree, cur.band_max_agree), "need 0 <= min < max <= N")
    if cfg.steps < 0:
        bad("steps", cfg.steps, "must be >= 0")
    for key in ("eval_every", "checkpoint_every"):
        if getattr(cfg, key) < 0:
            bad(key, getattr(cfg, key), "must be >= 0 (0 disables)")
    if cfg.keep_checkpoints < 1:
        bad("keep_checkpoints", cfg.keep_checkpoints, "must be >= 1")
    if cfg.eval_samples < 1:
        bad("eval_samples", cfg.eval_samples, "must be >= 1")
    if cfg.model.lora.shared_base and not cfg.model.lora.enabled:
        bad("model.lora.shared_base", True, "needs model.lora.enabled=true (the roles' adapters are what share the base)")
    if cfg.model.lora.shared_base and sp.shared_policy:
        bad("model.lora.shared_base", True, "needs selfplay.shared_policy=false (a shared policy is one adapter for both roles)")
    toy = cfg.model.toyworld
    if toy is not None and cfg.task.name == "toy_arithmetic" and (toy.eval_seed, toy.eval_per_level) != (
        cfg.task.eval_seed, cfg.task.eval_per_level
    ):
        # conf/model/toy.yaml takes both from the task; only an explicit override can split them.
        bad("model.toyworld.eval_seed/eval_per_level", (toy.eval_seed, toy.eval_per_level),
            "must equal task.eval_seed/eval_per_level: the base model's corpus holds out exactly that set")
    cfg.instruments.validate()
    if cfg.init_reference not in ("base", "phase_start"):
        bad("init_reference", cfg.init_reference, "must be base or phase_start")
    if cfg.init_from is not None and cfg.model.lora.enabled:
        bad("init_from", cfg.init_from, "not supported with LoRA adapters (model.lora.enabled) yet")
    if cfg.model.path is None and cfg.model.toyworld is None:
        bad("model.path", None, "set a model path/hub id, or model.toyworld for the embedded toy model")
