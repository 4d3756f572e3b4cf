"""Typed settings of the RL update; defaults are SQLM's GRPO recipe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from selfplay.rl.advantages import ESTIMATORS as ADV_ESTIMATORS
from selfplay.rl.aggregation import LOSS_AGG_MODES
from selfplay.rl.kl import KL_ESTIMATORS


@dataclass
class AlgoConfig:
    # Only str/int/float/bool/Optional fields, so OmegaConf can use this as a structured config.
    name: str = "grpo"
    adv_estimator: str = "grpo"
    norm_adv_by_std_in_grpo: bool = True
    clip_ratio_low: float = 0.2
    clip_ratio_high: float = 0.2
    clip_ratio_c: Optional[float] = None  # dual-clip bound for negative advantages; None disables it
    loss_agg_mode: str = "token-mean"
    # Constant denominator for seq-mean-token-sum-norm (set it to max_new_tokens);
    # None: the longest response in the rollout batch.
    loss_agg_norm_length: Optional[int] = None
    use_kl_loss: bool = True
    kl_loss_coef: float = 0.001
    kl_loss_type: str = "k3"
    use_kl_in_reward: bool = False
    kl_reward_coef: float = 0.001
    kl_reward_type: str = "k1"
    entropy_coeff: float = 0.0
    ppo_epochs: int = 1
    ppo_mini_batch_size: int = 0  # 0: the whole rollout batch is one mini-batch (one optimizer step per epoch)
    # Rows per forward pass, in the update (gradient accumulation) and in the no-grad
    # old-policy/reference passes before it; 0: the whole batch at once.
    ppo_micro_batch_size: int = 0
    max_grad_norm: float = 1.0
    lr: float = 1e-6
    # Linear warm-up over the first updates (verl's optim.lr_warmup_steps): Adam's first
    # steps move every weight by ~lr whatever its gradient's noise, which a small policy
    # trained on small RL batches does not survive at full lr.
    lr_warmup_steps: int = 0
    weight_decay: float = 0.0
    # Truncated importance sampling of the policy-gradient loss by min(p_trainer / p_sampler,
    # tis_cap) per token (selfplay/rl/rollout_correction.py): corrects for a sampler whose
    # log-probs differ from the trainer's (backend=vllm). null: off, the loss untouched.
    tis_cap: Optional[float] = None

    def validate(self) -> AlgoConfig:
        """Raise ValueError naming the first bad field; return self so calls can chain."""

        def bad(field: str, why: str) -> None:
            raise ValueError(f"algo.{field}={getattr(self, field)!r}: {why}")

        def one_of(field: str, registry) -> None:
            registry.check(getattr(self, field), f"algo.{field}")

        one_of("adv_estimator", ADV_ESTIMATORS)
        one_of("loss_agg_mode", LOSS_AGG_MODES)
        one_of("kl_loss_type", KL_ESTIMATORS)
        one_of("kl_reward_type", KL_ESTIMATORS)
        if not 0.0 <= self.clip_ratio_low < 1.0:
            bad("clip_ratio_low", "must be in [0, 1) so that the lower bound 1 - clip_ratio_low stays positive")
        if self.clip_ratio_high < 0.0:
            bad("clip_ratio_high", "must be >= 0")
        if self.clip_ratio_c is not None and not self.clip_ratio_c > 1.0:
            bad("clip_ratio_c", "dual-clip bound must be > 1 (or null to disable)")
        if self.loss_agg_norm_length is not None and self.loss_agg_norm_length <= 0:
            bad("loss_agg_norm_length", "must be a positive int (or null)")
        for f in ("kl_loss_coef", "kl_reward_coef", "entropy_coeff", "weight_decay"):
            if getattr(self, f) < 0:
                bad(f, "must be >= 0")
        if self.ppo_epochs < 1:
            bad("ppo_epochs", "must be >= 1")
        for f in ("ppo_mini_batch_size", "ppo_micro_batch_size"):
            if getattr(self, f) < 0:
                bad(f, "must be >= 0 (0 means the whole batch)")
        if (
            self.ppo_micro_batch_size
            and self.ppo_mini_batch_size
            and self.ppo_micro_batch_size > self.ppo_mini_batch_size
        ):
            bad("ppo_micro_batch_size", f"must be <= ppo_mini_batch_size ({self.ppo_mini_batch_size})")
        if not self.max_grad_norm > 0:
            bad("max_grad_norm", "must be > 0")
        if not self.lr > 0:
            bad("lr", "must be > 0")
        if self.tis_cap is not None and not self.tis_cap > 0:
            bad("tis_cap", "must be > 0 (or null to disable; verl's default cap is 2)")
        if self.lr_warmup_steps < 0:
            bad("lr_warmup_steps", "must be >= 0 (0: no warm-up)")
        return self
