"""A character-level tokenizer in the standard Hugging Face format.

Built with the `tokenizers` library and saved by ``save_pretrained``, so the toy model is
loaded by ``AutoTokenizer`` exactly like a real one. ``<answer>`` and ``</answer>`` are
single tokens: the toy solver answers in the same format SQLM's solvers do.
"""

from __future__ import annotations

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast

SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<unk>"]
ADDED_TOKENS = ["<answer>", "</answer>"]
CHARACTERS = list("0123456789+-*/=:.,()? abcdefghijklmnopqrstuvwxyz")


def build_tokenizer() -> PreTrainedTokenizerFast:
    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS + ADDED_TOKENS + CHARACTERS)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tok.decoder = decoders.Fuse()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", vocab["<s>"])]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        padding_side="left",
    )
    # Registered as added (non-special) tokens: matched whole before the per-character split,
    # and kept when decoding with skip_special_tokens=True.
    fast.add_tokens(ADDED_TOKENS)
    return fast
