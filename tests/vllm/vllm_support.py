"""Helpers of the vLLM tests (imported by name: tests/ is not a package)."""

import os

import pytest

# Set to 1 to let the vLLM tests skip where vllm is not installed; without it they fail, so a
# run that was meant to test vLLM (scripts/test installs it) cannot pass by skipping them.
ALLOW_SKIP = "SELFPLAY_ALLOW_NO_VLLM"


def require_vllm() -> None:
    try:
        import vllm  # noqa: F401
    except ImportError:
        from agents.vllm_backend import INSTALL_HINT

        if os.environ.get(ALLOW_SKIP) == "1":
            pytest.skip(f"vllm not installed and {ALLOW_SKIP}=1")
        pytest.fail(f"{INSTALL_HINT} ({ALLOW_SKIP}=1 skips these tests instead)")
