#!/usr/bin/env bash
# The generations study's runs: GENS generations, each one Hydra multirun of the arms x seeds.
# Job k of generation g (g >= 1) starts from job k of generation g-1 (the same arm and chain:
# Hydra numbers the jobs in the same order every time) with init_reference=phase_start, so its
# proposer (the parent's weights) writes its problems and the parent is its KL anchor.
# Chain c of generation g runs with seed 10*g + c (new draws each generation: the topics, the
# fresh problems, the sampling), so a chain's identity is its job number, not its seed.
#
#   experiments/generations/scripts/run.sh [SWEEP_ROOT]        (default multirun/generations)
#   env: STEPS (12), GENS (5), ARMS (recursive,fresh_25), CHAINS (3), PY (.venv/bin/python),
#        LOCK (a prefix for each generation's command, e.g. "flock /tmp/cpu.lock")
# Rerunning it resumes each job exactly (a finished job is skipped by the app itself).
set -euo pipefail
ROOT=${1:-multirun/generations}
STEPS=${STEPS:-12}
GENS=${GENS:-5}
ARMS=${ARMS:-recursive,fresh_25}
CHAINS=${CHAINS:-3}
PY=${PY:-.venv/bin/python}
LOCK=${LOCK:-}
for g in $(seq 0 $((GENS - 1))); do
  seeds=$(seq -s, $((10 * g)) $((10 * g + CHAINS - 1)))
  phase=()
  if [ "$g" -gt 0 ]; then
    phase=(init_reference=phase_start "init_from=$ROOT/gen_$((g - 1))/\${hydra:job.num}")
  fi
  # shellcheck disable=SC2086  # LOCK is a command prefix
  $LOCK "$PY" -m selfplay -m 'hydra.searchpath=[file://experiments/generations/conf]' \
    "+arm=$ARMS" "seed=$seeds" "steps=$STEPS" "eval_every=$STEPS" "checkpoint_every=$STEPS" \
    "${phase[@]}" "hydra.sweep.dir=$ROOT/gen_$g"
done
