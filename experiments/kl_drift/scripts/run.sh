#!/usr/bin/env bash
# The study's multiruns, one after the other: phase 1 (levels 1-2 from the base model), then
# phase 2 (levels 3-4), whose job k starts from phase 1's job k (conf/phase/second.yaml), so both
# must sweep the same lists in the same order. Rerunning resumes each job exactly.
# The control `second_common` (phase2_common/) is phase 2 at one KL (0.3) for every arm: it walks
# phase 1's jobs with the dummy group phase1_kl (quoted: Hydra's group options are strings).
#   bash experiments/kl_drift/scripts/run.sh [ROOT=multirun/kl_drift] [STEPS=25] [PHASES="first second"]
#   bash experiments/kl_drift/scripts/run.sh multirun/kl_drift 25 second_common   # the control alone
set -euo pipefail
ROOT=${1:-multirun/kl_drift}
STEPS=${2:-25}
PHASES=${3:-first second}
PY=${PYTHON:-.venv/bin/python}
COMMON=("steps=$STEPS" eval_every=5)
for phase in $PHASES; do
  case $phase in
    first) dir=$ROOT/phase1; sweep=(seed=0,1,2 algo.kl_loss_coef=0,0.03,0.3,1.0) ;;
    second) dir=$ROOT/phase2; sweep=(seed=0,1,2 algo.kl_loss_coef=0,0.03,0.3,1.0) ;;
    second_common) dir=$ROOT/phase2_common; sweep=(seed=0,1,2 "+phase1_kl='0','0.03','0.3','1.0'") ;;
    *) echo "unknown phase: $phase" >&2; exit 2 ;;
  esac
  "$PY" -m selfplay -m 'hydra.searchpath=[file://experiments/kl_drift/conf]' "+phase=$phase" "${sweep[@]}" \
    "${COMMON[@]}" "hydra.sweep.dir=$dir"
done
