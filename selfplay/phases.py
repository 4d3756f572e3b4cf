"""Phases: a run that starts from another run's weights, so "learn A, then B" is two commands.

``init_from=RUN_DIR`` (that run's latest intact checkpoint) or ``init_from=.../checkpoints/step_NNNNNN``.
Weights only: the new run has its own directory, a fresh optimizer, warm-up clock, curriculum
and random state. ``init_reference`` chooses the KL reference (the training loss's anchor and
the drift probes' "base"): ``base``, the model of ``model.path`` as in any run, or
``phase_start``, the weights the phase starts from.

Checked before any work (``resolve``, then ``check_shapes`` once the model path is known): the
source exists, is an intact checkpoint, holds the workers this run needs, and its tensors
have this run's model's shapes. A resumed phase run loads the source again first (with
``phase_start`` it is the reference), so the source must stay where it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from selfplay.checkpoint import MARKER, latest_checkpoint, problem, scan

if TYPE_CHECKING:
    from selfplay.actors import Actors
    from selfplay.config import Config


@dataclass(frozen=True)
class PhaseSource:
    checkpoint: Path
    folders: dict[str, Path]  # this run's worker folder name -> the source worker's folder


def resolve(cfg: Config, run_dir: Path) -> PhaseSource | None:
    """The checkpoint ``init_from`` names and the worker folder each of this run's workers starts
    from; None without ``init_from``. Raises on anything missing or damaged."""
    if cfg.init_from is None:
        return None
    key = f"init_from={cfg.init_from!r}"
    path = Path(cfg.init_from)
    if not path.exists():
        raise FileNotFoundError(f"{key}: no such run directory or checkpoint")
    if path.resolve() == run_dir.resolve():
        raise ValueError(f"{key}: this run's own directory; a phase starts a run directory of its own")
    if (path / MARKER).exists() or path.name.startswith("step_"):
        if (why := problem(path)) is not None:
            raise ValueError(f"{key}: not an intact checkpoint ({why})")
        ckpt = path
    else:
        ckpt = latest_checkpoint(path)
        if ckpt is None:
            _, bad = scan(path)
            listed = "; ".join(f"{p.name}: {why}" for p, why in bad.items()) or "no checkpoints/step_* folder"
            raise ValueError(f"{key}: no intact checkpoint in that run ({listed})")
    have = {d.name for d in ckpt.iterdir() if (d / "model").is_dir()}
    need = ["policy"] if cfg.selfplay.shared_policy else ["solver", "proposer"]
    if "policy" in have:  # one shared policy: every role of the new run starts from it
        folders = {name: ckpt / "policy" for name in need}
    elif need == ["policy"]:
        raise ValueError(f"{key}: {ckpt} holds a policy per role ({sorted(have)}); this run shares one "
                         "(selfplay.shared_policy=true): which role's weights to start from is ambiguous")
    elif missing := [n for n in need if n not in have]:
        raise ValueError(f"{key}: {ckpt} has no worker folder {missing} (it has {sorted(have)})")
    else:
        folders = {name: ckpt / name for name in need}
    return PhaseSource(ckpt, folders)


def check_shapes(source: PhaseSource, model_path: str, gguf_file: str | None) -> None:
    """Every tensor of the source's weights exists in this run's model with the same shape, and
    every tensor of the model is in the source (tied ones aside)."""
    target, tied = _model_shapes(model_path, gguf_file)
    for name, folder in source.folders.items():
        have = _checkpoint_shapes(folder / "model")
        wrong = [f"{k}: {tuple(v)} vs {tuple(target[k])}" for k, v in have.items() if k in target and v != target[k]]
        extra = [k for k in have if k not in target]
        missing = [k for k in target if k not in have and k not in tied]
        if wrong or extra or missing:
            parts = [f"{len(wrong)} shapes differ (e.g. {wrong[:3]})" if wrong else "",
                     f"{len(extra)} tensors unknown to this model (e.g. {extra[:3]})" if extra else "",
                     f"{len(missing)} of this model's tensors missing (e.g. {missing[:3]})" if missing else ""]
            raise ValueError(f"init_from: the weights in {folder / 'model'} do not fit this run's model "
                             f"({model_path}): " + "; ".join(p for p in parts if p))


def start(source: PhaseSource, cfg: Config, actors: Actors) -> None:
    """Load the source weights into every worker (and with ``phase_start`` make them its reference)."""
    for name, worker in actors.policies(cfg.selfplay.shared_policy).items():
        worker.start_phase(str(source.folders[name]), cfg.init_reference)


def _checkpoint_shapes(folder: Path) -> dict[str, list[int]]:
    """Tensor name -> shape from the safetensors headers (nothing is loaded)."""
    from safetensors import safe_open

    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise ValueError(f"init_from: no *.safetensors weights in {folder}")
    shapes = {}
    for f in files:
        with safe_open(str(f), framework="pt") as st:
            shapes.update({k: list(st.get_slice(k).get_shape()) for k in st.keys()})
    return shapes


def _model_shapes(model_path: str, gguf_file: str | None) -> tuple[dict[str, list[int]], set[str]]:
    """This run's model's tensor shapes from its config alone (built on the meta device), and
    the names of tensors tied to another (a checkpoint stores them once)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from agents.models import resolve_gguf, resolve_path

    path = resolve_path(model_path)
    kwargs = {}
    if gguf_file:
        kwargs["gguf_file"] = resolve_gguf(path, gguf_file) if Path(path).is_dir() else gguf_file
    config = AutoConfig.from_pretrained(path, **kwargs)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    shapes = {k: list(v.shape) for k, v in model.state_dict().items()}
    tied: set[str] = set()
    if getattr(config, "tie_word_embeddings", False):
        keys = getattr(model, "_tied_weights_keys", None) or []
        tied = set(keys.keys() if isinstance(keys, dict) else keys)
    return shapes, tied
