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

# Install the C library so that `cc prog.c $(pkg-config --cflags --libs bsnn)` builds
# and runs without LD_LIBRARY_PATH. `install` only rewrites changed files (-C), so a
# re-run is quick and leaves the same state.
bin=$(swift build -c release --show-bin-path)
prefix=${BSNN_PREFIX:-/usr/local}
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
version=$(sed -n 's/^#define BSNN_VERSION_STRING "\(.*\)"/\1/p' include/bsnn.h)
$SUDO install -d "$prefix/lib/pkgconfig" "$prefix/include"
$SUDO install -C -m 0755 "$bin/libbsnn.so" "$prefix/lib/libbsnn.so"
$SUDO install -C -m 0644 include/bsnn.h include/bsnn_plugin.h "$prefix/include/"
pc=$(mktemp)
cat >"$pc" <<PC
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: bsnn
Description: Bidirectionally self-normalizing deep networks (C ABI)
Version: $version
Libs: -L\${libdir} -lbsnn
Libs.private: -lopenblas -lffi -lz -lm
Cflags: -I\${includedir}
PC
$SUDO install -C -m 0644 "$pc" "$prefix/lib/pkgconfig/bsnn.pc"
rm -f "$pc"
$SUDO ldconfig
echo "setup: installed libbsnn.so, bsnn.h, bsnn_plugin.h and bsnn.pc under $prefix"

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

# The command line: the executable product is bsnn-cli (the library product owns the
# name bsnn); install it under its user-facing name. cmp keeps reruns quiet.
if [ -x .build/release/bsnn-cli ]; then
    if ! cmp -s .build/release/bsnn-cli /usr/local/bin/bsnn 2>/dev/null; then
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        $SUDO install -m 0755 .build/release/bsnn-cli /usr/local/bin/bsnn
        echo "setup: installed /usr/local/bin/bsnn"
    fi
fi
