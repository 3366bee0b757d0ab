#!/usr/bin/env bash
# Data-parallel training over MPI: builds libbsnn_mpi (make -C mpi) and tests/mpi/test_mpi
# against this checkout's libbsnn.so and runs it under mpirun: 2 and 3 ranks against one
# process with the global batch, a NaN on rank 1, ranks with different weights, a killed
# rank (mpirun must end the run with an error within 30 s), and `bsnn train --distributed
# mpi`. Skips with a message only when mpirun cannot start two processes here (setup.sh
# installs OpenMPI, so CI runs it).
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
command -v mpicc >/dev/null && command -v mpirun >/dev/null || {
    echo "SKIP  mpi: mpicc/mpirun not found (Debian: openmpi-bin libopenmpi-dev)"; echo "mpi: 0 passed, 0 failed"; exit 0; }
swift build -c release >/dev/null 2>&1 || { echo "mpi: 0 passed, 1 failed"; exit 1; }
bin=$(swift build -c release --show-bin-path)
ln -sfn libbsnn.so "$bin/libbsnn.so.0"
work=$(mktemp -d /tmp/bsnn-mpi.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Root needs --allow-run-as-root; 2 cores need --oversubscribe for 3 ranks.
mpirun=(mpirun --allow-run-as-root --oversubscribe --mca btl self,vader)
if ! timeout 60 "${mpirun[@]}" -np 2 true >"$work/probe.log" 2>&1; then
    echo "SKIP  mpi: mpirun cannot start 2 processes here:"; tail -5 "$work/probe.log" | sed 's/^/      /'
    echo "mpi: 0 passed, 0 failed"; exit 0
fi

passed=0; failed=0
check() { # name command...
    local name=$1; shift
    local start=$(date +%s.%N)
    if "$@" >"$work/$name.log" 2>&1; then
        passed=$((passed + 1)); printf 'ok    %-26s (%.1f s)\n' "$name" "$(echo "$(date +%s.%N) - $start" | bc)"
        grep -E "^[0-9]+ ranks x|passed," "$work/$name.log" | sed 's/^/      /'
    else
        failed=$((failed + 1)); echo "FAIL  $name"; tail -25 "$work/$name.log" | sed 's/^/      /'
    fi
}

check build-libbsnn_mpi make -s -C mpi OUT="$work"
check build-test_mpi mpicc -std=c11 -Wall -Wextra -Werror -O1 -g -I"$root/include" -o "$work/test_mpi" tests/mpi/test_mpi.c \
    -L"$work" -L"$bin" -Wl,-rpath,"$work" -Wl,-rpath,"$bin" -lbsnn_mpi -lbsnn -lm
for np in 2 3; do check "equivalence-$np-ranks" timeout 300 "${mpirun[@]}" -np $np "$work/test_mpi" equivalence; done
check nan-on-rank-1 timeout 300 "${mpirun[@]}" -np 2 "$work/test_mpi" nan
check different-weights timeout 300 "${mpirun[@]}" -np 2 "$work/test_mpi" mismatch
# A killed rank: mpirun ends the others and returns non-zero well within 30 s.
killed() {
    local start=$(date +%s)
    timeout 60 "${mpirun[@]}" -np 2 "$work/test_mpi" kill; local rc=$?
    local took=$(( $(date +%s) - start ))
    echo "mpirun exit status $rc after $took s"
    [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $took -le 30 ]
}
check killed-rank-ends-the-run killed

echo "mpi: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
