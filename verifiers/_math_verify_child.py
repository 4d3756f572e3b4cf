"""Helper process that runs math-verify comparisons for ``math_verify_client``.

Run as a script (``python -P _math_verify_child.py PARENT_PID MEMORY_LIMIT``), not imported:
it must not depend on the ``verifiers`` package. Protocol, one JSON object per line:
it writes ``{"ready": true}`` once imports are done, then reads ``{"id", "a", "b", "cpu_s"}``
and answers ``{"id", "eq"}``. Math-verify's own signal-based timeouts are switched off: the
parent enforces the deadline by killing this process, which also stops work stuck inside C
code (huge integer powers) where a Python signal handler would never run.
"""

import json
import logging
import os
import sys


def _cap_cpu(budget_s: float) -> None:
    # Kernel-enforced backstop should the parent die mid-comparison (nobody left to kill us):
    # SIGXCPU ends this process even while it is stuck in C code. The parent's own deadline
    # (wall clock) is always shorter, so this never fires while the parent is alive.
    import math
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + budget_s)
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _limit_resources(limit_bytes: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core files from SIGXCPU
    # A runaway expression should fail with MemoryError, not take the machine's RAM.
    if limit_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))


def main() -> None:
    parent_pid, limit_bytes = int(sys.argv[1]), int(sys.argv[2])
    _limit_resources(limit_bytes)
    # Keep the protocol channel private: anything a library prints goes to stderr.
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.disable(logging.WARNING)

    from math_verify import LatexExtractionConfig, parse, verify

    config = [LatexExtractionConfig()]

    def parsed(s: str) -> list:
        return parse(
            "$" + s.replace("**", "^") + "$", extraction_config=config, parsing_timeout=None
        )

    def equal(a: str, b: str) -> bool:
        pa, pb = parsed(a), parsed(b)
        if not pa or not pb:
            return False
        # verify() is asymmetric (gold vs prediction); clustering needs a symmetric relation.
        return bool(
            verify(pa, pb, timeout_seconds=None) or verify(pb, pa, timeout_seconds=None)
        )

    out.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:  # ends at EOF, i.e. when the parent closes the pipe or dies
        if os.getppid() != parent_pid:
            return
        try:
            req = json.loads(line)
            budget_s = float(req.get("cpu_s", 60.0))
        except (ValueError, TypeError, AttributeError):
            continue
        try:
            _cap_cpu(budget_s)
        except (ValueError, OSError):
            pass
        try:
            eq = equal(str(req["a"]), str(req["b"]))
        except Exception:  # MemoryError, RecursionError, parser bugs: not equivalent
            eq = False
        out.write(json.dumps({"id": req.get("id"), "eq": eq}) + "\n")


if __name__ == "__main__":
    main()
