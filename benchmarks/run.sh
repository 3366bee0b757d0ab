#!/usr/bin/env bash
# Side-by-side benchmark: bsnn-bench and every installed peer, one after the
# other (never two at once: the machine has 2 cores), on the same machine in
# the same run, then a table (report.py).
#
# usage: benchmarks/run.sh [--depths 200,20] [--threads 1,2] [--smoke] [--epoch]
#                          [--peers numpy,torch-eager,...] [--steps N]
#   --smoke  2 steps each, depth 20, 1 thread, no torch.compile: for CI, < 2 min,
#            tolerates missing peers.
#   --epoch  one Fashion-MNIST epoch at depth 20 (bsnn, numpy, torch-eager, jax)
#            instead of the step timing.
set -uo pipefail
cd "$(dirname "$0")/.."
B=benchmarks
depths=200,20
threads=1,2
smoke=0
epoch=0
peers=all
steps_override=
while [ $# -gt 0 ]; do
    case "$1" in
        --depths) depths=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --peers) peers=$2; shift 2 ;;
        --steps) steps_override=$2; shift 2 ;;
        --smoke) smoke=1; shift ;;
        --epoch) epoch=1; shift ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ "$smoke" = 1 ]; then depths=20; threads=1; fi
if [ "$epoch" = 1 ]; then depths=20; fi

mkdir -p $B/build $B/results
OUT=$B/results/latest.jsonl
LOG=$B/results/latest.log
: > "$OUT"
: > "$LOG"
PY=${PYTHON:-python3}
want() { [ "$peers" = all ] || [[ ",$peers," == *",$1,"* ]]; }

# Only JSON lines go to the results; everything else is kept in the log.
record() {
    local name=$1; shift
    echo "== $name: $*" >&2
    local out rc
    # Every library runs with OpenBLAS choosing its kernel for this CPU: some machines
    # set OPENBLAS_CORETYPE=Haswell, which halves sgemm on AVX-512 cores. Tests keep
    # the environment; benchmarks compare libraries at their best.
    out=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE timeout "${PEER_TIMEOUT:-900}" "$@" 2>>"$LOG"); rc=$?
    printf '%s\n' "$out" | grep '^{' >> "$OUT" || true
    printf '%s\n' "$out" | grep '^{' | cut -c1-160 >&2 || true
    if [ $rc -ne 0 ]; then
        echo "   $name failed (exit $rc), see $LOG" >&2
        printf '{"peer": "%s", "skipped": "exit %s", "depth": %s, "threads": %s, "batch": 64}\n' \
            "$name" "$rc" "${CUR_DEPTH:-0}" "${CUR_THREADS:-0}" >> "$OUT"
    fi
}

# --- builds ------------------------------------------------------------------
bsnn=
if grep -q '"bsnn-bench"' Package.swift 2>/dev/null; then
    echo "== building bsnn-bench" >&2
    if swift build -c release --product bsnn-bench >>"$LOG" 2>&1; then
        bsnn=$(swift build -c release --show-bin-path)/bsnn-bench
    else
        echo "   bsnn-bench failed to build, see $LOG; bsnn skipped" >&2
    fi
else
    echo "== no bsnn-bench product in Package.swift yet: bsnn skipped" >&2
fi
sgemm=
if pkg-config --exists openblas 2>/dev/null &&
   cc -O2 $(pkg-config --cflags openblas) -o $B/build/sgemm_peak $B/sgemm_peak.c -lopenblas 2>>"$LOG"; then
    sgemm=$B/build/sgemm_peak
else
    echo "== sgemm_peak not built (libopenblas-dev missing?): no % of peak" >&2
fi
fann=
if cc -O2 -o $B/build/fann_step $B/peers/fann_step.c -lfloatfann -lm 2>>"$LOG"; then
    fann=$B/build/fann_step
else
    echo "== fann_step not built (apt-get install -y libfann-dev): FANN skipped" >&2
fi

# --- runs ----------------------------------------------------------------------
[ -n "$sgemm" ] && record sgemm_peak "$sgemm" --threads "$threads" --seconds "$([ $smoke = 1 ] && echo 0.1 || echo 0.5)"

IFS=, read -ra DEPTHS <<< "$depths"
IFS=, read -ra THREADS <<< "$threads"
for d in "${DEPTHS[@]}"; do
    for t in "${THREADS[@]}"; do
        CUR_DEPTH=$d; CUR_THREADS=$t
        if [ "$epoch" = 1 ]; then
            common=(--depth "$d" --threads "$t" --epoch)
        else
            if [ "$smoke" = 1 ]; then n=2; w=1
            elif [ "$d" -ge 100 ]; then n=20; w=2
            else n=30; w=3; fi
            [ -n "$steps_override" ] && n=$steps_override
            common=(--depth "$d" --threads "$t" --steps "$n" --warmup "$w")
        fi
        if want bsnn && [ -n "$bsnn" ]; then
            record bsnn "$bsnn" "${common[@]}" --mode fused
            [ "$epoch" = 0 ] && record bsnn-checked "$bsnn" "${common[@]}" --mode checked
        fi
        want numpy && record numpy "$PY" $B/peers/numpy_step.py "${common[@]}"
        want torch-eager && record torch-eager "$PY" $B/peers/torch_step.py "${common[@]}"
        if [ "$epoch" = 0 ] && [ "$smoke" = 0 ] && want torch-compile; then
            record torch-compile "$PY" $B/peers/torch_step.py --compile "${common[@]}"
        fi
        want jax && record jax "$PY" $B/peers/jax_step.py "${common[@]}"
        if [ "$epoch" = 0 ] && want fann && [ -n "$fann" ]; then
            if [ "$t" = 1 ]; then
                # ~10 s a step at depth 200: a few steps say enough.
                if [ "$smoke" = 1 ]; then fn=2
                elif [ "$d" -ge 100 ]; then fn=${steps_override:-3}
                else fn=${steps_override:-20}; fi
                record fann "$fann" --depth "$d" --threads 1 --steps "$fn" --warmup 1
            else
                record fann "$fann" --depth "$d" --threads "$t"
            fi
        fi
    done
done

echo >&2
"$PY" $B/report.py "$OUT"
