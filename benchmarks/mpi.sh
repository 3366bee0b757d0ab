#!/usr/bin/env bash
# Data-parallel step on MPI, 1 rank against 2 ranks, one OpenBLAS thread each (the
# machine has 2 cores: 2 ranks use both), on the paper's network (depth 200, width 500)
# with batch 64 per rank. Unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE like every
# benchmark here and records the kernel OpenBLAS reports. Appends JSON lines to
# benchmarks/results/mpi-DATE.jsonl; docs/DISTRIBUTED.md's cost model is rendered from
# that file by scripts/mpi-cost-model.py --write.
#
# usage: benchmarks/mpi.sh [--depth 200] [--batch 64] [--steps 10]
set -euo pipefail
cd "$(dirname "$0")/.."
depth=200 batch=64 steps=10
while [ $# -gt 0 ]; do
    case "$1" in
        --depth) depth=$2; shift 2 ;; --batch) batch=$2; shift 2 ;; --steps) steps=$2; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "mpi.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
swift build -c release >/dev/null
bin=$(swift build -c release --show-bin-path)
ln -sfn libbsnn.so "$bin/libbsnn.so.0"
work=$(mktemp -d /tmp/bsnn-mpi-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
make -s -C mpi OUT="$work"
mpicc -std=c11 -O2 -Iinclude -o "$work/mpi_step" benchmarks/mpi/mpi_step.c -L"$work" -L"$bin" \
    -Wl,-rpath,"$work" -Wl,-rpath,"$bin" -lbsnn_mpi -lbsnn
kernel=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 -c 'import ctypes; l = ctypes.CDLL("libopenblas.so.0"); l.openblas_get_corename.restype = ctypes.c_char_p; print(l.openblas_get_corename().decode())')
out=benchmarks/results/mpi-$(date +%F).jsonl
# 1 rank at half the batch too: the cost model splits a step into a per-sample part and
# a batch-independent part (the update streams the weights and optimizer state).
for run in "1 $((batch / 2))" "1 $batch" "2 $batch"; do
    set -- $run
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 BSNN_KERNEL="$kernel" \
        mpirun --allow-run-as-root --oversubscribe --mca btl self,vader --bind-to core -np "$1" \
        "$work/mpi_step" "$depth" "$2" "$steps" | tee -a "$out"
done
python3 scripts/mpi-cost-model.py "$out"
