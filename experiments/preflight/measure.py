"""Time to refusal of each bad setting in tests/testkit/bad_settings.py: ``python -m selfplay
<overrides>`` wall time, exit code and the message line naming the key, as a Markdown table.

    flock /tmp/cpu.lock .venv/bin/python experiments/preflight/measure.py

For scale, the first line times ``python -c "import selfplay.__main__"`` (interpreter, Hydra,
and the imports of the typed config), the floor under every refusal.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from testkit.bad_settings import BAD_SETTINGS  # noqa: E402


def timed(cmd: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    return time.perf_counter() - t0, proc


def main() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "SELFPLAY_FAULT")}
    floor = [timed([sys.executable, "-c", "import selfplay.__main__"], env)[0] for _ in range(3)]
    print(f"import floor (python -c 'import selfplay.__main__'), median of 3: {statistics.median(floor):.1f} s\n")
    print("| overrides | exit | seconds | message |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for i, (overrides, key) in enumerate(BAD_SETTINGS):
            seconds, proc = timed([sys.executable, "-m", "selfplay", f"hydra.run.dir={tmp}/{i}", *overrides], env)
            line = next((s.strip()[2:] for s in proc.stderr.splitlines() if s.strip().startswith(f"- {key}=")), None)
            ray_started = "Started a local Ray" in proc.stdout + proc.stderr or "started a local Ray" in proc.stdout + proc.stderr
            message = line if line else f"NOT REFUSED NAMING {key}: {proc.stderr[-300:]!r}"
            if ray_started:
                message += " (RAY STARTED)"
            cell = message.replace("|", "\\|")
            print(f"| `{' '.join(overrides)}` | {proc.returncode} | {seconds:.1f} | {cell} |", flush=True)


if __name__ == "__main__":
    main()
