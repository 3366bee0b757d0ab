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

# The command line: the executable product is bsnn-cli (the library product owns the
# name bsnn); install it under its user-facing name. cmp keeps reruns quiet.
if [ -x .build/release/bsnn-cli ]; then
    if ! cmp -s .build/release/bsnn-cli /usr/local/bin/bsnn 2>/dev/null; then
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        $SUDO install -m 0755 .build/release/bsnn-cli /usr/local/bin/bsnn
        echo "setup: installed /usr/local/bin/bsnn"
    fi
fi
