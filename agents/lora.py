"""Optional LoRA adapters (``peft``) on a policy model: only the adapters train.

With adapters the frozen reference costs no memory: it is the same module with its adapters
switched off, which is exactly the starting policy (LoRA's B matrices start at zero). A
checkpoint then holds only the adapter weights; the base is re-read from ``model.path``.

``dropout`` defaults to 0: LoRA dropout would make the sampling policy (eval mode) and the
policy the update scores (train mode) differ, so importance ratios would not start at 1.

A module may carry several named adapters (``shared_base``: one per role on one base, see
``agents/shared_base.py``); only the active one runs and trains.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

# Every linear layer of a Llama/Qwen2 decoder block (not the embeddings or the LM head).
DEFAULT_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass
class LoraConfig:
    enabled: bool = False
    r: int = 16
    alpha: int = 32
    dropout: float = 0.0
    target_modules: list[str] = field(default_factory=lambda: list(DEFAULT_TARGETS))
    # With selfplay.shared_policy=false: one base model in one worker, an adapter per role
    # (the base's memory once), rather than a base and an adapter in each role's worker.
    shared_base: bool = False


DEFAULT = "default"  # peft's name for a module's only adapter


def wrap(model: torch.nn.Module, cfg: LoraConfig | None, adapters: Sequence[str] = (DEFAULT,)) -> torch.nn.Module:
    """``model`` with a fresh adapter of each name (the first active) and a frozen base, or
    ``model`` itself when disabled."""
    if cfg is None or not cfg.enabled:
        return model
    from peft import LoraConfig as PeftLoraConfig
    from peft import get_peft_model

    peft_cfg = PeftLoraConfig(
        r=cfg.r,
        lora_alpha=cfg.alpha,
        lora_dropout=cfg.dropout,
        target_modules=list(cfg.target_modules),
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, peft_cfg, adapter_name=adapters[0])
    for name in adapters[1:]:
        model.add_adapter(name, peft_cfg)
    return model


def is_lora(model: torch.nn.Module) -> bool:
    return hasattr(model, "disable_adapter") and hasattr(model, "peft_config")


class AdapterDisabled:
    """The base model under a LoRA policy, called like a model (for reference log-probs)."""

    def __init__(self, peft_model: torch.nn.Module):
        self.peft_model = peft_model

    def __call__(self, **inputs):
        with self.peft_model.disable_adapter(), torch.no_grad():
            return self.peft_model(**inputs)


def frozen_reference(model: torch.nn.Module):
    """The KL reference: the adapter-free base for LoRA, else a frozen copy of ``model``."""
    if is_lora(model):
        return AdapterDisabled(model)
    return copy.deepcopy(model).eval().requires_grad_(False)


def trainable_names(model: torch.nn.Module) -> list[str]:
    return [name for name, p in model.named_parameters() if p.requires_grad]


def save_adapter(model: torch.nn.Module, folder: str | Path, adapter: str = DEFAULT) -> None:
    """Write adapter ``adapter`` of ``model`` (not the base) in peft's format: into ``folder``
    for the default adapter, into ``folder/<adapter>`` for a named one (peft's layout)."""
    model.save_pretrained(folder, selected_adapters=[adapter])


def load_adapter(model: torch.nn.Module, folder: str | Path, adapter: str = DEFAULT) -> None:
    """Load adapter ``adapter``'s weights written by ``save_adapter(model, folder, adapter)``."""
    from peft import set_peft_model_state_dict
    from peft.utils import load_peft_weights

    source = Path(folder) if adapter == DEFAULT else Path(folder) / adapter
    result = set_peft_model_state_dict(model, load_peft_weights(str(source), device="cpu"), adapter_name=adapter)
    # Tensors of other adapters are missing too (not in this file): only this one's count.
    missing = [k for k in result.missing_keys if "lora_" in k and f".{adapter}." in k]
    if missing:
        raise ValueError(f"{source}: adapter checkpoint lacks {len(missing)} LoRA tensors, e.g. {missing[:3]}")

