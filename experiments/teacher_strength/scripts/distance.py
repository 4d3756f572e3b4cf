"""How far each teacher build is from the student (the solver's base build), measured on the
solver's drift probe set (the held-out problems `instruments.probe_prompts` picks).

    python experiments/teacher_strength/scripts/distance.py \
        [--teachers toy_weak toy toy_strong toy_very_strong] [--out distance.json]

Per teacher: KL(teacher || student), the per-token KL of the full next-token distributions
(temperature 1) along the teacher's greedy answers, and KL(student || teacher) along the
student's; and the share of probe problems whose greedy answers differ. The KL is the drift
instrument's own (agents/probe.py: answer_log_probs, full_kl), with the teacher in the role
of the policy and the student in that of the reference.

Never builds a model: a preset whose build is not cached is an error (its build takes
minutes and is the sweep's job, or `python -m selfplay.toyworld.build`'s).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from transformers import AutoModelForCausalLM, AutoTokenizer

from agents.generation import HFBackend
from agents.models import encode_prompts
from agents.probe import answer_log_probs, full_kl
from selfplay.config import Config, ModelConfig, register, to_config
from selfplay.instruments.drift import probe_requests
from selfplay.messages import SamplingParams
from selfplay.paths import cache_root
from selfplay.tasks import make_task
from selfplay.toyworld.build import DONE_MARKER

REPO = Path(__file__).resolve().parents[3]
TEACHERS = ("toy_weak", "toy", "toy_strong", "toy_very_strong")

Sequences = list[tuple[list[int], list[int]]]  # (prompt ids, answer ids)


@dataclass(frozen=True)
class Distance:
    teacher: str
    kl_teacher_student: float  # nats per answer token, along the teacher's greedy answers
    kl_student_teacher: float  # along the student's greedy answers
    greedy_disagreement: float  # share of probe problems with different greedy answers
    probes: int


def compose_config(*overrides: str) -> Config:
    register()
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        return to_config(compose(config_name="config", overrides=list(overrides)))


def cached_build(model: ModelConfig) -> Path:
    path = cache_root() / "toyworld" / model.toyworld.key()
    if not (path / DONE_MARKER).exists():
        raise SystemExit(f"{model.name}: no cached build at {path} (this script never builds one)")
    return path


def greedy(model, tokenizer, prompts: list[list[int]], max_new_tokens: int) -> tuple[Sequences, list[str]]:
    groups = HFBackend(model, tokenizer).generate(prompts, SamplingParams(greedy=True, max_new_tokens=max_new_tokens))
    return [(list(g[0].prompt_ids), list(g[0].completion_ids)) for g in groups], [g[0].text for g in groups]


def kl_along(p, q, sequences: Sequences, pad_id: int) -> float:
    """Mean over answer tokens of KL(p || q)."""
    return float(full_kl(answer_log_probs(p, sequences, pad_id, "cpu"), answer_log_probs(q, sequences, pad_id, "cpu")).mean())


def distance(teacher_name: str, teacher, student, tokenizer, prompts: list[list[int]], max_new: int) -> Distance:
    t_seq, t_text = greedy(teacher, tokenizer, prompts, max_new)
    s_seq, s_text = greedy(student, tokenizer, prompts, max_new)
    pad = tokenizer.pad_token_id
    return Distance(teacher_name, kl_along(teacher, student, t_seq, pad), kl_along(student, teacher, s_seq, pad),
                    sum(a != b for a, b in zip(t_text, s_text)) / len(prompts), len(prompts))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--teachers", nargs="+", default=list(TEACHERS), help="proposer_model presets")
    p.add_argument("--out", type=Path, help="also write the distances to this JSON file")
    args = p.parse_args(argv)
    torch.set_num_threads(2)
    cfg = compose_config("selfplay.shared_policy=false")
    request = probe_requests(cfg, make_task(cfg.task))["solver"]
    tokenizer = AutoTokenizer.from_pretrained(cached_build(cfg.model))
    student = AutoModelForCausalLM.from_pretrained(cached_build(cfg.model)).eval()
    prompts = encode_prompts(tokenizer, request.prompts, cfg.model.chat_template)
    out = []
    for name in args.teachers:
        t_cfg = compose_config("selfplay.shared_policy=false", f"proposer_model={name}").proposer_model
        teacher = AutoModelForCausalLM.from_pretrained(cached_build(t_cfg)).eval()
        out.append(distance(name, teacher, student, tokenizer, prompts, request.max_new_tokens))
        print(json.dumps(asdict(out[-1])))
    if args.out:
        args.out.write_text(json.dumps({"student": cfg.model.name, "probe_seed": cfg.instruments.probe_seed,
                                        "distances": [asdict(d) for d in out]}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
