"""Build (or find cached) the toy world's base model: ``python -m selfplay.toyworld.build``.

A tiny ``LlamaForCausalLM`` is pretrained for a few minutes of CPU on a seeded synthetic
corpus of ``topic -> problem`` and ``problem -> answer`` lines. It is deliberately
under-trained: good on easy problems, partial on medium ones, poor on hard ones, which is
the frontier self-play needs. The result is saved in standard HF format under a folder
named by the hash of its build config, and rebuilt whenever that config changes.
"""

from __future__ import annotations

import argparse
import dataclasses
import fcntl
import hashlib
import json
import math
import random
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

from selfplay.paths import cache_root
from selfplay.toyworld import arithmetic, formats
from selfplay.toyworld.tokenizer import build_tokenizer

# Bump when the corpus, formats or training code change in a way that changes the weights.
BUILD_VERSION = 2
# Easy problems are learned first: the corpus leans towards the harder levels.
LEVEL_WEIGHTS = {1: 0.15, 2: 0.25, 3: 0.3, 4: 0.3}
DONE_MARKER = "BUILD_COMPLETE"


@dataclass
class ToyWorldConfig:
    seed: int = 0
    hidden_size: int = 128
    num_layers: int = 4
    num_heads: int = 4
    intermediate_size: int = 384
    steps: int = 1000
    batch_size: int = 128
    lr: float = 1e-3
    warmup_steps: int = 50
    proposer_fraction: float = 0.25
    # Cross-entropy label smoothing: an under-confident base model whose samples at T=1
    # scatter around a mostly right mode (see README, "The toy world").
    label_smoothing: float = 0.1
    eval_seed: int = 1234
    eval_per_level: int = 64
    threads: int = 2

    def key(self) -> str:
        # The thread count is a speed knob, not part of what is built.
        fields = {k: v for k, v in asdict(self).items() if k != "threads"}
        blob = json.dumps({"version": BUILD_VERSION, **fields}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def corpus_line(rng: random.Random, proposer_fraction: float, held_out: set[str]) -> str:
    """One pretraining line: a proposal for a topic, or a solved problem.

    Problems come uniformly over levels; held-out evaluation problems never appear.
    """
    while True:
        topic = rng.choice(sorted(arithmetic.TOPICS))
        op = arithmetic.TOPICS[topic]
        levels = arithmetic.levels_with(op)
        level = rng.choices(levels, weights=[LEVEL_WEIGHTS[lvl] for lvl in levels])[0]
        problem = arithmetic.sample_problem(rng, level, op)
        if problem.text not in held_out or problem.level == 1:  # level 1 is too small to hold out
            break
    if rng.random() < proposer_fraction:
        return formats.proposer_prompt(topic) + formats.proposer_completion(problem)
    return formats.solver_prompt(problem.text) + formats.solver_completion(problem.answer)


def pretrain(cfg: ToyWorldConfig, log=print, on_step=None) -> tuple[LlamaForCausalLM, object]:
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    tokenizer = build_tokenizer()
    model = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=cfg.hidden_size,
            intermediate_size=cfg.intermediate_size,
            num_hidden_layers=cfg.num_layers,
            num_attention_heads=cfg.num_heads,
            num_key_value_heads=cfg.num_heads,
            max_position_embeddings=64,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
            tie_word_embeddings=True,
        )
    )
    held_out = {p.text for p in arithmetic.eval_set(cfg.eval_seed, cfg.eval_per_level)}
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01, betas=(0.9, 0.98))

    def lr_at(step: int) -> float:
        if step < cfg.warmup_steps:
            return cfg.lr * (step + 1) / cfg.warmup_steps
        progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
        return cfg.lr * 0.5 * (1 + math.cos(math.pi * progress))

    model.train()
    t0 = time.time()
    for step in range(cfg.steps):
        lines = [corpus_line(rng, cfg.proposer_fraction, held_out) + tokenizer.eos_token for _ in range(cfg.batch_size)]
        batch = tokenizer(lines, padding=True, return_tensors="pt", padding_side="right")
        labels = batch.input_ids.masked_fill(batch.attention_mask == 0, -100)
        logits = model(**batch).logits[:, :-1]
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.size(-1)), labels[:, 1:].reshape(-1), ignore_index=-100,
            label_smoothing=cfg.label_smoothing,
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        opt.step()
        if step % 100 == 0 or step == cfg.steps - 1:
            log(f"  pretrain step {step:4d}/{cfg.steps}  loss {loss.item():.3f}  ({time.time() - t0:.0f}s)")
        if on_step is not None:
            on_step(step, model, tokenizer)
    model.eval()
    return model, tokenizer


def build(cfg: ToyWorldConfig, root: Path | None = None, force: bool = False, log=print) -> Path:
    """The folder holding the base model for ``cfg``, built first if it is not cached."""
    root = (root or cache_root()) / "toyworld"
    root.mkdir(parents=True, exist_ok=True)
    out = root / cfg.key()
    with open(root / ".lock", "w") as lock:
        # One builder at a time: concurrent sweep jobs wait for the first one's result.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (out / DONE_MARKER).exists() and not force:
            return out
        torch.set_num_threads(cfg.threads)
        log(f"Building toy-world base model {cfg.key()} -> {out}")
        model, tokenizer = pretrain(cfg, log)
        tmp = root / f".tmp-{cfg.key()}"
        shutil.rmtree(tmp, ignore_errors=True)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / "toyworld.json").write_text(json.dumps(asdict(cfg), indent=2))
        accuracy = base_accuracy(tmp, cfg)
        (tmp / "base_accuracy.json").write_text(json.dumps(accuracy, indent=2))
        log(format_accuracy(accuracy))
        (tmp / DONE_MARKER).write_text("")
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    return out


def base_accuracy(model_dir: Path, cfg: ToyWorldConfig, samples: int = 4) -> dict:
    """Per-level greedy accuracy and pass@1 at temperature 1 of a saved toy model."""
    from agents.generation import HFBackend
    from selfplay.messages import SamplingParams

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    backend = HFBackend(model, tokenizer)
    problems = arithmetic.eval_set(cfg.eval_seed, cfg.eval_per_level)
    prompts = [tokenizer(formats.solver_prompt(p.text)).input_ids for p in problems]
    greedy = backend.generate(prompts, SamplingParams(greedy=True, max_new_tokens=8))
    sampled = backend.generate(prompts, SamplingParams(temperature=1.0, n=samples, max_new_tokens=8))
    result: dict[str, dict[str, float]] = {}
    for level in arithmetic.EVAL_LEVELS:
        idx = [i for i, p in enumerate(problems) if p.level == level]
        truth = {i: formats.solver_completion(problems[i].answer) for i in idx}
        result[f"level_{level}"] = {
            "greedy": sum(greedy[i][0].text == truth[i] for i in idx) / len(idx),
            "pass@1_t1": sum(g.text == truth[i] for i in idx for g in sampled[i]) / (len(idx) * samples),
        }
    return result


def format_accuracy(accuracy: dict) -> str:
    lines = ["  level   greedy   pass@1 (T=1)"]
    for name, acc in accuracy.items():
        lines.append(f"  {name:7s} {acc['greedy']:6.3f}   {acc['pass@1_t1']:6.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f in dataclasses.fields(ToyWorldConfig):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default)
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    args = vars(parser.parse_args(argv))
    force = args.pop("force")
    cfg = ToyWorldConfig(**args)
    out = build(cfg, force=force)
    print(f"base model: {out}")
    print(format_accuracy(json.loads((out / "base_accuracy.json").read_text())))


if __name__ == "__main__":
    main()
