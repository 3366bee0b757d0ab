#!/usr/bin/env bash
# Fuzz smoke test: builds the libFuzzer targets (scripts/fuzz.sh build, in .build-fuzz)
# and replays the seed corpus and every minimized regression input through each, under
# AddressSanitizer; then fuzzes each target for a few seconds (BSNN_FUZZ_SMOKE_SECONDS,
# default 4) from the seeds. The long campaign is scripts/fuzz.sh run (docs/RELIABILITY.md).
set -uo pipefail
cd "$(dirname "$0")/../.."
rt=$(dirname "$(readlink -f "$(command -v swift)")")/../lib/clang
if ! ls "$rt"/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
    echo "SKIP  fuzz smoke: the toolchain has no libFuzzer runtime (libclang_rt.fuzzer) under $rt"
    echo "fuzz: 0 passed, 0 failed"
    exit 0
fi
if ! bash scripts/fuzz.sh build >/tmp/bsnn-fuzz-build.$$.log 2>&1; then
    # A toolchain whose -sanitize=fuzzer cannot link here is a skip, not a failure of bsnn.
    echo "SKIP  fuzz smoke: building the fuzz targets failed:"; tail -5 /tmp/bsnn-fuzz-build.$$.log | sed 's/^/      /'
    rm -f /tmp/bsnn-fuzz-build.$$.log
    echo "fuzz: 0 passed, 0 failed"
    exit 0
fi
rm -f /tmp/bsnn-fuzz-build.$$.log
seconds=${BSNN_FUZZ_SMOKE_SECONDS:-4}
work=$(mktemp -d /tmp/bsnn-fuzz-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0; failed=0
for t in safetensors idx csv signature capi; do
    bin=.build-fuzz/debug/fuzz-$t
    inputs=$(find "fuzz/corpus/$t" "fuzz/regressions/$t" -type f ! -name '.*' 2>/dev/null)
    if "$bin" -runs=0 $inputs >"$work/$t-replay.log" 2>&1; then
        passed=$((passed + 1)); echo "ok    replay $t ($(echo "$inputs" | wc -w) inputs)"
    else
        failed=$((failed + 1)); echo "FAIL  replay $t"; grep -m1 -A25 -E "ERROR|Fatal|panic" "$work/$t-replay.log" | sed 's/^/      /'
    fi
    mkdir -p "$work/corpus-$t"
    if "$bin" "$work/corpus-$t" "fuzz/corpus/$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
        -artifact_prefix="$work/" >"$work/$t-fuzz.log" 2>&1; then
        passed=$((passed + 1)); echo "ok    fuzz $t ${seconds}s ($(grep -oE 'Done [0-9]+ runs' "$work/$t-fuzz.log" | grep -oE '[0-9]+') runs)"
    else
        failed=$((failed + 1)); echo "FAIL  fuzz $t (crash input kept as $(ls "$work"/crash-* "$work"/timeout-* "$work"/oom-* 2>/dev/null | head -1))"
        grep -m1 -A25 -E "ERROR|Fatal|panic" "$work/$t-fuzz.log" | sed 's/^/      /'
        mkdir -p .build-fuzz/smoke-artifacts && cp "$work"/crash-* "$work"/timeout-* "$work"/oom-* .build-fuzz/smoke-artifacts/ 2>/dev/null
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
