#!/usr/bin/env bash
# The Python bindings: installs numpy/pytest/safetensors and the package itself (which
# bundles this checkout's release libbsnn.so), then runs bindings/python/tests from
# outside the source tree so the installed package is what gets imported.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
swift build -c release >/dev/null 2>&1 || { echo "python: 0 passed, 1 failed (swift build)"; exit 1; }
PY=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
$PY -m pip install -q numpy pytest safetensors || { echo "python: 0 passed, 1 failed (pip deps)"; exit 1; }
# Optional dependencies whose tests belong to the suite (bsnn.sklearn's check_estimator
# run, the mypy checks); without them those tests skip, and -rs prints why.
$PY -m pip install -q scikit-learn mypy \
    || echo "python: scikit-learn/mypy could not be installed: their tests will be skipped"
# Optional exporters (bsnn.export): without them those tests skip, naming the package (-rs).
$PY -m pip install -q onnx onnxruntime >/dev/null 2>&1 || echo "python: onnx/onnxruntime cannot be installed; the ONNX export tests skip"
$PY -m pip install -q mpi4py >/dev/null 2>&1 || echo "python: mpi4py cannot be installed; bsnn.distributed is tested on MPI_COMM_WORLD only"
# PyTorch only from a local CPU wheel (the index's default build pulls GBs of CUDA).
$PY -c "import torch" 2>/dev/null || for w in /opt/wheels/torch-*+cpu-*.whl; do
    [ -f "$w" ] && { $PY -m pip install -q "$w" >/dev/null 2>&1 || echo "python: cannot install $w; the PyTorch export tests skip"; }
done
# --force-reinstall --no-deps: same version number, but the bundled .so may be newer.
$PY -m pip install -q --force-reinstall --no-deps "$root/bindings/python" \
    || { echo "python: 0 passed, 1 failed (pip install bsnn)"; exit 1; }
# The cross-door test (test_doors.py) drives the CLI of the same build.
export BSNN=${BSNN:-$root/.build/release/bsnn-cli}
cd /tmp && exec $PY -m pytest -q -rs -p no:cacheprovider "$root/bindings/python/tests"
