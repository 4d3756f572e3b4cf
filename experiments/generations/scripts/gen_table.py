"""The generations study's tables, regenerated from the run directories.

    python experiments/generations/scripts/gen_table.py ROOT [--out FILE.md]

ROOT holds gen_0, gen_1, ... (scripts/run.sh). Prints (markdown), per arm and generation (mean ±
std over chains): the proposer's own problems' tail share, distinct problems a step, kinds and
kind entropy, its valid-proposal rate, the logged and the probe's tail share; held-out pass@1 per
level at each generation's end; the slope of each measure over generations (per chain, then
mean ± std; against zero and fresh minus recursive as difference ± SE with a 95% bootstrap over
chains); the kinds each chain proposed in generation 0 and no longer in its last.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from statistics import mean, stdev

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[2] / "difficulty_levels" / "scripts"))

from chains import HELD_OUT, Chain, by_arm, load_chains  # noqa: E402
from effects import BOOTSTRAP_DRAWS, Effect, effect  # noqa: E402

from selfplay.inspect.textfmt import markdown_table  # noqa: E402
from selfplay.instruments.diversity import vanished_kinds  # noqa: E402
from selfplay.instruments.features import kind  # noqa: E402

RECURSIVE, FRESH = "recursive", "fresh_25"
DRAWS = BOOTSTRAP_DRAWS  # bootstrap resamples per effect (a test may use fewer)


@dataclass(frozen=True)
class Measure:
    label: str
    read: object  # Generation -> float
    scale: float = 1.0  # 100: a share shown in points
    digits: int = 1


MEASURES = [
    Measure("tail share, own (pts)", lambda g: g.own["rare_share"], 100.0),
    Measure("distinct problems a step, own", lambda g: g.own["distinct_problems"]),
    Measure("kinds, own", lambda g: float(len({kind(f) for f in g.kinds}))),
    Measure("entropy_kind, own (bits)", lambda g: g.own["entropy_kind"], digits=3),
    Measure("valid rate, own (pts)", lambda g: g.own["valid_rate"], 100.0),
    Measure("tail share, logged (pts)", lambda g: g.logged["rare_share"], 100.0),
    Measure("tail share, probe (pts)", lambda g: g.probe["rare_share"], 100.0),
    Measure("held-out pass@1 (pts)", lambda g: g.held_out["overall"], 100.0),
]


def _fmt(xs: list[float], m: Measure, signed: bool = False) -> str:
    xs = [x * m.scale for x in xs if x == x]  # NaN: not measured
    if not xs:
        return "—"
    text = f"{mean(xs):+.{m.digits}f}" if signed else f"{mean(xs):.{m.digits}f}"
    return text if len(xs) < 2 else f"{text} ± {stdev(xs):.{m.digits}f}"


def fmt_effect(e: Effect, m: Measure) -> str:
    """'+1.2 ± 0.4 [+0.5, +1.9]': difference ± SE [95% bootstrap], in the measure's units."""
    s, d = m.scale, m.digits
    return f"{s * e.diff:+.{d}f} ± {s * e.se:.{d}f} [{s * e.low:+.{d}f}, {s * e.high:+.{d}f}]"


def n_generations(chains: list[Chain]) -> int:
    return max((len(c.generations) for c in chains), default=0)


def _column(chains: list[Chain], g: int, read) -> list[float]:
    return [read(c.generations[g]) for c in chains if len(c.generations) > g]


def generation_table(chains: list[Chain]) -> str:
    headers = ["arm", "gen", "chains"] + [m.label for m in MEASURES]
    rows = []
    for arm, members in by_arm(chains).items():
        for g in range(n_generations(members)):
            have = [c for c in members if len(c.generations) > g]
            rows.append([arm, str(g), str(len(have))] + [_fmt(_column(have, g, m.read), m) for m in MEASURES])
    return markdown_table(headers, rows, right=set(range(1, len(headers))))


def held_out_table(chains: list[Chain]) -> str:
    m = Measure("", None, 100.0)
    headers = ["arm", "gen"] + list(HELD_OUT)
    rows = []
    for arm, members in by_arm(chains).items():
        rows.append([arm, "base"] + [_fmt([c.base_held_out[k] for c in members], m) for k in HELD_OUT])
        for g in range(n_generations(members)):
            rows.append([arm, str(g)] + [_fmt(_column(members, g, lambda x, k=k: x.held_out[k]), m) for k in HELD_OUT])
    return markdown_table(headers, rows, right=set(range(1, len(headers))))


