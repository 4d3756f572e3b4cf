"""Print the hostile battery's table: ``python benchmarks/sandbox_battery.py`` (see
verifiers/sandbox/battery.py; the same cases run in tests/sandbox/test_sandbox_battery.py)."""

import os
import sys
from pathlib import Path

repo = Path(__file__).resolve().parents[1]
os.chdir(repo)
os.execv(sys.executable, [sys.executable, "-m", "verifiers.sandbox.battery", *sys.argv[1:]])
