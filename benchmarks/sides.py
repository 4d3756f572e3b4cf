"""One side of benchmarks/vs_trl.py, run as a subprocess: ``python sides.py project|trl``.

It reads the settings (one JSON line) from stdin, loads its model, and then, for each
``step`` line, runs one solver-only GRPO step and prints one JSON line of timings; ``quit``
ends it. The project side runs in the project's .venv (with ``PYTHONPATH`` choosing which
checkout of the project's code); the TRL side in benchmarks/.venv-trl, through TRL's own
training loop (``GRPOTrainer.train``), paused between steps by a callback.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PhaseClock, Settings, majority_rewards  # noqa: E402

OUT = sys.stdout  # the protocol's channel; everything else goes to stderr
sys.stdout = sys.stderr


def send(obj) -> None:
    OUT.write(json.dumps(obj) + "\n")
    OUT.flush()


def command() -> str:
    line = sys.stdin.readline()
    return line.strip() or "quit"


def project_side(s: Settings) -> None:
    import functools

    import torch

    import agents.policy_worker as pw
    from agents.generation import SamplingParams
    from selfplay.config import ModelConfig
    from selfplay.rl import AlgoConfig

    model_cfg = ModelConfig(path=s.model_dir, chat_template=True)
    if s.autocast:
        if not hasattr(model_cfg, "autocast"):
            raise SystemExit("this checkout of the project has no model.autocast")
        model_cfg.autocast = s.autocast
    algo = AlgoConfig(
        lr=s.lr, kl_loss_coef=s.beta, clip_ratio_low=s.clip, clip_ratio_high=s.clip, ppo_micro_batch_size=s.micro_batch
    )
    worker = pw.PolicyWorker(s.model_dir, model_cfg, algo, seed=s.seed, threads=s.threads, generation_batch_size=64)
    # Every completion exactly s.new_tokens long: EOS cannot be sampled before (any checkout).
    worker.model.generate = functools.partial(worker.model.generate, min_new_tokens=s.new_tokens)
    clock = PhaseClock()
    # The no-grad log-prob passes, whichever function this checkout calls them through.
    for name in ("batch_response_logprobs", "chunked_logprobs"):
        if hasattr(pw, name):
            setattr(pw, name, clock.timed("logprobs", getattr(pw, name)))
    params = SamplingParams(n=s.group, max_new_tokens=s.new_tokens, temperature=s.temperature)
    send({"ready": True, "threads": torch.get_num_threads()})
    while command() == "step":
        clock.__init__()
        w, c = time.perf_counter(), time.process_time()
        gens = clock.timed("generate", worker.generate)(s.prompts, params)
        rewards = majority_rewards([[g.text for g in group] for group in gens])
        samples = [
            pw.TrainSample(g.prompt_ids, g.completion_ids, rewards[k][j], group=k)
            for k, group in enumerate(gens)
            for j, g in enumerate(group)
        ]
        result = clock.timed("train", worker.train)(samples, s.temperature)
        clock.add("total", time.perf_counter() - w, time.process_time() - c)
        send({
            **clock.report(),
            "autocast": s.autocast,
            "rows": [[len(x.prompt_ids), len(x.completion_ids)] for x in samples],
            "prompt_lens": sorted({len(x.prompt_ids) for x in samples}),
            "completion_lens": sorted({len(x.completion_ids) for x in samples}),
            "reward_mean": sum(x.reward for x in samples) / len(samples),
            "metrics": {k: v for k, v in result.metrics.items() if isinstance(v, (int, float))},
        })


def trl_side(s: Settings) -> None:
    import torch
    from datasets import Dataset
    from transformers import AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    torch.set_num_threads(s.threads)
    tok = AutoTokenizer.from_pretrained(s.model_dir)
    tok.padding_side = "left"
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    data = Dataset.from_list([{"prompt": [{"role": "user", "content": p}]} for p in s.prompts])

    def reward(prompts, completions, **_):
        texts = [c[-1]["content"] if isinstance(c, list) else c for c in completions]
        keys = [json.dumps(p) for p in prompts]
        groups: dict[str, list[int]] = {}
        for i, k in enumerate(keys):
            groups.setdefault(k, []).append(i)
        out = [0.0] * len(texts)
        for rows in groups.values():
            for i, r in zip(rows, majority_rewards([[texts[i] for i in rows]])[0]):
                out[i] = r
        return out

    rows = len(s.prompts) * s.group
    args = GRPOConfig(
        output_dir=tempfile.mkdtemp(prefix="vs_trl_"),
        use_cpu=True,
        bf16=s.autocast == "bfloat16",
        model_init_kwargs={"dtype": torch.float32},
        per_device_train_batch_size=s.micro_batch,
        gradient_accumulation_steps=rows // s.micro_batch,  # one optimizer step per generation batch
        num_generations=s.group,
        max_completion_length=s.new_tokens,
        generation_kwargs={"min_new_tokens": s.new_tokens},
        temperature=s.temperature,
        learning_rate=s.lr,
        lr_scheduler_type="constant",
        beta=s.beta,
        epsilon=s.clip,
        max_steps=10**6,  # the driver ends it
        seed=s.seed,
        report_to="none",
        save_strategy="no",
        logging_steps=10**6,
        disable_tqdm=True,
    )
    clock = PhaseClock()
    state = {"lens": [], "prompt_lens": [], "rows": []}

    class Pause(TrainerCallback):
        """Between optimizer steps: report the last step, wait for the next command."""

        def __init__(self):
            self.start = None

        def on_step_begin(self, args, st, control, **kw):
            if self.start is None:
                send({"ready": True, "threads": torch.get_num_threads()})
            if command() != "step":
                control.should_training_stop = True
                raise SystemExit(0)
            clock.__init__()
            state["lens"].clear()
            self.start = (time.perf_counter(), time.process_time())

        def on_step_end(self, args, st, control, **kw):
            w, c = self.start
            clock.add("total", time.perf_counter() - w, time.process_time() - c)
            send({
                **clock.report(),
                "autocast": s.autocast,
                "rows": state["rows"],
                "prompt_lens": sorted(set(state["prompt_lens"])),
                "completion_lens": sorted(set(state["lens"])),
            })

    trainer = GRPOTrainer(model=s.model_dir, reward_funcs=reward, args=args, train_dataset=data, processing_class=tok, callbacks=[Pause()])
    generate = trainer._generate_single_turn

    def generate_timed(prompt_ids, *a, **kw):
        state["prompt_lens"] = [len(p) for p in prompt_ids]
        out = clock.timed("generate", generate)(prompt_ids, *a, **kw)
        state["lens"].extend(len(c) for c in out[0])
        state["rows"] = [[len(p), len(c)] for p, c in zip(prompt_ids, out[0])]
        return out

    trainer._generate_single_turn = generate_timed
    logps = trainer._get_per_token_logps_and_entropies
    timed_logps = clock.timed("logprobs", logps)
    trainer._get_per_token_logps_and_entropies = lambda *a, **kw: (timed_logps if not torch.is_grad_enabled() else logps)(*a, **kw)
    trainer.train()


def main() -> None:
    side = sys.argv[1]
    s = Settings(**json.loads(sys.stdin.readline()))
    {"project": project_side, "trl": trl_side}[side](s)


if __name__ == "__main__":
    main()
