#!/usr/bin/env bash
# Crash safety of saves: a process that saves a model and a checkpoint in a loop is
# SIGKILLed at random moments (60 times); after every kill both files must still load
# and verify (the CRC-32 over header and tensors), i.e. the previous good file always
# survives. Then one more, uninterrupted save of both must remove every temporary file
# the killed savers left behind.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
bin=$(swift build -c release --show-bin-path)
ln -sfn libbsnn.so "$bin/libbsnn.so.0"   # the release SONAME, as in 20-c.sh
work=$(mktemp -d /tmp/bsnn-kill.XXXXXX)
trap 'rm -rf "$work"' EXIT
CFLAGS=(-std=c11 -Wall -Wextra -Werror -pedantic -O1 -I"$root/include")
LIBS=(-L"$bin" -Wl,-rpath,"$bin" -lbsnn -lm)
cc "${CFLAGS[@]}" -o "$work/saver" tests/c/kill_saver.c "${LIBS[@]}" || { echo "crash-safety: 0 passed, 1 failed"; exit 1; }
cc "${CFLAGS[@]}" -o "$work/verify" tests/c/verify_file.c "${LIBS[@]}" || { echo "crash-safety: 0 passed, 1 failed"; exit 1; }

kills=${BSNN_KILLS:-60}
passed=0; failed=0
for i in $(seq 1 "$kills"); do
    "$work/saver" "$work/model.safetensors" "$work/ckpt.safetensors" >"$work/out" 2>&1 &
    pid=$!
    # First run: wait until both files exist; later runs overwrite existing good files.
    for _ in $(seq 1 200); do [ -s "$work/ckpt.safetensors" ] && break; sleep 0.05; done
    sleep "0.$(printf '%03d' $((RANDOM % 400)))"
    kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    if "$work/verify" "$work/model.safetensors" && "$work/verify" "$work/ckpt.safetensors" --checkpoint; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); echo "FAIL after kill $i"; cat "$work/out"
    fi
done
count_leftovers() { find "$work" -name '*.tmp*' -o -name '.*safetensors*' | grep -c . || true; }
leftovers=$(count_leftovers)
echo "killed the saver $kills times mid-save; stale temp files left behind: $leftovers"
if "$work/saver" "$work/model.safetensors" "$work/ckpt.safetensors" 1 >"$work/out" 2>&1 \
    && "$work/verify" "$work/model.safetensors" && "$work/verify" "$work/ckpt.safetensors" --checkpoint; then
    after=$(count_leftovers)
    echo "after one more complete save: $after temp files"
    if [ "$after" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: stale temp files not cleaned up"; fi
else
    failed=$((failed + 1)); echo "FAIL: final save"; cat "$work/out"
fi
echo "crash-safety: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
