"""What a generation engine that holds its own copy of the weights (vLLM) needs from the policy
module: its weights under Hugging Face names, LoRA merged in, and a cheap stamp of their state.

``hf_state_dict`` of a plain module is its ``state_dict()``, tied tensors included (the engine
keeps its own output layer: a push without ``lm_head.weight`` leaves the old one there). Of a
``peft`` LoRA module it is the base model's state dict with each adapted linear layer's
weight replaced by ``W + scale * B @ A`` of the active adapter (peft's ``get_delta_weight``),
computed apart: the module itself is not merged and unmerged, which would round its base
weights. Only plain LoRA on linear layers is supported (no DoRA or other variants, no LoRA
bias); anything else raises rather than pushing weights that differ from the module's.

``weights_stamp`` changes whenever any parameter is written in place (an optimizer step,
``load_state_dict``) or replaced, or the active adapter changes: torch bumps a tensor's
version counter on every in-place write, whatever the autograd mode.
"""

from __future__ import annotations

import torch

from agents import lora


def hf_state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The module's current weights under the base model's Hugging Face names, LoRA merged."""
    if not lora.is_lora(model):
        return dict(model.state_dict())
    base = model.get_base_model()
    deltas = _lora_deltas(base)
    out: dict[str, torch.Tensor] = {}
    for name, tensor in base.state_dict().items():
        if ".lora_" in name:
            continue
        name = name.replace(".base_layer.", ".")
        out[name] = tensor + deltas[name] if name in deltas else tensor
    missing = set(deltas) - set(out)
    if missing:
        raise RuntimeError(f"LoRA deltas without a base weight to merge into: {sorted(missing)[:3]}")
    return out


@torch.no_grad()
def _lora_deltas(base: torch.nn.Module) -> dict[str, torch.Tensor]:
    from peft.tuners.lora import Linear, LoraLayer

    deltas: dict[str, torch.Tensor] = {}
    for name, module in base.named_modules():
        if not isinstance(module, LoraLayer):
            continue
        if not isinstance(module, Linear):
            raise NotImplementedError(f"{name}: merged push of a LoRA {type(module).__name__} layer (linear layers only)")
        # Disabled adapters add nothing; merged ones are already inside the base weight.
        if module.disable_adapters or module.merged:
            continue
        for adapter in module.active_adapters:
            if adapter not in module.lora_A:
                continue
            if adapter in module.lora_variant or module.lora_bias[adapter]:
                raise NotImplementedError(f"{name}: merged push of a LoRA variant or LoRA bias (adapter {adapter!r})")
            delta = module.get_delta_weight(adapter)
            key = f"{name}.weight"
            deltas[key] = deltas[key] + delta if key in deltas else delta
    return deltas


def weights_stamp(model: torch.nn.Module) -> tuple:
    """Equal for two calls iff no parameter was written or replaced and the active adapter is
    the same in between."""
    params = tuple((name, p.data_ptr(), p._version) for name, p in model.named_parameters())
    return getattr(model, "active_adapter", None), params
