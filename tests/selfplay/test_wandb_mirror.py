"""W&B is optional: a clear error without the package, an offline run (no account) with it."""

import sys

import pytest

from selfplay.tracking.mirrors import WANDB_MISSING, WandbMirror, require_wandb


def test_enabling_wandb_without_the_package_fails_clearly(monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # what an absent package looks like to import
    with pytest.raises(RuntimeError) as err:
        require_wandb()
    assert str(err.value) == WANDB_MISSING


def test_offline_run_needs_no_account(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    for var in ("WANDB_MODE", "WANDB_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    mirror = WandbMirror(tmp_path, "selfplay", {"seed": 0}, run_id="testrun1")
    mirror.log(0, {"eval/solver_pass@1": 0.25, "train/solver/kl": float("nan")})
    mirror.log(1, {"eval/solver_pass@1": 0.5})
    mirror.close()
    (run,) = (tmp_path / "wandb").glob("offline-run-*-testrun1")
    assert (run / "run-testrun1.wandb").stat().st_size > 0
