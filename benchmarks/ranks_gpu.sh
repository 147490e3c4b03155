#!/usr/bin/env bash
# Multi-rank on a CUDA machine (nccl, one GPU per rank): the GPU rank tests, then the `ranks`
# suite on cuda with as many ranks as GPUs (at most 2). From the repository root:
#   bash benchmarks/ranks_gpu.sh OUT_DIR
set -uo pipefail
out=${1:?OUT_DIR}
mkdir -p "$out"
export LOADERBENCH_CACHE=${LOADERBENCH_CACHE:-/tmp/loaderbench-cache} PYTHONUNBUFFERED=1
gpus=$(python3 -c "import torch; print(min(2, torch.cuda.device_count()))")
echo "== GPUs for ranks: $gpus"
timeout 240 python3 -m pytest -q -p no:cacheprovider tests/gpu/test_ranks_cuda.py 2>&1 \
  | tee "$out/ranks-gpu-tests.log"
if [ "$gpus" -ge 2 ]; then
  timeout 300 python3 -m loaderbench run --quiet --suite ranks --device cuda \
    --nproc-per-node "$gpus" --out "$out/h200x2-ranks.json" 2>&1 | tee "$out/ranks-suite.txt"
else
  echo "one GPU: the ranks suite needs 2 GPUs for nccl (one GPU per rank); not run"
fi
