"""``python -m selfplay [hydra overrides]``: run one experiment, or a sweep with ``-m``."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from selfplay.config import register, to_config
from selfplay.hydra_files import write_hydra_dir

register()


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> float | None:
    from selfplay.driver import run

    typed = to_config(cfg)
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    hydra_cfg = HydraConfig.instance().cfg
    try:
        final = run(typed, run_dir, on_start=lambda: write_hydra_dir(run_dir, cfg, hydra_cfg))
    finally:
        import ray

        if ray.is_initialized() and not typed.cluster.address:
            ray.shutdown()  # each sweep job starts and stops its own local Ray
    logging.getLogger(__name__).info("run directory: %s", run_dir)
    print(f"run directory: {run_dir}")
    return final.get("eval/solver_pass@1")


if __name__ == "__main__":
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    main()