def halves_table(chains: list[Chain]) -> str:
    """The own tail share in each generation's first and second half of steps."""
    m = Measure("", None, 100.0)
    rows = []
    for arm, members in by_arm(chains).items():
        for g in range(n_generations(members)):
            rows.append([arm, str(g)] + [_fmt(_column(members, g, lambda x, k=k: x.own[k]), m)
                                         for k in ("rare_share_first_half", "rare_share_second_half")])
    return markdown_table(["arm", "gen", "first half of steps", "second half"], rows, right={1, 2, 3})


def slope(values: list[float]) -> float:
    """Least-squares slope over generations 0, 1, ... (NaN with fewer than two)."""
    ys = np.array(values, dtype=float)
    ok = ~np.isnan(ys)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.arange(len(ys))[ok], ys[ok], 1)[0])


def chain_slopes(chains: list[Chain], read) -> list[float]:
    return [s for c in chains if (s := slope([read(g) for g in c.generations])) == s]


def slope_table(chains: list[Chain]) -> str:
    arms = by_arm(chains)
    rows = []
    for m in MEASURES:
        slopes = {arm: chain_slopes(members, m.read) for arm, members in arms.items()}
        for arm, xs in slopes.items():
            vs_zero = fmt_effect(effect(xs, [0.0], draws=DRAWS), m) if len(xs) > 1 else "—"
            rows.append([m.label, arm, str(len(xs)), _fmt(xs, m, signed=True), vs_zero])
        if RECURSIVE in slopes and FRESH in slopes and len(slopes[RECURSIVE]) > 1 and len(slopes[FRESH]) > 1:
            rows.append([m.label, f"{FRESH} − {RECURSIVE}", "", "",
                         fmt_effect(effect(slopes[FRESH], slopes[RECURSIVE], draws=DRAWS), m)])
    headers = ["measure", "arm", "chains", "slope per generation, mean ± std",
               "slope: diff ± se [95% bootstrap]"]
    return markdown_table(headers, rows, right={2, 3, 4})


def vanished_table(chains: list[Chain], top: int = 6) -> str:
    """Per chain: kinds (each feature's values and joint kinds) of its own valid proposals in
    generation 0 never proposed in its last generation."""
    rows = []
    for c in chains:
        if len(c.generations) < 2:
            continue
        last = len(c.generations) - 1
        problems = [(g.index, f) for g in (c.generations[0], c.generations[last]) for f in g.kinds]
        gone = vanished_kinds(problems, window=1)
        joint = [v for v in gone if ", " in v.kind]
        shown = "; ".join(f"{v.kind} ({v.early_count})" for v in gone[:top]) or "none"
        rows.append([c.arm, str(c.num), f"0 → {last}", str(len(gone)), str(len(joint)),
                     f"{sum(v.early_share for v in joint):.3f}", shown])
    headers = ["arm", "chain", "gens", "kinds gone", "joint kinds gone", "their gen-0 share", "most common (gen-0 count)"]
    return markdown_table(headers, rows, right={1, 3, 4, 5})


def tables(chains: list[Chain]) -> str:
    return "\n".join([
        "Per generation: the proposer's own valid problems (fresh ones left out), per-step means over the "
        "generation's steps; the probe at the generation's final evaluation (mean ± std over chains):\n",
        generation_table(chains),
        "Held-out pass@1 (points) at the end of each generation; base: generation 0 at step 0 (mean ± std "
        "over chains):\n",
        held_out_table(chains),
        "The own tail share (points) within each generation: its first and second half of steps (mean ± std "
        "over chains):\n",
        halves_table(chains),
        "Slope over generations (per chain, least squares over generations 0..last; units of the measure "
        "per generation):\n",
        slope_table(chains),
        "Kinds of the proposer's own problems proposed in generation 0 and never in the chain's last "
        "generation (vanished_kinds, a window of one generation):\n",
        vanished_table(chains),
    ])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("root", help="the folder holding gen_0, gen_1, ...")
    p.add_argument("--out", type=Path, help="also write the tables to this markdown file")
    args = p.parse_args(argv)
    chains = load_chains(args.root)
    short = [c for c in chains if len(c.generations) < n_generations(chains)]
    if short:
        names = ", ".join(f"{c.arm} chain {c.num} ({len(c.generations)} generations)" for c in short)
        print(f"incomplete chains (a generation without a final evaluation): {names}\n", file=sys.stderr)
    text = tables(chains)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
