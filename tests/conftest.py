"""Shared fixtures. ``sandbox_executor``: the bwrap sandbox, or a skip where it cannot run
here (bubblewrap missing, not root); with SELFPLAY_REQUIRE_SANDBOX=1 (CI) that is a failure."""

import os

import pytest


@pytest.fixture(scope="session")
def sandbox_executor():
    from verifiers.sandbox import SandboxUnavailable, make_executor

    try:
        executor = make_executor("bwrap", workers=2)
    except SandboxUnavailable as e:
        if os.environ.get("SELFPLAY_REQUIRE_SANDBOX") == "1":
            pytest.fail(f"SELFPLAY_REQUIRE_SANDBOX=1 but the sandbox is unavailable: {e}")
        pytest.skip(f"sandbox unavailable here: {e}")
    yield executor
    executor.close()
