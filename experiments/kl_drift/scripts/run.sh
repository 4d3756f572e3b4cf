#!/usr/bin/env bash
# The study's two multiruns, one after the other: phase 1 (levels 1-2 from the base model), then
# phase 2 (levels 3-4), whose job k starts from phase 1's job k (conf/phase/second.yaml), so both
# must sweep the same lists in the same order. Rerunning resumes each job exactly.
#   bash experiments/kl_drift/scripts/run.sh [ROOT=multirun/kl_drift] [STEPS=25]
set -euo pipefail
ROOT=${1:-multirun/kl_drift}
STEPS=${2:-25}
PY=${PYTHON:-.venv/bin/python}
SWEEP=(seed=0,1,2 algo.kl_loss_coef=0,0.03,0.3,1.0 "steps=$STEPS" eval_every=5)
for phase in first second; do
  dir=$ROOT/phase1; [ "$phase" = second ] && dir=$ROOT/phase2
  "$PY" -m selfplay -m 'hydra.searchpath=[file://experiments/kl_drift/conf]' "+phase=$phase" "${SWEEP[@]}" \
    "hydra.sweep.dir=$dir"
done
