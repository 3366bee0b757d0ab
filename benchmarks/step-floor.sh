#!/usr/bin/env bash
# The floor under the training step (benchmarks/step_floor.c): the step's weight-reading
# products with V in cache and from DRAM, and the update's unavoidable memory stream on
# one core and on both cores at once. One OpenBLAS thread, pinned, OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE unset (as every benchmark here). Appends JSON lines to
# benchmarks/results/step-floor-DATE.jsonl and prints them. Run it on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p benchmarks/build benchmarks/results
cc -O3 -march=native $(pkg-config --cflags openblas) -o benchmarks/build/step_floor benchmarks/step_floor.c -lopenblas
out=benchmarks/results/step-floor-$(date -u +%Y-%m-%d).jsonl
run() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 "$@"; }
{
    run taskset -c 0 benchmarks/build/step_floor gemm
    run taskset -c 0 benchmarks/build/step_floor stream
    # Both cores streaming at once: what a second thread could add to the update.
    run taskset -c 0 benchmarks/build/step_floor stream | sed 's/"stream"/"stream, core 0 of 2 at once"/' &
    run taskset -c 1 benchmarks/build/step_floor stream | sed 's/"stream"/"stream, core 1 of 2 at once"/'
    wait
} | tee -a "$out"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
