#!/usr/bin/env bash
# The whole GPU run, for a CUDA machine with no network (python3 with torch, pandas, pyarrow,
# scikit-learn, tabulate, psutil and rich already installed). From the repository root:
#
#   bash benchmarks/gpu_run.sh PART OUT_DIR
#
# PART 1: environment, the GPU tests, the `gpu` suite on cuda (every loader, pinning, workers)
# PART 2: the harness-accuracy proofs (CUDA included), the `default` suite on cuda, the
#         arrow-native benchmark on many cores
# Two parts because a lent GPU machine runs one command for at most 10 minutes; each step has
# its own time limit so one slow step cannot starve the rest, and a suite cut short still
# leaves every finished scenario in its result file. Output: result JSON, tables and logs in
# OUT_DIR. The dataset is generated on the machine (seeded: identical to anyone else's).
set -uo pipefail
part=${1:?PART (1 or 2)}
out=${2:?OUT_DIR}
mkdir -p "$out"
source "$(dirname "$0")/limited.sh"  # run LIMIT_S LOG COMMAND..., $failed, the cache

case "$part" in
  1)
    python3 -m loaderbench env > "$out/env.json"
    nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv
    run 150 "$out/gpu-tests.log" python3 -m pytest -q -p no:cacheprovider -m gpu tests
    # --resume: calling PART 1 again continues a suite that ran out of time
    run 420 "$out/gpu-suite.txt" python3 -m loaderbench run --quiet --suite gpu --details \
      --resume --out "$out/h200-gpu.json"
    ;;
  2)
    run 210 "$out/harness-accuracy.log" python3 benchmarks/harness_accuracy.py --quiet --out "$out" \
      --only "${PROOFS:-latency,overhead,processes,cuda}"
    run 240 "$out/default-suite.txt" python3 -m loaderbench run --quiet --suite default \
      --device cuda --details --out "$out/h200-default.json"
    run 130 "$out/arrow-native.log" python3 benchmarks/arrow_native.py --out "$out" --repeats 1
    ;;
  *)
    echo "PART must be 1 or 2" >&2
    exit 2
    ;;
esac
# A lent machine returns at most 8 files: the JSON files stay apart, the text goes in one archive.
(cd "$out" && tar czf "logs-part$part.tgz" ./*.log ./*.txt ./*.md 2>/dev/null \
  && rm -f ./*.log ./*.txt ./*.md)
ls -la "$out"
exit $failed
