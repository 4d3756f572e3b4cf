"""What torch's deterministic kernels cost the update's log-prob passes on CPU.

Policy workers on CPU run with ``torch.use_deterministic_algorithms(True)`` (agents/
policy_worker.py: ``start_process``), so that same-seed runs are identical at any thread
count. This times ``response_logprobs`` forward+backward and the no-grad pass on a model of
the toy world's shape (4 layers, hidden 128) over 256 rows in micro-batches of 64, once with
every row sharing one prompt (a proposer's batch) and once with 32 prompts (a solver's), with
default and deterministic kernels alternating in one process, and prints medians and ratios.

    .venv/bin/python benchmarks/deterministic_kernels.py [--rounds 10] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from transformers import LlamaConfig, LlamaForCausalLM

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from selfplay.rl.forward import response_logprobs  # noqa: E402

ROWS, MICRO, WIDTH, VOCAB = 256, 64, 40, 64


def batch(prompts: int, g: torch.Generator):
    """Right-padded rows: prompts of 8-19 tokens, responses of 1-7 (the toy's answers)."""
    ids, attn, resp = (torch.zeros(ROWS, WIDTH, dtype=torch.long) for _ in range(3))
    texts = [torch.randint(3, VOCAB, (int(torch.randint(8, 20, (1,), generator=g)),), generator=g) for _ in range(prompts)]
    for i in range(ROWS):
        p, r = texts[i % prompts], int(torch.randint(1, 8, (1,), generator=g))
        ids[i, : len(p)], ids[i, len(p) : len(p) + r] = p, torch.randint(3, VOCAB, (r,), generator=g)
        attn[i, : len(p) + r], resp[i, len(p) : len(p) + r] = 1, 1
    return ids, attn, resp


def timed(model, rows, grad: bool) -> float:
    start = time.perf_counter()
    with torch.set_grad_enabled(grad):
        model.zero_grad()
        for i in range(0, ROWS, MICRO):
            out = response_logprobs(model, *(x[i : i + MICRO] for x in rows))
            if grad:
                out.logprobs.sum().backward()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.utils.deterministic.fill_uninitialized_memory = False  # as the workers set it
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=VOCAB, hidden_size=128, intermediate_size=384, num_hidden_layers=4,
                                         num_attention_heads=4, num_key_value_heads=4, pad_token_id=0))
    g = torch.Generator().manual_seed(1)
    print(f"{'prompts':>7} {'pass':>9} {'default s':>10} {'determ. s':>10} {'ratio':>6}")
    for prompts in (1, 32):
        rows = batch(prompts, g)
        for grad in (True, False):
            times: dict[bool, list[float]] = {False: [], True: []}
            for r in range(args.rounds):
                for deterministic in ((False, True) if r % 2 == 0 else (True, False)):  # ABBA: load drift and order hit both
                    torch.use_deterministic_algorithms(deterministic)
                    times[deterministic].append(timed(model, rows, grad))
            a, b = statistics.median(times[False]), statistics.median(times[True])
            print(f"{prompts:>7} {'fwd+bwd' if grad else 'no-grad':>9} {a:>10.3f} {b:>10.3f} {b / a:>6.2f}")
    torch.use_deterministic_algorithms(False)


if __name__ == "__main__":
    main()
