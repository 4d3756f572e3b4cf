import sys
from pathlib import Path

import pytest

# tests/ is not a package (and tests/inspect must not become one named `inspect`, shadowing the
# stdlib), so make the helper module importable whatever pytest's import mode is.
sys.path.insert(0, str(Path(__file__).parent))

from inspect_synth import write_run  # noqa: E402


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory) -> Path:
    """A 12-step synthetic run, shared read-only by tests."""
    return write_run(tmp_path_factory.mktemp("run") / "run")


@pytest.fixture(scope="session")
def report_file(run_dir, tmp_path_factory) -> Path:
    """The HTML report of run_dir, built once (matplotlib makes it the slow part)."""
    from selfplay.inspect.report import build_report
    from selfplay.inspect.rundir import open_run

    out = tmp_path_factory.mktemp("report") / "report.html"
    out.write_text(build_report(open_run(run_dir)), encoding="utf-8")
    return out
