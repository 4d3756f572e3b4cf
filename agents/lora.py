"""Optional LoRA adapters (``peft``) on a policy model: only the adapters train.

With adapters the frozen reference costs no memory: it is the same module with its adapters
switched off, which is exactly the starting policy (LoRA's B matrices start at zero). A
checkpoint then holds only the adapter weights; the base is re-read from ``model.path``.

``dropout`` defaults to 0: LoRA dropout would make the sampling policy (eval mode) and the
policy the update scores (train mode) differ, so importance ratios would not start at 1.
"""

from __future__ import annotations

import copy
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


def wrap(model: torch.nn.Module, cfg: LoraConfig | None) -> torch.nn.Module:
    """``model`` with fresh adapters and a frozen base, or ``model`` itself when disabled."""
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
    return get_peft_model(model, peft_cfg)


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


def load_adapter(model: torch.nn.Module, folder: str | Path) -> None:
    """Load adapter weights written by ``model.save_pretrained(folder)`` into ``model``."""
    from peft import set_peft_model_state_dict
    from peft.utils import load_peft_weights

    result = set_peft_model_state_dict(model, load_peft_weights(str(folder), device="cpu"))
    missing = [k for k in result.missing_keys if "lora_" in k]
    if missing:
        raise ValueError(f"{folder}: adapter checkpoint lacks {len(missing)} LoRA tensors, e.g. {missing[:3]}")

