#!/usr/bin/env bash
# Runs every test suite of bsnn (Swift engine, C ABI, CLI, Python), installing what is
# needed first. Each suite lives in scripts/test.d/NN-name.sh and exits non-zero on
# failure; this script runs them all and ends with one summary line.
#
# OpenBLAS picks its kernels per machine (and some machines set OPENBLAS_CORETYPE), and
# kernels round differently. The numeric suites therefore run twice: once with the
# environment as it is, once under the other kernel family (OPENBLAS_CORETYPE=Haswell
# when the environment sets nothing, the machine's own kernel when it sets a coretype).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

numeric_suites="10-swift 20-c 30-python 40-cli 50-mpi"

# The kernel OpenBLAS runs under the current environment.
blas_kernel() {
    python3 -c 'import ctypes; l = ctypes.CDLL("libopenblas.so.0"); l.openblas_get_corename.restype = ctypes.c_char_p; print(l.openblas_get_corename().decode())' 2>/dev/null || echo unknown
}

passed=0; failed=0; failures=()
run_suite() { # suite-script label [env arguments...]
    local suite=$1 label=$2
    shift 2
    echo "=== $label ==="
    local start=$(date +%s)
    if env "$@" bash "$suite"; then
        passed=$((passed + 1)); echo "=== $label: ok ($(( $(date +%s) - start )) s) ==="
    else
        failed=$((failed + 1)); failures+=("$label"); echo "=== $label: FAILED ($(( $(date +%s) - start )) s) ==="
    fi
}

first_kernel=$(blas_kernel)
echo "=== pass 1: environment as it is (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}), OpenBLAS kernel $first_kernel ==="
for suite in scripts/test.d/*.sh; do
    run_suite "$suite" "$(basename "$suite" .sh) [$first_kernel]"
done

if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
    second_env=(-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
else
    second_env=(OPENBLAS_CORETYPE=Haswell)
fi
second_kernel=$(env "${second_env[@]}" bash -c "$(declare -f blas_kernel); blas_kernel")
if [ "$second_kernel" = "$first_kernel" ]; then
    echo "=== pass 2 skipped: the other setting also runs kernel $first_kernel on this machine ==="
else
    echo "=== pass 2: env ${second_env[*]}, OpenBLAS kernel $second_kernel: numeric suites ($numeric_suites) ==="
    for name in $numeric_suites; do
        run_suite "scripts/test.d/$name.sh" "$name [$second_kernel]" "${second_env[@]}"
    done
fi

echo "kernels: pass 1 $first_kernel, pass 2 ${second_kernel}"
[ ${#failures[@]} -gt 0 ] && echo "failed suites: ${failures[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
