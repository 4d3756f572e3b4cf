"""`rollouts` subcommand: filtered rollout rows as a fixed-width table, or full records."""
from __future__ import annotations

import argparse
import shutil

import pandas as pd

from selfplay.contamination import NGRAM

from .problems import ProblemView, link_problems
from .rollouts import RolloutQuery, load_rollouts, rollout_files
from .rundir import open_run
from .steps import parse_step, parse_steps
from .textfmt import Col, clean, fmt_num, is_missing, one_line, render_table

DEFAULT_LIMIT = 50


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rollouts",
        help="list or show logged rollouts",
        description="List rollout rows (both roles) as a table, or --show full records with each "
        "proposer problem followed by its solver attempts. Steps are inclusive.",
    )
    p.add_argument("run_dir")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--step", help="one step (an integer, or 'last')")
    where.add_argument("--steps", metavar="A:B", help="inclusive step range; A: or :B for open ends")
    p.add_argument("--role", choices=["proposer", "solver"])
    p.add_argument("--min-agreement", type=float, metavar="X", help="problem agreement rate >= X")
    p.add_argument("--max-agreement", type=float, metavar="Y", help="problem agreement rate <= Y")
    p.add_argument("--min-reward", type=float, metavar="R")
    valid = p.add_mutually_exclusive_group()
    valid.add_argument("--valid", dest="valid", action="store_const", const=True)
    valid.add_argument("--invalid", dest="valid", action="store_const", const=False)
    p.add_argument("--group", metavar="G", help="only this group_id")
    p.add_argument("--limit", type=int, default=DEFAULT_LIMIT, metavar="K",
                   help=f"at most K table rows, or K problems with --show "
                   f"(default {DEFAULT_LIMIT}; 0: all)")
    p.add_argument("--show", action="store_true", help="print full records instead of a table")
    p.add_argument("--width", type=int, help="table width (default: terminal width, 160 when piped)")
    p.set_defaults(func=run)


def query_from_args(args: argparse.Namespace, last_step: int | None) -> RolloutQuery:
    lo = hi = None
    if args.step is not None:
        lo, hi = parse_step(args.step, last_step)
    elif args.steps is not None:
        lo, hi = parse_steps(args.steps)
    return RolloutQuery(first_step=lo, last_step=hi, role=args.role,
                        min_agreement=args.min_agreement, max_agreement=args.max_agreement,
                        min_reward=args.min_reward, valid=args.valid, group=args.group)


def run(args: argparse.Namespace) -> int:
    rdir = open_run(args.run_dir)
    steps = list(rollout_files(rdir))
    query = query_from_args(args, steps[-1] if steps else None)
    rows = load_rollouts(rdir, query)
    if rows.empty:
        print(f"no rollout rows match (run has {len(steps)} rollout files)")
        return 0
    limit = args.limit if args.limit > 0 else None
    if args.show:
        print(show_text(link_problems(rows), limit))
    else:
        width = args.width or shutil.get_terminal_size(fallback=(160, 40)).columns
        print(table_text(rows, width, limit))
    return 0


# ---- table -----------------------------------------------------------------------------------

_FIXED = [
    Col("step", 5, ">"), Col("role", 8), Col("group", 10), Col("#", 3, ">"), Col("valid", 9),
    Col("reward", 7, ">"), Col("adv", 7, ">"), Col("agree", 5, ">"), Col("answer", 10),
    Col("majority", 10), Col("truth", 10), Col("ok", 2),
]


def _true(v: object) -> bool:
    return not is_missing(v) and bool(v)


def _cell(v: object) -> str:
    return "" if is_missing(v) else one_line(str(v))


def _row(r: pd.Series) -> list[str]:
    solver = r["role"] == "solver"
    valid = "yes" if _true(r.get("valid")) else _cell(r.get("invalid_reason")) or "no"
    correct = r.get("correct")
    text = r["completion"] if solver or is_missing(r.get("parsed")) else r["parsed"]
    return [
        str(r["step"]), str(r["role"]), _cell(r["group_id"]), str(r["sample_idx"]), valid,
        fmt_num(r.get("reward")), fmt_num(r.get("advantage")), fmt_num(r.get("agreement")),
        _cell(r.get("parsed")) if solver else "", _cell(r.get("majority_answer")),
        _cell(r.get("ground_truth")), "" if is_missing(correct) else ("y" if correct else "n"),
        _cell(text),
    ]


def table_text(rows: pd.DataFrame, width: int, limit: int | None) -> str:
    shown = rows if limit is None else rows.head(limit)
    used = sum(c.width for c in _FIXED) + 2 * len(_FIXED)
    cols = _FIXED + [Col("problem / completion", max(20, width - used))]
    out = render_table(cols, [_row(r) for _, r in shown.iterrows()])
    steps = f"steps {rows['step'].min()}–{rows['step'].max()}"
    if len(shown) < len(rows):
        return out + f"\n… {len(shown)} of {len(rows)} rows ({steps}); --limit 0 shows all"
    return out + f"\n{len(rows)} rows ({steps})"


