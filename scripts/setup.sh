#!/usr/bin/env bash
# Installs what bsnn needs on a fresh Debian machine with Swift 6.3 and builds it in
# release mode. Idempotent: quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pkg in libopenblas-dev libffi-dev zlib1g-dev pkg-config dataset-fashion-mnist openmpi-bin libopenmpi-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: installing ${need_apt[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

echo "setup: swift build -c release"
swift build -c release 2>&1 | grep -E "error|warning: .*deprecated|Compiling|Build complete" | grep -v "^\[" || true
swift build -c release >/dev/null

# Install the C library, headers, pkg-config and CMake files and the `bsnn` command
# (scripts/install.sh; BSNN_PREFIX overrides /usr/local), so that
# `cc prog.c $(pkg-config --cflags --libs bsnn)` builds and runs without LD_LIBRARY_PATH.
bin=$(swift build -c release --show-bin-path)
ln -sfn libbsnn.so "$bin/libbsnn.so.0"   # the release SONAME, for programs linked against the build
prefix=${BSNN_PREFIX:-/usr/local}
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO bash scripts/install.sh --prefix "$prefix"

# The Python package (ctypes only, no compiler): bundles the release libbsnn.so and the
# bsnn command line (bindings/python/setup.py). Re-installed only when the build stamp
# (a hash of those binaries and the package sources) differs from the one the installed
# package carries in bsnn/_build_stamp.txt, a package file pip removes on uninstall.
if command -v python3 >/dev/null; then
    python3 -c "import numpy" 2>/dev/null || PIP_ROOT_USER_ACTION=ignore python3 -m pip install -q numpy
    stamp=$(BSNN_RELEASE_DIR=$bin python3 bindings/python/setup.py --print-stamp)
    package_dir() { (cd /tmp && python3 -c "import importlib.util, pathlib; print(pathlib.Path(importlib.util.find_spec('bsnn').origin).parent)" 2>/dev/null); }
    installed=$(cat "$(package_dir)/_build_stamp.txt" 2>/dev/null || true)
    if [ "$stamp" != "$installed" ]; then
        BSNN_RELEASE_DIR=$bin PIP_ROOT_USER_ACTION=ignore python3 -m pip install -q --force-reinstall --no-deps ./bindings/python
        site=$(package_dir)
        rm -f "$site/.stamp"   # written by earlier versions of this script, outside pip's RECORD
        echo "setup: installed the Python package bsnn into $site"
    fi
fi
