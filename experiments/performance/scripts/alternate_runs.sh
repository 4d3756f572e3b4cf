#!/usr/bin/env bash
# Before/after runs of one experiment, alternating: the checkout at BASE_DIR (e.g. main's
# commit, `git archive <commit> | tar -x -C BASE_DIR`) and this checkout, ROUNDS times each,
# into OUT/{base,new}_<i>. Extra arguments are Hydra overrides for both.
#   bash experiments/performance/scripts/alternate_runs.sh BASE_DIR OUT ROUNDS seed=0
#   bash experiments/performance/scripts/alternate_runs.sh BASE_DIR OUT 1 +experiment=cpu_smollm2_multiply
# Both use this checkout's .venv and .cache (the base checkout's code comes first on PYTHONPATH).
# SIDES="base" (or "new") runs one side only, FIRST=i numbers the rounds from i (to split
# long runs over several lock turns).
set -euo pipefail
base=$(realpath "$1"); out=$2; rounds=$3; shift 3
here=$(realpath "$(dirname "$0")/../../..")
py=$here/.venv/bin/python
mkdir -p "$out"
for i in $(seq "${FIRST:-1}" $(( ${FIRST:-1} + rounds - 1 ))); do
  for side in ${SIDES:-base new}; do
    code=$here; [[ $side == base ]] && code=$base
    start=$(date +%s)
    (cd "$code" && SELFPLAY_CACHE=$here/.cache PYTHONPATH=$code "$py" -m selfplay "$@" hydra.run.dir="$(realpath "$out")/${side}_$i" resume=never) \
      > "$out/${side}_$i.log" 2>&1
    echo "$side $i: $(( $(date +%s) - start )) s wall, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/times.txt"
  done
done
