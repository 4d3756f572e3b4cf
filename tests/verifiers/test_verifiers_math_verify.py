"""The math-verify path: symbolic equivalence, and a hard time bound that survives sympy hangs."""

import threading
import time

import pytest

pytest.importorskip("math_verify")

from verifiers.equivalence import is_equivalent  # noqa: E402
from verifiers.math_verify_client import get_client, math_verify_stats, timeouts  # noqa: E402

SLACK_S = 0.5
# Both sides parse; comparing them makes sympy evaluate towers of powers for minutes.
TOWER_A, TOWER_B = "9^{9^{9^{9^9}}}", "10^{10^{10^{10}}}"


def mv(a, b, timeout_s=2.0):
    return is_equivalent(a, b, mode="math_verify", timeout_s=timeout_s)


def timed_mv(a, b, timeout_s):
    """(result, seconds spent, not counting a helper start-up the call had to wait for)."""
    before = math_verify_stats().startup_wait_s
    t0 = time.perf_counter()
    result = mv(a, b, timeout_s)
    elapsed = time.perf_counter() - t0
    return result, elapsed - (math_verify_stats().startup_wait_s - before)


@pytest.fixture(scope="module", autouse=True)
def helper():
    get_client().warm_up()
    yield


@pytest.mark.parametrize(
    "a, b",
    [
        ("x^2+2x+1", "(x+1)^2"),
        ("(x+1)**2", "x^2+2x+1"),
        ("\\sqrt{2}/2", "\\frac{1}{\\sqrt{2}}"),
        ("10^3", "1000"),
        ("\\frac{\\pi}{2}", "\\pi/2"),
        ("x = \\frac{1}{2}", "\\frac{1}{2}"),
    ],
)
def test_symbolic_equivalence(a, b):
    assert mv(a, b) and mv(b, a)


@pytest.mark.parametrize(
    "a, b",
    [
        ("x^2+1", "(x+1)^2"),
        ("yes", "sey"),  # prose stays with string equality (math-verify reads y*e*s)
        ("0.333333", "1/3"),  # numbers keep exact semantics in every mode
        ("\\sqrt{2}", "1.414"),
    ],
)
def test_not_equivalent(a, b):
    assert not mv(a, b) and not mv(b, a)


def test_pathological_input_is_cut_off_and_helper_recovers():
    before = timeouts()
    result, elapsed = timed_mv(TOWER_A, TOWER_B, timeout_s=1.0)
    assert result is False
    assert elapsed < 1.0 + SLACK_S
    assert timeouts() == before + 1
    # The replacement helper answers the next, ordinary questions correctly.
    assert mv("\\frac{1}{2}", "0.5")
    assert mv("x^2+2x+1", "(x+1)^2")


def test_bound_holds_off_the_main_thread():
    # math-verify's own signal.alarm timeout cannot work here; ours must.
    out = {}

    def work():
        out["slow"] = timed_mv(TOWER_A, TOWER_B, timeout_s=0.5)
        out["fast"] = mv("2x+2x", "4x")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=30)
    assert out["slow"][0] is False and out["slow"][1] < 0.5 + SLACK_S
    assert out["fast"] is True


def test_helper_killed_from_outside_is_replaced():
    client = get_client()
    client._proc.kill()
    client._proc.wait()
    assert mv("(a+b)^2", "a^2+2ab+b^2")


def test_nonpositive_timeout_never_calls_the_helper():
    calls = math_verify_stats().calls
    assert not mv("x+x", "2x", timeout_s=0)
    assert math_verify_stats().calls == calls
