#!/usr/bin/env bash
# Installs what bsnn needs on a fresh Debian machine with Swift 6.3 and builds it in
# release mode. Idempotent: quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pkg in libopenblas-dev libffi-dev zlib1g-dev pkg-config dataset-fashion-mnist; do
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

# The Python package (ctypes only, no compiler): bundles .build/release/libbsnn.so.
# Re-installed only when the bundled library or the sources differ from what is there.
if command -v python3 >/dev/null; then
    python3 -c "import numpy" 2>/dev/null || PIP_ROOT_USER_ACTION=ignore python3 -m pip install -q numpy
    stamp=$(cat "$bin/libbsnn.so" bindings/python/pyproject.toml bindings/python/setup.py bindings/python/src/bsnn/*.py | sha256sum | cut -c1-16)
    installed=$(python3 -c "import bsnn, pathlib; print((pathlib.Path(bsnn.__file__).parent / '.stamp').read_text())" 2>/dev/null || true)
    if [ "$stamp" != "$installed" ]; then
        PIP_ROOT_USER_ACTION=ignore python3 -m pip install -q --force-reinstall --no-deps ./bindings/python
        site=$(cd /tmp && python3 -c "import bsnn, pathlib; print(pathlib.Path(bsnn.__file__).parent)")
        echo "$stamp" >"$site/.stamp"
        echo "setup: installed the Python package bsnn into $site"
    fi
fi
