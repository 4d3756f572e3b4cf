"""Settings of the run's instruments (drift probes, diversity, skills): docs in README.md,
"Instruments". None of them changes what a run trains on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class InstrumentsConfig:
    enabled: bool = True
    # The solver's probe: this many of the task's held-out problems (0: all), drawn with probe_seed.
    probe_prompts: int = 64
    # The proposer's probe: per topic prompt, this many reference samples (the KL's positions)
    # and as many samples of the current proposer (diversity/eval/proposer/*), from probe_seed.
    proposer_probe_samples: int = 16
    probe_seed: int = 0
    # Tokens per position kept in the snapshot kl_to_prev compares with (exact when the
    # vocabulary is no larger: the toy world's has 56 tokens).
    probe_top_k: int = 128

    def validate(self) -> None:
        for key in ("probe_prompts", "proposer_probe_samples"):
            if getattr(self, key) < 0:
                raise ValueError(f"instruments.{key}={getattr(self, key)!r}: must be >= 0")
        if self.probe_top_k < 1:
            raise ValueError(f"instruments.probe_top_k={self.probe_top_k!r}: must be >= 1")
