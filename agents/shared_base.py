"""One base model, one LoRA adapter per role (``model.lora.shared_base``): both roles'
policies in one worker, the base's weights in memory once.

Each role is a policy of its own, as with a worker per role: its adapter, its optimizer
(Adam state), warm-up clock, weights version, mini-batch shuffle and checkpoint folder. They
share one module, so a call for a role first makes that role's adapter the active one, the
only one that runs and gets gradients. The KL reference is the base with every adapter off,
the same for both roles. The process's sampling stream is one, as with a shared policy.
"""

from __future__ import annotations

from typing import Any

from agents import lora
from agents.backends import BackendConfig
from agents.policy_worker import PolicyWorker, load_policy_model, start_process
from selfplay.rl import AlgoConfig

ROLES = ("solver", "proposer")


class _AdapterPolicy(PolicyWorker):
    """A role's policy on a module it shares: trains and checkpoints its adapter only."""

    def __init__(self, model, tokenizer, model_cfg, algo: AlgoConfig, *, adapter: str, seed: int, generation_batch_size: int):
        # Not PolicyWorker.__init__: the module is loaded once, by the shared-base worker.
        self._attach(model, tokenizer, model_cfg, algo, seed=seed, generation_batch_size=generation_batch_size, adapter=adapter)


class SharedBaseWorker:
    """The Ray actor: ``as_role(role, method, *args)`` is ``PolicyWorker.method(*args)`` for
    that role (the driver wraps it in a per-role handle)."""

    def __init__(self, model_path: str, model_cfg, algo: AlgoConfig, *, seed: int, threads: int, generation_batch_size: int,
                 keep_reference: bool = False, backend: BackendConfig = BackendConfig()):
        # keep_reference: under LoRA the reference is the base, no copy either way.
        if not model_cfg.lora.enabled:
            raise ValueError("model.lora.shared_base needs model.lora.enabled=true: the roles' adapters share the base")
        if backend.name != "hf":  # one engine holds one set of merged weights, not one per role
            raise ValueError(f"model.lora.shared_base runs backend=hf only, not backend={backend.name}")
        start_process(threads, seed, model_cfg.device)
        self.model, tokenizer = load_policy_model(model_path, model_cfg, adapters=ROLES)
        self.roles: dict[str, PolicyWorker] = {}
        for i, role in enumerate(ROLES):
            self.model.set_adapter(role)
            # Shuffle seeds as with a worker per role (solver seed, proposer seed + 1).
            self.roles[role] = _AdapterPolicy(
                self.model, tokenizer, model_cfg, algo, adapter=role, seed=seed + i, generation_batch_size=generation_batch_size
            )

    def as_role(self, role: str, method: str, *args) -> Any:
        if role not in self.roles or method.startswith("_") or not callable(getattr(self.roles[role], method, None)):
            raise ValueError(f"no method {method!r} of role {role!r} (roles: {list(self.roles)})")
        self.model.set_adapter(role)
        return getattr(self.roles[role], method)(*args)

    def ping(self) -> bool:
        return True
