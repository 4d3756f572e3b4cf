"""Read the kl_drift study's two multiruns as pairs: job k of `phase1/` (levels 1-2) and job k of
`phase2/` (levels 3-4, started from it). Per pair: the KL coefficient, the seed, phase 1's drift
from the base model at its last evaluation, and phase 2's gain on its own mix (held-out levels 3
and 4) from its step 0 to its middle and last evaluations, and its area under the gain curve.
The control's phase 2 (`phase2_common/`, one KL for every arm) records the phase-1 KL it continues
in the dummy override `+phase1_kl`; the pairing is checked against that instead of phase 2's KL."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from selfplay.inspect.sweep import Job, load_jobs, override_key

KL_KEY = "algo.kl_loss_coef"
PHASE1_KL_KEY = "phase1_kl"  # the control's dummy group (conf/phase1_kl/): phase 1's KL, quoted
TARGET_LEVELS = (3, 4)  # phase 2's mix: what it should learn
KNOWN_LEVELS = (1, 2)  # phase 1's mix: what phase 2 may forget
DRIFT = ("drift/solver/kl_to_base", "drift/solver/changed_vs_base")


@dataclass(frozen=True)
class Pair:
    num: int
    kl: float
    seed: str
    drift_kl: float  # phase 1, last evaluation: per-token KL(policy || base)
    drift_changed: float  # phase 1, last evaluation: share of probes whose greedy answer changed
    p1_gain_known: float  # phase 1: gain on levels 1-2 pass@1 (its own mix)
    p1_gain_target: float  # phase 1: gain on levels 3-4 pass@1 (before phase 2 trains on them)
    p2_steps: tuple[int, int]  # phase 2's middle and last evaluated steps
    p2_gain_mid: float  # phase 2: levels 3-4 pass@1 at the middle evaluation minus its step 0
    p2_gain: float  # phase 2: levels 3-4 pass@1 at the last evaluation minus its step 0
    p2_auc: float  # phase 2: mean of the levels 3-4 gain over its evaluations after step 0
    p2_gain_known: float  # phase 2: levels 1-2 pass@1, last evaluation minus step 0 (forgetting)
    p2_gain_overall: float  # phase 2: all levels' pass@1, last evaluation minus step 0
    p2_drift_kl: float  # phase 2, last evaluation: KL to its own anchor (init_reference=phase_start)
    p2_kl: float | None  # phase 2's own KL coefficient (None: neither overridden nor in its config)


def _setting(job: Job) -> dict[str, str]:
    return {override_key(o): o.split("=", 1)[1] for o in job.setting if "=" in o}


def _float(value: str) -> float:
    return float(value.strip("'\""))  # a Hydra group option is a string: '0.03'


def phase2_kl(job: Job) -> float | None:
    """Phase 2's KL coefficient: its override, else the resolved config Hydra wrote."""
    s = _setting(job)
    if KL_KEY in s:
        return _float(s[KL_KEY])
    if not job.run.config_path.exists():
        return None
    value = (yaml.safe_load(job.run.config_path.read_text()) or {}).get("algo", {}).get("kl_loss_coef")
    return None if value is None else float(value)


def evals(df: pd.DataFrame, name: str = "pass@1") -> pd.DataFrame:
    """Per evaluated step: the mean pass@1 of the target levels, of the known levels, overall."""
    cols = {"target": [f"eval/level_{k}/{name}" for k in TARGET_LEVELS],
            "known": [f"eval/level_{k}/{name}" for k in KNOWN_LEVELS], "overall": [f"eval/solver_{name}"]}
    rows = df.set_index("step")
    rows = rows[rows[cols["overall"][0]].notna()]
    return pd.DataFrame({part: rows[c].mean(axis=1) for part, c in cols.items()})


def last_drift(df: pd.DataFrame) -> tuple[float, float]:
    rows = df.set_index("step")[list(DRIFT)].dropna()
    if rows.empty:
        raise ValueError("no drift/solver/* evaluation")
    return float(rows.iloc[-1][DRIFT[0]]), float(rows.iloc[-1][DRIFT[1]])


def _gain(ev: pd.DataFrame, part: str, step: int) -> float:
    return float(ev.loc[step, part] - ev.loc[0, part])


def pair(p1: Job, p2: Job, name: str = "pass@1") -> Pair:
    """Raises if the two jobs are not the same setting: same seed, and phase 1's KL coefficient
    equal to the one phase 2 records for it (its +phase1_kl, else its own KL coefficient)."""
    s1, s2 = _setting(p1), _setting(p2)
    key2 = PHASE1_KL_KEY if PHASE1_KL_KEY in s2 else KL_KEY
    kl1, kl2 = s1.get(KL_KEY), s2.get(key2)
    if kl1 is None or kl2 is None or p1.seed != p2.seed or _float(kl1) != _float(kl2):
        raise ValueError(f"job {p1.num}: phase 1 (seed={p1.seed}, {KL_KEY}={kl1}) and "
                         f"phase 2 (seed={p2.seed}, {key2}={kl2}) are not a pair")
    e1, e2 = evals(p1.metrics, name), evals(p2.metrics, name)
    last1 = int(e1.index.max())
    steps2 = [int(s) for s in e2.index if s > 0]
    if not steps2:
        raise ValueError(f"phase 2 job {p2.num}: no evaluation after step 0")
    mid, last2 = steps2[(len(steps2) - 1) // 2], steps2[-1]
    return Pair(num=p1.num, kl=_float(kl1), seed=p1.seed or "", drift_kl=last_drift(p1.metrics)[0],
                drift_changed=last_drift(p1.metrics)[1], p1_gain_known=_gain(e1, "known", last1),
                p1_gain_target=_gain(e1, "target", last1), p2_steps=(mid, last2),
                p2_gain_mid=_gain(e2, "target", mid), p2_gain=_gain(e2, "target", last2),
                p2_auc=float(sum(_gain(e2, "target", s) for s in steps2) / len(steps2)),
                p2_gain_known=_gain(e2, "known", last2), p2_gain_overall=_gain(e2, "overall", last2),
                p2_drift_kl=last_drift(p2.metrics)[0], p2_kl=phase2_kl(p2))


def _done(job: Job) -> bool:
    return job.metrics is not None and "eval/solver_pass@1" in job.metrics and \
        bool((job.metrics.dropna(subset=["eval/solver_pass@1"])["step"] > 0).any())


def load_pairs(phase1_dir: str | Path, phase2_dir: str | Path, name: str = "pass@1") -> tuple[list[Pair], list[int]]:
    """(pairs in job order, job numbers left out: either phase missing or not evaluated after step 0)."""
    one = {j.num: j for j in load_jobs(phase1_dir)}
    two = {j.num: j for j in load_jobs(phase2_dir)}
    nums = sorted(set(one) | set(two))
    kept = [n for n in nums if n in one and n in two and _done(one[n]) and _done(two[n])]
    return [pair(one[n], two[n], name) for n in kept], [n for n in nums if n not in kept]
