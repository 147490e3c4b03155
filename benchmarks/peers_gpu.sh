#!/usr/bin/env bash
# The `peers` suite on a CUDA machine with no network. From the repository root:
#
#   bash benchmarks/peers_gpu.sh OUT_DIR [cuda|cpu]
#
# The peer libraries travel as wheels in .whl/ (Python 3.12, x86-64: datasets, dill,
# multiprocess, torchdata, polars); when .whl/ holds any, they are installed into /tmp/site
# first, with no index and no dependencies (torch, pandas, pyarrow, numpy, fsspec,
# huggingface-hub and xxhash are the machine's own). Without them the peers are `skipped`
# with the install command and vectorized / arrow-native still run.
# The suite (18 scenarios) is time-limited so it ends inside a 10-minute call; --resume
# continues a run that was cut short when called again with the same OUT_DIR.
set -uo pipefail
out=${1:?OUT_DIR}
device=${2:-cuda}
mkdir -p "$out"
export LOADERBENCH_CACHE=${LOADERBENCH_CACHE:-/tmp/loaderbench-cache} PYTHONUNBUFFERED=1
export HF_DATASETS_OFFLINE=1 HF_HUB_OFFLINE=1  # no network there: never try the Hub
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if compgen -G ".whl/*.whl" > /dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH="/tmp/site:$PYTHONPATH"
fi
python3 - <<'PY' | tee "$out/versions.txt"
from importlib.metadata import PackageNotFoundError, version
for name in ("torch", "pyarrow", "pandas", "numpy", "fsspec", "huggingface-hub", "datasets",
             "torchdata", "polars"):
    try:
        print(f"{name} {version(name)}")
    except PackageNotFoundError:
        print(f"{name} not installed")
PY
timeout 540 python3 -m loaderbench run --quiet --suite peers --device "$device" --details \
  --resume --out "$out/peers-$device.json" 2>&1 | tee "$out/peers-$device.txt"
status=${PIPESTATUS[0]}
ls -la "$out"
exit "$status"
