"""Run model-written Python programs in a sandbox: see README.md in this folder."""

from verifiers.sandbox.bwrap import SandboxConfig, SandboxUnavailable
from verifiers.sandbox.pool import EXECUTORS, Executor, make_executor
from verifiers.sandbox.types import LimitHit, Program, SandboxLimits, SandboxResult
from verifiers.sandbox.unsafe import UnsafeExecutionWarning

__all__ = [
    "EXECUTORS", "Executor", "LimitHit", "Program", "SandboxConfig", "SandboxLimits",
    "SandboxResult", "SandboxUnavailable", "UnsafeExecutionWarning", "make_executor",
]
