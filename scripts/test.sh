#!/usr/bin/env bash
# Runs every test suite of bsnn (Swift engine, C ABI, CLI, Python), installing what is
# needed first. Each suite lives in scripts/test.d/NN-name.sh and exits non-zero on
# failure; this script runs them all and ends with one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0; failed=0; failures=()
for suite in scripts/test.d/*.sh; do
    name=$(basename "$suite" .sh)
    echo "=== $name ==="
    start=$(date +%s)
    if bash "$suite"; then
        passed=$((passed + 1)); echo "=== $name: ok ($(( $(date +%s) - start )) s) ==="
    else
        failed=$((failed + 1)); failures+=("$name"); echo "=== $name: FAILED ($(( $(date +%s) - start )) s) ==="
    fi
done
[ ${#failures[@]} -gt 0 ] && echo "failed suites: ${failures[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
