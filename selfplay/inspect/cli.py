"""`python -m selfplay.inspect {rollouts,summary,report,compare} ...`."""
from __future__ import annotations

import argparse
import os
import sys

from . import compare_cmd, report_cmd, rollouts_cmd, summary_cmd
from .rundir import InspectError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m selfplay.inspect",
        description="Inspect selfplay run directories: rollouts, metrics, reports, sweeps.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    for cmd in (rollouts_cmd, summary_cmd, report_cmd, compare_cmd):
        cmd.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InspectError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `... | head` closed the pipe: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no 2nd error at exit
        return 0
