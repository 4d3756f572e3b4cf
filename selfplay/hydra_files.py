"""``RUN_DIR/.hydra/``: the invocation's config, Hydra config and overrides, as Hydra writes them.

Hydra writes them before the task function runs, so a second command on a live run's
directory would rewrite them before the run lock refuses it. ``conf/config.yaml`` turns that
off (``hydra.output_subdir: null``) and the app writes the same three files once the driver
has taken the lock and accepted the run (``driver.run(on_start=...)``).
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

SUBDIR = ".hydra"


def write_hydra_dir(run_dir: Path, task_cfg: DictConfig, hydra_cfg: DictConfig) -> None:
    """``task_cfg``: the task function's config; ``hydra_cfg``: ``HydraConfig.instance().cfg``."""
    out = run_dir / SUBDIR
    out.mkdir(parents=True, exist_ok=True)
    files = {"config.yaml": task_cfg, "hydra.yaml": hydra_cfg, "overrides.yaml": hydra_cfg.hydra.overrides.task}
    for name, cfg in files.items():
        tmp = out / f".{name}.tmp"
        tmp.write_text(OmegaConf.to_yaml(cfg), encoding="utf-8")
        tmp.replace(out / name)  # whole files only, even if killed mid-way
