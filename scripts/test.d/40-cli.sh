#!/usr/bin/env bash
# End-to-end tests of the `bsnn` command line (tests/cli, pytest), on the plain release
# build that scripts/setup.sh made (so nothing is recompiled in a full run). BSNN=path
# overrides the binary under test.
set -uo pipefail
cd "$(dirname "$0")/../.."
python3 -c "import pytest" 2>/dev/null || python3 -m pip install -q pytest 2>/dev/null \
    || python3 -m pip install -q --break-system-packages pytest
if [ -z "${BSNN:-}" ]; then
    swift build -c release --product bsnn-cli 2>&1 | grep -E "error:|complete" || true
    export BSNN="$PWD/.build/release/bsnn-cli"
fi
[ -x "$BSNN" ] || { echo "40-cli: no binary at $BSNN"; echo "0 passed, 1 failed"; exit 1; }
python3 -m pytest -q -p no:cacheprovider tests/cli 2>&1 | tee /tmp/bsnn-cli-test.log | tail -25
exit "${PIPESTATUS[0]}"
