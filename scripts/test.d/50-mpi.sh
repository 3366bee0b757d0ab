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
        grep -E "^[0-9]+ ranks x|passed,|^\|\|A-B" "$work/$name.log" | sed 's/^/      /'
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

# The command line: 2 processes × batch 32 train the model of one process with batch 64
# (same seed and data; the sums round differently: 1e-5 relative after 64 steps), rank 0
# alone writes and prints, and a checkpoint of the 2-process run resumes on 1 process.
cli=("$bin/bsnn-cli" train --data fashion-mnist --limit 2048 --no-test --depth 10 --width 64 --epochs 2 --seed 3)
export BSNN_MPI_LIBRARY="$work/libbsnn_mpi.so"
cli_distributed() {
    cd "$work" && mkdir -p d s r && "${cli[@]}" --batch 64 --out s/m.safetensors 2>/dev/null \
        && timeout 300 "${mpirun[@]}" -np 2 "${cli[@]}" --distributed mpi --batch 32 --out d/m.safetensors --json >d/out.json 2>d/err.log \
        && python3 -c "import json,sys; d=json.load(open('d/out.json'))['distributed']; print(d); sys.exit(0 if d['processes']==2 and d['global_batch']==64 and d['bytes_exchanged']>0 else 1)" \
        && grep -q "global batch 64" d/err.log && [ "$(grep -c "saved model" d/err.log)" = 1 ] \
        && python3 "$root/tests/mpi/compare_models.py" d/m.safetensors s/m.safetensors 1e-5
}
check cli-train-distributed cli_distributed
cli_resume_on_one_process() {
    cd "$work" && timeout 300 "${mpirun[@]}" -np 2 "${cli[@]}" --distributed mpi --batch 32 --out r/m.safetensors --stop-after-steps 20 2>r/err.log
    local rc=$?
    [ $rc -ne 0 ] && [ -f r/m.safetensors.ckpt ] || { echo "expected an interrupted run with a checkpoint, got status $rc"; cat r/err.log; return 1; }
    "$bin/bsnn-cli" train --data fashion-mnist --limit 2048 --no-test --resume r/m.safetensors.ckpt --out r/m.safetensors 2>>r/err.log \
        && grep -q "resuming" r/err.log && python3 "$root/tests/mpi/compare_models.py" r/m.safetensors s/m.safetensors 1e-5
}
check cli-resume-on-1-process cli_resume_on_one_process
# SIGUSR1 to mpirun (which forwards it; Ctrl-C would end the job) stops every process at
# the same step, rank 0 writes the checkpoint, and every process exits with status 130.
cli_stop_signal() {
    cd "$work" && mkdir -p u
    timeout 300 "${mpirun[@]}" -np 2 "$bin/bsnn-cli" train --data fashion-mnist --limit 20000 --no-test --depth 20 --width 128 \
        --epochs 50 --distributed mpi --batch 32 --out u/m.safetensors 2>u/err.log &
    local pid=$! waited=0
    until grep -q "^step" u/err.log 2>/dev/null || [ $waited -ge 120 ]; do sleep 0.5; waited=$((waited + 1)); done
    pkill -USR1 -P $pid mpirun   # $pid is timeout; mpirun is its child
    wait $pid; local rc=$?
    echo "mpirun exit status $rc"; grep -v "^step" u/err.log
    [ $rc -eq 130 ] && [ -f u/m.safetensors.ckpt ] && grep -q "checkpoint saved to u/m.safetensors.ckpt" u/err.log
}
check cli-stop-signal-checkpoints cli_stop_signal

# Distributed sweeps: the runs of `reproduce` (Fig. 3, Table 2) and of `probe
# --sweep-width` spread over 2 processes give the serial run's numbers exactly (every
# run has its own seed and one BLAS thread); only the per-run seconds differ.
TINY=(--probe-depth 6 --probe-width 16 --depth 3 --width 16 --train-samples 200 --test-samples 100 --sweep-widths 16,32
      --sweep-depth 4 --sweep-samples 20 --activations tanh,relu --probe-activations tanh --sweep-activations tanh --seeds 2 --jobs 1)
