# Sourced by the GPU run scripts: `run LIMIT_S LOG COMMAND...` runs COMMAND time-limited,
# its output to LOG and the terminal; a failure is reported and remembered in $failed.
export LOADERBENCH_CACHE=${LOADERBENCH_CACHE:-/tmp/loaderbench-cache} PYTHONUNBUFFERED=1
failed=0
run() {
  local limit=$1 log=$2
  shift 2
  echo "== $* ($(date +%T), limit ${limit}s)"
  timeout "$limit" "$@" > >(tee "$log") 2>&1 || { echo "!! exit $?: $*"; failed=1; }
}
