#!/usr/bin/env bash
# One run of the default experiment (150 steps, seed 0) from a source tree, under the shared
# CPU lock, with its wall time (from taking the lock to the run's end) in RUN_DIR/wall.txt.
#   bash experiments/instrument_overhead/run.sh SOURCE_TREE RUN_DIR
# SOURCE_TREE: a checkout (this branch, or a worktree of main's commit); the venv and the toy
# model cache are this checkout's (SELFPLAY_CACHE), so both runs use the same base model.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
src="$(cd "$1" && pwd)"
run_dir="$2"
cd "$src"
exec 9>/tmp/cpu.lock
flock 9
uptime > /tmp/.instrument_overhead_load
start=$(date +%s.%N)
SELFPLAY_CACHE="$here/.cache" PYTHONPATH="$src" "$here/.venv/bin/python" -m selfplay seed=0 hydra.run.dir="$run_dir" logging.progress=false
end=$(date +%s.%N)
python3 -c "print($end - $start)" > "$run_dir/wall.txt"
{ cat /tmp/.instrument_overhead_load; uptime; } > "$run_dir/load.txt"  # load before and after
