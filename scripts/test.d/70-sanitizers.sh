#!/usr/bin/env bash
# The C ABI under sanitizers: libbsnn.so built with AddressSanitizer (.build-asan) runs
# test_api, test_threads and test_robustness compiled with the toolchain's clang
# (-fsanitize=address,undefined; UBSan covers the C side only: Swift has no
# -sanitize=undefined, its own checks trap instead), and a ThreadSanitizer build
# (.build-tsan) runs test_threads. Any report fails the suite.
#
# Debug configuration on purpose: the release flags -static-stdlib and -z defs cannot
# link with sanitizer runtimes (their symbols stay undefined in the .so and come from
# the executable's -shared-libsan runtime).
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
clang=$(dirname "$(readlink -f "$(command -v swift)")")/clang
rt=$(dirname "$("$clang" -print-file-name=libclang_rt.asan-x86_64.so 2>/dev/null)")
if [ ! -x "$clang" ] || [ ! -f "$rt/libclang_rt.asan-x86_64.so" ] || [ ! -f "$rt/libclang_rt.tsan-x86_64.so" ]; then
    echo "SKIP  sanitizers: the Swift toolchain's clang or its sanitizer runtimes were not found ($clang, $rt)"
    echo "sanitizers: 0 passed, 0 failed"
    exit 0
fi
work=$(mktemp -d /tmp/bsnn-san.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0; failed=0
check() { # name command...
    local name=$1; shift
    local start=$(date +%s.%N)
    if "$@" >"$work/$name.log" 2>&1 && ! grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:|WARNING: ThreadSanitizer" "$work/$name.log"; then
        passed=$((passed + 1)); printf 'ok    %-26s (%.1f s)\n' "$name" "$(echo "$(date +%s.%N) - $start" | bc)"
    else
        failed=$((failed + 1)); echo "FAIL  $name (full log: .build-san-logs/$name.log)"
        mkdir -p .build-san-logs && cp "$work/$name.log" .build-san-logs/; grep -m1 -A30 -E "ERROR: |runtime error:|WARNING: ThreadSanitizer|FAIL" "$work/$name.log" | sed 's/^/      /' | head -40
    fi
}
make -s -C examples/plugins >/dev/null
plugin=$root/examples/plugins/libsoftclip.so
for f in segfault hang closes_output forks_lingering crashes_after_fork calls_exit counts_overlaps; do
    cc -shared -fPIC -O2 -I"$root/include" -o "$work/lib$f.so" "Tests/fixtures/broken_plugins/$f.c" -lm
done

build_lib() { # scratch sanitizer
    swift build --scratch-path "$1" -c debug --sanitize="$2" --product bsnn >"$work/build-$2.log" 2>&1 \
        || { grep -E "error:" "$work/build-$2.log" | head -5; return 1; }
}
cbuild() { # output source sanitizer-flags lib-dir
    "$clang" -std=c11 -g -O1 -D_POSIX_C_SOURCE=200809L $3 -shared-libsan -I"$root/include" -o "$work/$1" "$2" \
        -pthread -L"$4" -Wl,-rpath,"$4" -Wl,-rpath,"$rt" -lbsnn -lm
}

# ---- AddressSanitizer (+ LeakSanitizer) and UBSan on the C side
if build_lib .build-asan address; then
    lib=$root/.build-asan/debug
    asan="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
    # Swift runtime metadata caches are allocated once and kept for the process
    # lifetime; LSan sees them as reachable through globals, so no suppressions are needed.
    for t in test_api test_threads; do
        cbuild "$t-asan" "tests/c/$t.c" "$asan" "$lib" || { failed=$((failed + 1)); echo "FAIL  compile $t-asan"; }
    done
    cbuild test_robustness-asan tests/c/test_robustness.c "$asan $(pkg-config --cflags --libs openblas)" "$lib" \
        || { failed=$((failed + 1)); echo "FAIL  compile test_robustness-asan"; }
    check asan-test_api "$work/test_api-asan" "$plugin"
    check asan-test_threads "$work/test_threads-asan" "$work/libcounts_overlaps.so"
    check asan-test_robustness "$work/test_robustness-asan" "$work/libsegfault.so" "$work/libhang.so" "$plugin" "$work"
    unset ASAN_OPTIONS
else
    failed=$((failed + 1)); echo "FAIL  build libbsnn.so with --sanitize=address"
fi

# ---- ThreadSanitizer
if build_lib .build-tsan thread; then
    lib=$root/.build-tsan/debug
    cbuild test_threads-tsan tests/c/test_threads.c "-fsanitize=thread" "$lib" \
        || { failed=$((failed + 1)); echo "FAIL  compile test_threads-tsan"; }
    # Races show up in some schedules only (the registry race of the Mutex era: about
    # one run in ten), so run it several times.
    repeat() { local n=$1; shift; for _ in $(seq "$n"); do "$@" || return 1; done; }
    TSAN_OPTIONS=halt_on_error=1 check tsan-test_threads-x8 repeat 8 "$work/test_threads-tsan" "$work/libcounts_overlaps.so"
else
    failed=$((failed + 1)); echo "FAIL  build libbsnn.so with --sanitize=thread"
fi

echo "sanitizers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
