"""``python -m selfplay [hydra overrides]``: run one experiment, or a sweep with ``-m``.

Exit codes: 0 done; 2 bad settings (refused before any work, ``selfplay/preflight.py``);
3 a cluster that cannot be used or did not answer in time (``selfplay/cluster.py``);
128 + signal number when stopped by SIGTERM/SIGINT (``selfplay/stopping.py``; resumable).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from selfplay.config import register
from selfplay.hydra_files import write_hydra_dir

register()

EXIT_BAD_SETTINGS = 2


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> float | None:
    from selfplay import cluster, preflight, stopping

    run_dir = Path(HydraConfig.get().runtime.output_dir)
    hydra_cfg = HydraConfig.instance().cfg
    try:
        stopping.install()
        typed = preflight.check(cfg)
        from selfplay.driver import run  # imports Ray and torch: after the fast checks

        final = run(typed, run_dir, on_start=lambda: write_hydra_dir(run_dir, cfg, hydra_cfg))
    except preflight.PreflightError as e:
        _fail(str(e), EXIT_BAD_SETTINGS)
    except cluster.ClusterError as e:
        _fail(f"{e}\nrun directory: {run_dir}", cluster.EXIT_CLUSTER)
    except stopping.Stopped as e:
        _fail(f"{stopping.message(e)}\nrun directory: {run_dir}", e.exit_code)
    finally:
        cluster.shutdown()  # each sweep job starts and stops its own local Ray
    logging.getLogger(__name__).info("run directory: %s", run_dir)
    print(f"run directory: {run_dir}")
    return final.get("eval/solver_pass@1")


def _fail(message: str, code: int) -> None:
    print(f"selfplay: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


if __name__ == "__main__":
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    main()
