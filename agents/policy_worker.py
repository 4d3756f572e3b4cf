"""The policy worker: owns one model, its generation backend, optimizer and frozen reference,
and applies an RL update to a batch the driver gives it. (On a shared LoRA base, one such
policy per role trains its own adapter of one module: ``agents/shared_base.py``.)

A plain class, wrapped as a Ray actor by the driver. Everything it takes and returns is a
plain dataclass of token ids and numbers, so it works the same in or out of Ray.
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
from pathlib import Path

import torch
import transformers

from agents import lora, precision
from agents.backends import BackendConfig, make_backend
from agents.models import encode_prompts, load_model
from agents.perf import ModelFlops, matmul_peak
from agents.probe import Prober
from selfplay import rng_state
from selfplay.fingerprint import fingerprint
from selfplay.messages import Generation, ProbeRequest, ProbeResult, SamplingParams, TrainResult, TrainSample
from selfplay.rl import (
    AlgoConfig,
    ForwardWork,
    TrainBatch,
    apply_kl_in_reward,
    batch_response_logprobs,
    build_optimizer,
    compute_advantages,
    is_on_policy,
    ppo_update,
    warmup_lr,
)


def start_process(threads: int, seed: int, device: str = "cpu") -> None:
    """Settings of the worker's process: torch threads, the seed of its sampling stream and,
    on CPU, deterministic kernels."""
    transformers.utils.logging.disable_progress_bar()
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    if device == "cpu":
        # Rows sharing a prompt share its key/value cache and first logits, so their gradients
        # meet in an indexing backward (index_put with accumulate), whose default CPU kernel
        # adds from several threads in no fixed order: same-seed runs drifted apart in the
        # last bits. The deterministic kernel sorts the indices first. Uninitialized memory
        # stays unfilled (the mode's other effect), which costs time and protects nothing here.
        torch.use_deterministic_algorithms(True)
        torch.utils.deterministic.fill_uninitialized_memory = False


def load_policy_model(model_path: str, model_cfg, adapters: tuple[str, ...] = (lora.DEFAULT,)):
    """``(model, tokenizer)``: the model at ``model_path``, with fresh adapters under LoRA."""
    model, tokenizer = load_model(
        model_path, gguf_file=model_cfg.gguf_file, dtype=model_cfg.dtype, device=model_cfg.device
    )
    return lora.wrap(model, model_cfg.lora, adapters), tokenizer


class PolicyWorker:
    def __init__(self, model_path: str, model_cfg, algo: AlgoConfig, *, seed: int, threads: int, generation_batch_size: int,
                 keep_reference: bool = False, backend: BackendConfig = BackendConfig()):
        start_process(threads, seed, model_cfg.device)  # before the backend: vLLM freezes the thread count while it starts
        model, tokenizer = load_policy_model(model_path, model_cfg)
        self._attach(model, tokenizer, model_cfg, algo, seed=seed, generation_batch_size=generation_batch_size,
                     keep_reference=keep_reference, backend=backend)

    def _attach(self, model, tokenizer, model_cfg, algo: AlgoConfig, *, seed: int, generation_batch_size: int,
                keep_reference: bool = False, adapter: str = lora.DEFAULT, backend: BackendConfig = BackendConfig()) -> None:
        """Everything a policy owns around its module. ``adapter``: the one adapter it trains and
        checkpoints, where the module carries one per role (``agents/shared_base.py``); the
        caller has made it the active one, so the optimizer takes its tensors alone."""
        self.algo = algo
        self.chat_template = model_cfg.chat_template
        self.model, self.tokenizer, self.adapter = model, tokenizer, adapter
        self.model.train()
        self.device = model_cfg.device
        self.autocast = getattr(model_cfg, "autocast", None)
        precision.check(self.autocast)
        # The starting policy, frozen, kept only where a KL term uses it: without one, its
        # copy and its forward pass every update would buy only a diagnostic (and the `kl`
        # metric is then not reported). Its fingerprint identifies the starting weights on
        # resume either way, so without a copy it is taken now, before any update.
        # ``keep_reference``: the drift probes (``agents/probe.py``) measure KL to it as well.
        self.needs_ref = algo.use_kl_loss or algo.use_kl_in_reward
        self.ref = lora.frozen_reference(self.model) if self.needs_ref or keep_reference else None
        if self.ref is None and not lora.is_lora(self.model):
            self.reference_fingerprint()
        self.optimizer = build_optimizer(self.model, algo)
        self.updates = 0  # train() calls so far: the warm-up schedule's clock
        self.shuffle = torch.Generator().manual_seed(seed)
        self.generation_batch_size = generation_batch_size
        # Built from the registry (agents/backends.py). A backend with its own copy of the
        # weights (vLLM) gets them pushed after every change: _push_weights().
        self.backend = make_backend(backend, self.model, self.tokenizer, batch_size=generation_batch_size,
                                    precision=self.precision)
        self.flops = ModelFlops.of(self.model)
        self.prober = Prober()  # drift probes' memories: checkpointed with the worker

    def precision(self):
        """The mixed-precision context of sampling, log-prob passes and the update."""
        return precision.autocast(self.autocast, self.device)

    @contextlib.contextmanager
    def _sampling_mode(self):
        """The module as the sampler runs it (eval mode: no dropout), then back."""
        was_training = self.model.training
        self.model.eval()
        try:
            yield
        finally:
            self.model.train(was_training)

    # -- generation -------------------------------------------------------------------------
    def generate(self, prompts: list[str], params: SamplingParams) -> list[list[Generation]]:
        return self.backend.generate(encode_prompts(self.tokenizer, prompts, self.chat_template), params)

    def probe(self, request: ProbeRequest) -> ProbeResult:
        """Drift of this policy on fixed prompts (agents/probe.py); draws nothing from its streams."""
        return self.prober.probe(self, request)

    # -- training ---------------------------------------------------------------------------
    def _batch(self, samples: list[TrainSample]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Right-padded prompt+completion ids, attention mask and response mask."""
        width = max(len(s.prompt_ids) + len(s.completion_ids) for s in samples)
        ids = torch.full((len(samples), width), self.tokenizer.pad_token_id, dtype=torch.long)
        attn = torch.zeros_like(ids)
        resp = torch.zeros_like(ids)
        for i, s in enumerate(samples):
            p, c = len(s.prompt_ids), len(s.completion_ids)
            ids[i, : p + c] = torch.tensor(s.prompt_ids + s.completion_ids)
            attn[i, : p + c] = 1
            resp[i, p : p + c] = 1
        return ids.to(self.device), attn.to(self.device), resp.to(self.device)

    @staticmethod
    def _sampler_logprobs(samples: list[TrainSample], shape: torch.Size) -> torch.Tensor | None:
        """The sampler's log-probs placed as ``_batch`` places the completions (0 elsewhere);
        None where the backend reported none (HF)."""
        given = [s.sampler_logprobs is not None for s in samples]
        if not any(given):
            return None
        if not all(given) or any(len(s.sampler_logprobs) != len(s.completion_ids) for s in samples):
            raise ValueError("sampler log-probs must come with every sample, one per completion token")
        out = torch.zeros(shape, dtype=torch.float32)
        for i, s in enumerate(samples):
            p = len(s.prompt_ids)
            out[i, p : p + len(s.completion_ids)] = torch.tensor(s.sampler_logprobs, dtype=torch.float32)
        return out

    def train(self, samples: list[TrainSample], temperature: float) -> TrainResult:
        t_start = time.perf_counter()
        ids, attn, resp = self._batch(samples)
        rows = self.algo.ppo_micro_batch_size
        passes = functools.partial(batch_response_logprobs, temperature=temperature, micro_batch_size=rows)
        metrics: dict[str, float] = {}
        no_grad_work, train_work = ForwardWork(), ForwardWork()
        # Old log-probs: only where the ratio can differ from 1 (or the KL reward needs the
        # sampling policy's log-probs); in the sampler's mode, so they are the sampler's.
        old = None
        if not is_on_policy(self.algo, len(samples)) or self.algo.use_kl_in_reward:
            t = time.perf_counter()
            with self._sampling_mode(), self.precision():
                old, work = passes(self.model, ids, attn, resp)
            no_grad_work += work
            metrics["time/old_logprobs_s"] = time.perf_counter() - t
        ref = None
        if self.needs_ref:  # a reference kept only for the drift probes costs no pass here
            t = time.perf_counter()
            with self.precision():
                ref, work = passes(self.ref, ids, attn, resp)
            no_grad_work += work
            metrics["time/ref_logprobs_s"] = time.perf_counter() - t
        rewards = torch.tensor([s.reward for s in samples], dtype=torch.float32)
        if self.algo.use_kl_in_reward:
            rewards, kl_mean = apply_kl_in_reward(
                rewards, old.cpu(), ref.cpu(), resp.cpu(), self.algo.kl_reward_coef, self.algo.kl_reward_type
            )
            metrics["kl_in_reward"] = float(kl_mean)
        groups = torch.tensor([s.group for s in samples], dtype=torch.long)
        adv = compute_advantages(
            rewards, groups, self.algo.adv_estimator, norm_adv_by_std_in_grpo=self.algo.norm_adv_by_std_in_grpo
        )
        sampler = self._sampler_logprobs(samples, ids.shape)
        batch = TrainBatch(ids, attn, resp.float(), old, ref, adv.to(self.device),
                           None if sampler is None else sampler.to(self.device))
        for group in self.optimizer.param_groups:
            group["lr"] = warmup_lr(self.algo, self.updates)
        self.updates += 1
        metrics["lr"] = self.optimizer.param_groups[0]["lr"]
        with self.precision():
            update = ppo_update(
                self.model, self.optimizer, batch, self.algo, temperature=temperature, generator=self.shuffle, work=train_work
            )
        if ref is None:
            update.pop("kl")  # no reference: not measured (ppo_update's 0.0 would read as "no drift")
        metrics.update(update)
        t = time.perf_counter()
        metrics["weights_version"] = float(self._push_weights())
        metrics["time/weight_push_s"] = time.perf_counter() - t
        metrics.update(self._perf_metrics(samples, no_grad_work, train_work, metrics, time.perf_counter() - t_start))
        return TrainResult(metrics, adv.tolist())

    def _perf_metrics(self, samples, no_grad_work: ForwardWork, train_work: ForwardWork, metrics, total_s: float):
        """Throughput over the whole train() call; MFU over its forward/backward passes."""
        tokens = sum(len(s.prompt_ids) + len(s.completion_ids) for s in samples)
        pass_s = sum(metrics.get(f"time/{k}_s", 0.0) for k in ("old_logprobs", "ref_logprobs", "forward_backward"))
        flops = self.flops.forward(no_grad_work) + self.flops.train(train_work)
        peak = matmul_peak(precision.compute_dtype(self.autocast, self.model), self.device)
        return {
            "time/total_s": total_s,
            "throughput/train_tokens_per_s": tokens / total_s if total_s > 0 else 0.0,
            "perf/flops": flops,
            "perf/mfu": flops / pass_s / peak if pass_s > 0 else 0.0,
        }

    # -- checkpoints ------------------------------------------------------------------------
    def save(self, directory: str) -> None:
        out = Path(directory)
        if lora.is_lora(self.model):
            lora.save_adapter(self.model, out / "model", self.adapter)  # not the base
        else:
            self.model.save_pretrained(out / "model")
        self.tokenizer.save_pretrained(out / "model")
        torch.save(
            {"optimizer": self.optimizer.state_dict(), "rng": self.rng_state(), "weights_version": self.backend.weights_version,
             "updates": self.updates},
            out / "trainer_state.pt",
        )
        # Not the weights (they are re-read from model.path): which ones, to check on resume.
        (out / "reference.json").write_text(json.dumps({"fingerprint": self.reference_fingerprint()}))
        torch.save(self.prober.state_dict(), out / "probe_state.pt")

    def load(self, directory: str) -> None:
        src = Path(directory)
        self._load_weights(src)
        state = torch.load(src / "trainer_state.pt", weights_only=False)
        self.optimizer.load_state_dict(state["optimizer"])
        self.set_rng_state(state["rng"])
        self._push_weights(state["weights_version"])  # the engine serves the checkpoint's weights
        self.updates = state["updates"]
        if (src / "probe_state.pt").exists():  # older checkpoints have none: the probes start over
            self.prober.load_state_dict(torch.load(src / "probe_state.pt", weights_only=False))

    def start_phase(self, directory: str, reference: str) -> None:
        """A new phase from another run's worker checkpoint: its weights only (this worker's
        optimizer, clocks and random state stay fresh). ``reference``: "phase_start" makes those
        weights the frozen KL reference too; "base" keeps the base model (selfplay/phases.py)."""
        self._load_weights(Path(directory))
        self._push_weights(self.backend.weights_version)
        if reference == "phase_start":
            self.ref = lora.frozen_reference(self.model)
            self.__dict__.pop("_ref_fingerprint", None)
        self.prober.reset()

    def _push_weights(self, version: int | None = None) -> int:
        """After any write to the module's weights: the backend samples from them from now on
        (vLLM: copied into its engine; HF: nothing to copy). Returns the weights version:
        ``version`` when given (a checkpoint's), else the previous one + 1. Without this, a
        vLLM backend refuses to sample (StaleWeightsError), never samples stale weights."""
        return self.backend.update_weights(version)

    def _load_weights(self, src: Path) -> None:
        from transformers import AutoModelForCausalLM

        if lora.is_lora(self.model):
            lora.load_adapter(self.model, src / "model", self.adapter)
        else:
            saved = AutoModelForCausalLM.from_pretrained(src / "model", dtype=next(self.model.parameters()).dtype)
            self.model.load_state_dict(saved.state_dict())

    def rng_state(self) -> dict:
        """Every random stream this process draws from: sampling (torch's global generator),
        mini-batch shuffling, and python/numpy for anything a library draws."""
        return {**rng_state.capture(), "shuffle": self.shuffle.get_state()}

    def set_rng_state(self, state: dict) -> None:
        rng_state.restore(state)
        self.shuffle.set_state(state["shuffle"])

    def reference_fingerprint(self) -> str:
        """Hash of the frozen reference's weights (once: they never change). Under LoRA the
        reference is the policy's own base, so its adapters are left out."""
        if not hasattr(self, "_ref_fingerprint"):
            ref = self.ref if isinstance(self.ref, torch.nn.Module) else self.model
            self._ref_fingerprint = fingerprint(ref.state_dict(), skip="lora_")
        return self._ref_fingerprint

    def ping(self) -> bool:
        return True
