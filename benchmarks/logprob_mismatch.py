"""How far the update's log-probs are from the sampler's, in float32 and under bfloat16
autocast (``model.autocast``), on the vs_trl workload (SmolLM2, 8 problems x 4 samples, 32
tokens each).

For each precision: the sampler's per-token log-probs (the generation backend, eval mode,
key/value cache) against the update's log-prob pass on the same tokens (the policy worker's
forward, same precision). Also the bf16 update pass against the float32 one. The on-policy
update uses the current log-probs as the old ones, so this gap is not in its ratio; it is
the sampler/learner mismatch that an off-policy correction would see.

    .venv/bin/python benchmarks/logprob_mismatch.py [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from agents.generation import SamplingParams  # noqa: E402
from agents.policy_worker import PolicyWorker, TrainSample  # noqa: E402
from selfplay.config import ModelConfig  # noqa: E402
from selfplay.rl import AlgoConfig, batch_response_logprobs  # noqa: E402
from vs_trl import problems, smollm2_folder  # noqa: E402


def stats(name: str, diff: torch.Tensor) -> None:
    a = diff.abs()
    ratio = diff.exp()
    print(f"  {name:34s} mean |d| {a.mean():.2e}  p99 {a.quantile(0.99):.2e}  max {a.max():.2e}  "
          f"mean d {diff.mean():+.1e}  |ratio-1|>0.2: {float(((ratio - 1).abs() > 0.2).float().mean()):.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    folder = smollm2_folder()
    prompts = problems(8)
    params = SamplingParams(n=4, max_new_tokens=32, min_new_tokens=32, logprobs=True)
    update_lp = {}
    for autocast in (None, "bfloat16"):
        worker = PolicyWorker(folder, ModelConfig(path=folder, chat_template=True, autocast=autocast), AlgoConfig(),
                              seed=args.seed, threads=args.threads, generation_batch_size=64)
        gens = [g for group in worker.generate(prompts, params) for g in group]
        samples = [TrainSample(g.prompt_ids, g.completion_ids, 0.0, group=0) for g in gens]
        ids, attn, resp = worker._batch(samples)
        with torch.no_grad(), worker.precision():
            lp, _ = batch_response_logprobs(worker.model, ids, attn, resp, temperature=1.0, micro_batch_size=8)
        mask = resp.bool()
        sampler = torch.zeros_like(lp)
        sampler[mask] = torch.tensor([x for g in gens for x in g.logprobs], dtype=lp.dtype)
        print(f"{autocast or 'float32'}: {int(mask.sum())} tokens")
        stats("update pass - sampler (per token)", (lp - sampler)[mask])
        seq = ((lp - sampler) * mask).sum(-1)
        print(f"  sequence log-ratio: mean |d| {seq.abs().mean():.2e}, max {seq.abs().max():.2e}")
        update_lp[autocast] = (ids, attn, resp, worker)
    # Precision alone: the bf16 update pass against the float32 one, on the bf16 run's tokens.
    ids, attn, resp, worker = update_lp["bfloat16"]
    with torch.no_grad():
        fp32, _ = batch_response_logprobs(worker.model, ids, attn, resp, temperature=1.0, micro_batch_size=8)
        with worker.precision():
            bf16, _ = batch_response_logprobs(worker.model, ids, attn, resp, temperature=1.0, micro_batch_size=8)
    print("bfloat16 update pass - float32 update pass:")
    stats("per token", (bf16 - fp32)[resp.bool()])


if __name__ == "__main__":
    main()
