"""RL algorithm library: pure tensor functions (masks everywhere) plus the update loop.

Shared by both roles' policy workers; nothing here knows about Ray, prompts or roles.
"""

from selfplay.rl.advantages import compute_advantages, token_advantages
from selfplay.rl.aggregation import aggregate_loss
from selfplay.rl.config import AlgoConfig
from selfplay.rl.entropy import entropy_from_logits
from selfplay.rl.forward import ForwardWork, batch_response_logprobs, response_logprobs
from selfplay.rl.kl import apply_kl_in_reward, kl_penalty
from selfplay.rl.policy_loss import PolicyLossOutput, policy_loss
from selfplay.rl.update import (
    TrainBatch,
    build_optimizer,
    chunked_logprobs,
    is_on_policy,
    ppo_update,
    token_logprobs,
    warmup_lr,
)

__all__ = [
    "AlgoConfig",
    "ForwardWork",
    "PolicyLossOutput",
    "TrainBatch",
    "aggregate_loss",
    "apply_kl_in_reward",
    "batch_response_logprobs",
    "build_optimizer",
    "chunked_logprobs",
    "warmup_lr",
    "compute_advantages",
    "entropy_from_logits",
    "is_on_policy",
    "kl_penalty",
    "policy_loss",
    "ppo_update",
    "response_logprobs",
    "token_advantages",
    "token_logprobs",
]
