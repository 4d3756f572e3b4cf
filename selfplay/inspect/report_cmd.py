"""`report` subcommand: one self-contained HTML file (inline SVG plots, no network at view time)."""
from __future__ import annotations

import argparse
from pathlib import Path

from .rundir import open_run


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a self-contained HTML report of one run",
                       description="Write one HTML file with plots, sample rollouts and the config.")
    p.add_argument("run_dir")
    p.add_argument("--out", type=Path, help="output file (default: RUN_DIR/report.html)")
    p.add_argument("--problems", type=int, default=3, metavar="K",
                   help="sample problems per sampled step (default 3, plus one invalid proposal)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .report import build_report  # matplotlib: imported only when a report is asked for

    rdir = open_run(args.run_dir)
    out = args.out or rdir.path / "report.html"
    out.write_text(build_report(rdir, args.problems), encoding="utf-8")
    print(f"wrote {out}")
    return 0
