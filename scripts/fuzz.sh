#!/usr/bin/env bash
# Builds the libFuzzer targets and runs them one after another.
#   scripts/fuzz.sh build                 build every fuzz-* binary into .build-fuzz
#   scripts/fuzz.sh run TARGET SECONDS    fuzz one target; the growing corpus lives in
#                                         .build-fuzz/corpus/TARGET (seeded from
#                                         fuzz/corpus/TARGET), crashes land in
#                                         .build-fuzz/artifacts/TARGET/, the log in
#                                         .build-fuzz/logs/TARGET.log
# Targets: safetensors idx csv signature capi. See docs/RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(safetensors idx csv signature capi)
flags=(--scratch-path .build-fuzz -c debug -Xswiftc -sanitize=fuzzer,address)
case "${1:-}" in
build)
    # One product at a time: building everything would also link bsnn-bench, which has
    # no LLVMFuzzerTestOneInput and cannot link under -sanitize=fuzzer.
    for t in "${targets[@]}"; do
        BSNN_FUZZ=1 swift build "${flags[@]}" --product "fuzz-$t" 2>&1 | grep -E "error:" -A3 || true
        test -x ".build-fuzz/debug/fuzz-$t" || { echo "fuzz-$t did not build"; exit 1; }
    done ;;
run)
    t=$2; secs=$3
    mkdir -p ".build-fuzz/corpus/$t" ".build-fuzz/artifacts/$t" .build-fuzz/logs
    # The C API target allocates models; the rest are parsers (1 s is generous for them).
    timeout=5; [ "$t" = capi ] && timeout=20
    ".build-fuzz/debug/fuzz-$t" ".build-fuzz/corpus/$t" "fuzz/corpus/$t" \
        -max_total_time="$secs" -timeout="$timeout" -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix=".build-fuzz/artifacts/$t/" -print_final_stats=1 \
        >".build-fuzz/logs/$t.log" 2>&1 || true
    grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec|^stat::new_units_added|^stat::peak_rss|Done [0-9]+ runs|ERROR|SUMMARY" ".build-fuzz/logs/$t.log" | tail -8
    ls ".build-fuzz/artifacts/$t/" ;;
*) echo "usage: $0 build | run TARGET SECONDS"; exit 2 ;;
esac
