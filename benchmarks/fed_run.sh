#!/usr/bin/env bash
# Issue 14's GPU-host run, in one call of at most 10 minutes (python3 with torch, pandas,
# pyarrow, scikit-learn, tabulate, psutil, rich installed; no network). From the repo root:
#
#   bash benchmarks/fed_run.sh PART OUT_DIR
#
# PART 1: the GPU tests (pinned shared-memory slots, the overlapped loop on a side stream);
#         the `fed` suite on cuda: arrow-shm's worker grid against the synthetic yardstick,
#         manual-slice and arrow-native, in the attributed and the overlapped loop
# PART 2: step none on every core and on 2 cores (taskset), 1.6 M rows, against the raw scans
# PART 3: the check run: GPU tests of the checks and arrow-shm, the checks' cost per batch,
#         the fed-check suite (arrow-shm workers=8 vs the yardstick, both loops), and part 2
#         with a 10-epoch step-none run beside the 3-epoch one
# PART 4: part 3 with stream-16's grid of slots and the workers' niceness, run again over 40
#         epochs (start-up amortised) instead of 10
# PART 5: the checks alone (per batch, rows shuffled and in order) and in arrow-shm's loop
#         against the same loop without them (benchmarks/checks_in_loop.py); part 4's
#         stream-16 runs again
# PART 6: part 4 again (without the GPU tests and the checks' cost), with stream-2 over 6
#         epochs too
# Each step has its own time limit; a suite cut short keeps its finished scenarios.
set -uo pipefail
part=${1:?PART (1 to 6)}
out=${2:?OUT_DIR}
mkdir -p "$out"
source "$(dirname "$0")/limited.sh"  # run LIMIT_S LOG COMMAND..., $failed, the cache
env_and_gpu() {
  python3 -m loaderbench env > "$out/env.json"
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv
}
gpu_check_tests() {
  run "$1" "$out/gpu-tests.log" python3 -m pytest -q -p no:cacheprovider -m gpu \
    tests/gpu/test_cuda.py tests/gpu/test_loaders_cuda.py -k "checks or values or shm"
}
fed_check() {
  run 150 "$out/fed-check.txt" python3 -m loaderbench run --quiet --no-calibrate --details \
    --scaling --suite benchmarks/suites/fed-check.toml --out "$out/h200-fed-check.json"
}
stream_16() {  # LIMIT_S [EPOCHS]: every loader of stream-16, or arrow-shm's over EPOCHS
  if [ $# -gt 1 ]; then
    run "$1" "$out/stream-16-$2epochs.txt" python3 -m loaderbench run --quiet --details \
      --scaling --suite benchmarks/suites/stream-16.toml --loaders arrow-shm --epochs "$2" \
      --out "$out/h200-stream-16-$2epochs.json"
  else
    run "$1" "$out/stream-16.txt" python3 -m loaderbench run --quiet --details --scaling \
      --suite benchmarks/suites/stream-16.toml --out "$out/h200-stream-16.json"
  fi
}
stream_2() {  # LIMIT_S [EPOCHS], on 2 cores
  local name=h200-stream-2${2:+-$2epochs}
  run "$1" "$out/$name.txt" taskset -c 0,1 python3 -m loaderbench run --quiet --details \
    --scaling --suite benchmarks/suites/stream-2.toml ${2:+--epochs "$2"} --out "$out/$name.json"
}
checks_cost() {  # LIMIT_S NAME ARGS...
  local limit=$1 name=$2
  shift 2
  run "$limit" "$out/$name.txt" python3 benchmarks/checks_cost.py --device cpu --rows 1600000 \
    --parts "$@"
}

case "$part" in
  1|all)
    env_and_gpu
    run 70 "$out/gpu-tests.log" python3 -m pytest -q -p no:cacheprovider -m gpu -x \
      tests/gpu/test_overlap_cuda.py tests/gpu/test_loaders_cuda.py -k "shm or native or overlap"
    run 220 "$out/fed.txt" python3 -m loaderbench run --quiet --suite fed --details --scaling \
      --resume --out "$out/h200-fed.json"
    ;;&
  2|all)
    stream_16 125
    stream_2 50
    ;;
  3)
    env_and_gpu
    gpu_check_tests 90
    run 60 "$out/checks-cost.txt" python3 benchmarks/checks_cost.py
    checks_cost 60 checks-cost-cpu
    fed_check
    stream_16 125
    stream_16 60 10
    stream_2 50
    ;;
  4)
    env_and_gpu
    gpu_check_tests 80
    fed_check
    checks_cost 50 checks-cost-cpu
    stream_16 110
    stream_16 100 40
    stream_2 50
    ;;
  5)
    python3 -m loaderbench env > "$out/env.json"
    checks_cost 90 checks-cost-cpu
    checks_cost 40 checks-cost-cpu-seq --order sequential
    run 60 "$out/checks-in-loop-15.txt" python3 benchmarks/checks_in_loop.py --workers 15 \
      --slots 64 --pairs 12
    run 60 "$out/checks-in-loop-8.txt" python3 benchmarks/checks_in_loop.py --workers 8 \
      --slots 16 --pairs 12
    stream_16 110
    stream_16 100 40
    ;;
  6)
    env_and_gpu
    fed_check
    stream_16 110
    stream_16 100 40
    stream_2 50
    stream_2 70 6
    ;;
  1) ;;
  *)
    echo "PART must be 1 to 6 or all" >&2
    exit 2
    ;;
esac
(cd "$out" && tar czf "logs-part$part.tgz" ./*.log ./*.txt 2>/dev/null && rm -f ./*.log ./*.txt)
ls -la "$out"
exit $failed