reproduce_spread() {
    cd "$work" && "$bin/bsnn-cli" reproduce --out rs "${TINY[@]}" >rs.out 2>/dev/null \
        && timeout 300 "${mpirun[@]}" -np 2 "$bin/bsnn-cli" reproduce --distributed mpi --out rd "${TINY[@]}" >rd.out 2>rd.err \
        && python3 - <<'PY'
import csv, sys
def tables(p):
    t = open(p).read()
    return t[t.index("test accuracy (%):"):t.index("wrote ")]
def runs(p):
    return [r[:-1] for r in csv.reader(open(p))]  # the last column is the run's seconds
same = {"printed tables": tables("rs.out") == tables("rd.out"),
        "table2-runs.csv": runs("rs/table2-runs.csv") == runs("rd/table2-runs.csv"),
        "fig3-runs.csv": open("rs/fig3-runs.csv").read() == open("rd/fig3-runs.csv").read()}
print("same as serial:", same)
sys.exit(0 if all(same.values()) else 1)
PY
}
check reproduce-spread-equals-serial reproduce_spread
probe_sweep_spread() {
    local args=(probe --activation tanh --depth 20 --samples 50 --sweep-width 16,32,64 --seeds 3 --json)
    cd "$work" && "$bin/bsnn-cli" "${args[@]}" --out ps >ps.json 2>/dev/null \
        && timeout 300 "${mpirun[@]}" -np 2 "$bin/bsnn-cli" "${args[@]}" --out pd --distributed mpi >pd.json 2>/dev/null \
        && sed 's#pd/#ps/#g' pd.json | cmp - ps.json && cmp ps/sweep-runs.csv pd/sweep-runs.csv
}
check probe-sweep-spread-equals-serial probe_sweep_spread

# docs/DISTRIBUTED.md is tested code: each block marked `<!-- doc-test: LANG -->` runs
# here under mpirun with this checkout's build (bsnn on PATH is bsnn-cli).
cd "$root"
python3 - "$work" <<'PY'
import pathlib, re, sys
work = pathlib.Path(sys.argv[1])
text = pathlib.Path("docs/DISTRIBUTED.md").read_text()
blocks = re.findall(r"<!-- doc-test: (\w+) -->\s*```\w*\n(.*?)```", text, re.S)
for i, (lang, body) in enumerate(blocks):
    (work / f"doc{i}.{ {'sh': 'sh', 'c': 'c', 'python': 'py'}[lang] }").write_text(body)
print(f"{len(blocks)} tested blocks in docs/DISTRIBUTED.md")
PY
mkdir -p "$work/path" && ln -sfn "$bin/bsnn-cli" "$work/path/bsnn"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for f in "$work"/doc*.*; do
    name=$(basename "$f"); dir="$work/run-$name"; mkdir -p "$dir"
    case "$f" in
        *.sh) check "docs-$name" bash -c "cd '$dir' && PATH='$work/path':\$PATH bash -e '$f' 2>err.log && { [ -f m.safetensors ] || [ -f report/report.md ]; }" ;;
        *.c) check "docs-$name" bash -c "cd '$dir' && mpicc -std=c11 -Wall -Wextra -Werror -o prog '$f' -I'$root/include' -L'$bin' -L'$work' -Wl,-rpath,'$bin' -Wl,-rpath,'$work' -lbsnn_mpi -lbsnn && timeout 300 mpirun -np 2 ./prog && [ -f m.safetensors ]" ;;
        *.py) check "docs-$name" bash -c "cd '$dir' && timeout 300 mpirun -np 2 python3 '$f' && [ -f m.safetensors ]" ;;
    esac
done

echo "mpi: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
