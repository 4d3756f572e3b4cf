"""Programs per second through the sandbox against plain subprocess: the cost of isolation.

Both sides run the same programs with the same interpreter (/usr/bin/python3 -s -P -B), the
same number of worker threads, and capture stdout/stderr. A: ``make_executor("bwrap")``
(a uid lease, prlimit, bwrap namespaces, seccomp, supervision and the uid sweep per
program). B: ``subprocess.run`` with a timeout, no isolation. Rounds alternate A, B, A, B...;
the table gives medians over rounds and the ratio B/A (how many times faster plain
subprocess is). Run it alone on the machine (``flock /tmp/cpu.lock``).

    python benchmarks/sandbox_throughput.py [--rounds 5] [--workers 2]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verifiers.sandbox import Program, SandboxLimits, make_executor  # noqa: E402

PROGRAMS = {
    "trivial": ("print(sum(range(100)))", "4950\n", 40),
    "0.5 s CPU": ("import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5:\n    pass\nprint('done')",
                  "done\n", 8),
}
LIMITS = SandboxLimits(wall_s=30.0, cpu_s=10.0)


def plain(source: str) -> str:
    proc = subprocess.run(["/usr/bin/python3", "-s", "-P", "-B", "-c", source], input=b"", capture_output=True,
                          timeout=LIMITS.wall_s, env={"PYTHONHASHSEED": "0"})
    return proc.stdout.decode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    pool = ThreadPoolExecutor(args.workers)
    print(f"workers={args.workers} rounds={args.rounds} (alternating sandbox, plain)")
    print(f"{'program':<10} {'batch':>5} {'sandbox prog/s':>15} {'plain prog/s':>13} {'plain/sandbox':>14}")
    with make_executor("bwrap", limits=LIMITS, workers=args.workers) as executor:
        for name, (source, expected, batch) in PROGRAMS.items():
            rates = {"sandbox": [], "plain": []}
            for _ in range(args.rounds):
                start = time.perf_counter()
                results = executor.run_many([Program(source)] * batch)
                rates["sandbox"].append(batch / (time.perf_counter() - start))
                assert all(r.ok and r.stdout == expected for r in results), results[0]
                start = time.perf_counter()
                outs = list(pool.map(plain, [source] * batch))
                rates["plain"].append(batch / (time.perf_counter() - start))
                assert outs == [expected] * batch
            a, b = statistics.median(rates["sandbox"]), statistics.median(rates["plain"])
            print(f"{name:<10} {batch:>5} {a:>15.1f} {b:>13.1f} {b / a:>14.2f}")
            print(f"{'':<10} {'':>5} {'rounds: ' + ' '.join(f'{x:.1f}' for x in rates['sandbox']):>15}"
                  f"  plain: {' '.join(f'{x:.1f}' for x in rates['plain'])}")


if __name__ == "__main__":
    main()