# ---- full records ----------------------------------------------------------------------------


def _indent(text: object, pad: str = "    ") -> str:
    if is_missing(text):
        return pad + "(none)"
    return "\n".join(pad + line for line in clean(str(text)).splitlines() or [""])


def _fields(r: pd.Series, names: list[tuple[str, str]]) -> str:
    return "  ".join(f"{label}: {fmt_num(r.get(k)) or '—'}" for label, k in names)


def _multiline(v: object) -> bool:
    return not is_missing(v) and "\n" in str(v)


def _short(v: object) -> str:
    """A header cell: one line, or a pointer to its block below (code tasks' tests, outputs)."""
    return "(below)" if _multiline(v) else (_cell(v) or "—")


def _blocks(r: pd.Series, names: list[tuple[str, str]], head: str = "") -> list[str]:
    """Multi-line values as indented blocks (a code problem's tests, a program and its test
    results), each value once (``code``'s label is its tests)."""
    out, seen = [], set()
    for label, key in names:
        value = r.get(key)
        if (_multiline(value) or (key == "details" and not is_missing(value))) and str(value) not in seen:
            seen.add(str(value))
            out += [f"{head}{label}:", _indent(value, head + "    ")]
    return out


def _proposal_text(r: pd.Series) -> list[str]:
    valid = "yes" if _true(r.get("valid")) else f"no ({_cell(r.get('invalid_reason')) or '?'})"
    return [
        f"=== step {r['step']} · proposer · group {_cell(r['group_id'])} · sample {r['sample_idx']} ===",
        f"topic: {_cell(r.get('topic'))}  level: {fmt_num(r.get('level')) or '—'}  valid: {valid}"
        f"  trained: {fmt_num(r.get('trained')) or '—'}  source: {_cell(r.get('source')) or '—'}",
        _fields(r, [("reward", "reward"), ("advantage", "advantage"), ("agreement", "agreement")])
        + f"  majority: {_short(r.get('majority_answer'))}"
        + f"  label: {_short(r.get('label'))}"
        + f"  ground truth: {_short(r.get('ground_truth'))}",
        "prompt:", _indent(r.get("prompt")),
        "completion:", _indent(r.get("completion")),
        "parsed problem:", _indent(r.get("parsed")),
        *_overlap(r),
        *_blocks(r, [("tests / inputs", "details"), ("majority", "majority_answer"), ("label", "label"),
                     ("ground truth", "ground_truth")]),
    ]


def _overlap(r: pd.Series) -> list[str]:
    """The contamination check's result (selfplay/contamination.py), where the run made one."""
    n = r.get("overlap_words")
    if is_missing(n):
        return []
    if n == 0:
        return ["benchmark overlap: no word in common with any prompt: clean"]
    verdict = f"contaminated (>= {NGRAM})" if n >= NGRAM else f"clean (< {NGRAM})"
    return [f"benchmark overlap: {int(n)} words in a row shared with {_cell(r.get('overlap_with'))}: {verdict}"]


def _attempts_text(attempts: pd.DataFrame, header: bool) -> list[str]:
    first = attempts.iloc[0]
    out = []
    if header:  # no proposal shown above: say which problem this is
        out += [f"=== step {first['step']} · solver group {_cell(first['group_id'])} ===",
                _fields(first, [("agreement", "agreement")])
                + f"  majority: {_cell(first.get('majority_answer')) or '—'}"
                + f"  ground truth: {_cell(first.get('ground_truth')) or '—'}"]
    out += [f"  --- {len(attempts)} solver attempt(s), group {_cell(first['group_id'])} ---",
            "  prompt:", _indent(first.get("prompt"), "      ")]
    for _, a in attempts.iterrows():
        ok = "" if is_missing(a.get("correct")) else ("  correct" if a["correct"] else "  wrong")
        out.append(f"  [{a['sample_idx']}] answer: {_short(a.get('parsed'))}{ok}  "
                   + _fields(a, [("reward", "reward"), ("advantage", "advantage")])
                   + f"  tokens: {fmt_num(a.get('completion_tokens'))}")
        out.append(_indent(a.get("completion"), "      "))
        out += _blocks(a, [("program", "parsed"), ("results", "details")], "    ")
    return out


def show_text(views: list[ProblemView], limit: int | None) -> str:
    shown = views if limit is None else views[:limit]
    blocks = []
    for v in shown:
        lines = _proposal_text(v.proposal) if v.proposal is not None else []
        if not v.attempts.empty:
            lines += _attempts_text(v.attempts, header=v.proposal is None)
        blocks.append("\n".join(lines))
    tail = ""
    if len(shown) < len(views):
        tail = f"\n… {len(shown)} of {len(views)} problems; --limit 0 shows all"
    return "\n\n".join(blocks) + tail
