#!/usr/bin/env bash
# The C ABI: examples and tests compiled against include/bsnn.h and the release
# libbsnn.so of this checkout (not the installed copy), the exported-symbol check, the
# header as C11 and C++, test_robustness (numeric and size edge cases, hostile plugins
# through bsnn_plugin_validate_isolated), and the C tests under valgrind memcheck.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
swift build -c release 2>&1 | grep -E "error:" ; swift build -c release >/dev/null 2>&1 || { echo "c: 0 passed, 1 failed"; exit 1; }
bin=$(swift build -c release --show-bin-path)
# The release library's SONAME is libbsnn.so.0: programs linked against the build
# directory look for that name next to it (an install makes the same link).
ln -sfn libbsnn.so "$bin/libbsnn.so.0"
work=$(mktemp -d /tmp/bsnn-c.XXXXXX)
trap 'rm -rf "$work"' EXIT
CFLAGS=(-std=c11 -Wall -Wextra -Werror -pedantic -O1 -g -I"$root/include")
LIBS=(-L"$bin" -Wl,-rpath,"$bin" -lbsnn -lm)

passed=0; failed=0
check() { # name command...
    local name=$1; shift
    local start=$(date +%s.%N)
    if "$@" >"$work/$name.log" 2>&1; then
        passed=$((passed + 1)); printf 'ok    %-22s (%.1f s)\n' "$name" "$(echo "$(date +%s.%N) - $start" | bc)"
    else
        failed=$((failed + 1)); echo "FAIL  $name"; tail -25 "$work/$name.log" | sed 's/^/      /'
    fi
}
build() { cc "${CFLAGS[@]}" -o "$work/$1" "$2" "${LIBS[@]}" "${@:3}"; }

make -s -C examples/plugins >/dev/null
plugin=$root/examples/plugins/libsoftclip.so

check header-c11 bash -c "echo '#include <bsnn.h>
int main(void){return bsnn_abi_version()==BSNN_ABI_VERSION?0:1;}' | cc ${CFLAGS[*]} -x c - -o $work/hc ${LIBS[*]} && $work/hc"
check header-c++11 bash -c "echo '#include <bsnn.h>
int main(){bsnn_model *m=nullptr; bsnn_model_free(m); return bsnn_abi_version()==BSNN_ABI_VERSION?0:1;}' | g++ -std=c++11 -Wall -Wextra -Werror -pedantic -I$root/include -x c++ - -o $work/hcc ${LIBS[*]} && $work/hcc"
symbols() {
    # Global dynamic symbols, version suffix (@@BSNN_0.1) stripped: exactly the header's.
    nm -D -g --defined-only "$bin/libbsnn.so" | awk '$2 != "A" {print $3}' | sed 's/@.*//' | sort >"$work/exported"
    grep -oE '^BSNN_API [^(]*\(' include/bsnn.h | grep -oE 'bsnn_[a-z0-9_]+ *\($' | tr -d ' (' | sort >"$work/declared"
    diff -u "$work/declared" "$work/exported" && echo "$(wc -l <"$work/declared") functions"
}
check symbols symbols

for ex in gpn_table ffi_erf probe train_fashion plugin_train; do
    build "$ex" "examples/c/$ex.c" || { failed=$((failed + 1)); echo "FAIL  compile $ex"; continue; }
done
check gpn_table "$work/gpn_table"
check ffi_erf "$work/ffi_erf"
check probe "$work/probe"
check train_fashion "$work/train_fashion" /usr/share/datasets/fashion-mnist "$work/train_fashion.bsnn"
check plugin_train "$work/plugin_train" "$plugin"

build test_config_abi tests/c/test_config_abi.c && check test_config_abi "$work/test_config_abi"
build test_training_options tests/c/test_training_options.c && check test_training_options "$work/test_training_options"
build test_scaling tests/c/test_scaling.c -D_POSIX_C_SOURCE=200809L && check test_scaling "$work/test_scaling"
build test_paths tests/c/test_paths.c -D_POSIX_C_SOURCE=200809L && check test_paths "$work/test_paths"
build test_export_accessors tests/c/test_export_accessors.c && check test_export_accessors "$work/test_export_accessors"
build test_buffers tests/c/test_buffers.c -D_POSIX_C_SOURCE=200809L && check test_buffers "$work/test_buffers"
build test_normalization tests/c/test_normalization.c -D_POSIX_C_SOURCE=200809L && check test_normalization "$work/test_normalization"
build test_residual_dropout tests/c/test_residual_dropout.c && check test_residual_dropout "$work/test_residual_dropout"
build test_recipes tests/c/test_recipes.c && check test_recipes "$work/test_recipes"
build test_monitor tests/c/test_monitor.c && check test_monitor "$work/test_monitor"
build test_exchange tests/c/test_exchange.c && check test_exchange "$work/test_exchange"
# No allocation in a steady-state step: malloc & co. counted by a preloaded interposer.
cc -shared -fPIC -O2 -o "$work/malloc_count.so" benchmarks/malloc_count.c -ldl
build test_steady_allocation tests/c/test_steady_allocation.c -ldl &&
    check test_steady_allocation env LD_PRELOAD="$work/malloc_count.so" "$work/test_steady_allocation"
# Allocation failures under a lowered RLIMIT_AS (ulimit -v) return OUT_OF_MEMORY.
# Not under valgrind or the sanitizers: both reserve address space the limit forbids.
build test_memory tests/c/test_memory.c -D_POSIX_C_SOURCE=200809L
check test_memory "$work/test_memory"
# Hostile plugins for bsnn_plugin_validate_isolated (crash, hang, close the pipe and run
# on, fork a lingering process, crash after forking, exit()) and the per-image lock.
for f in segfault hang closes_output forks_lingering crashes_after_fork calls_exit counts_overlaps; do
    cc -shared -fPIC -O2 -I"$root/include" -o "$work/lib$f.so" "Tests/fixtures/broken_plugins/$f.c" -lm
done
build test_api tests/c/test_api.c && build test_threads tests/c/test_threads.c -pthread
check test_api "$work/test_api" "$plugin"
check test_threads "$work/test_threads" "$work/libcounts_overlaps.so"
build test_robustness tests/c/test_robustness.c -D_POSIX_C_SOURCE=200809L $(pkg-config --cflags --libs openblas)
check test_robustness "$work/test_robustness" "$work/libsegfault.so" "$work/libhang.so" "$plugin" "$work"

if command -v valgrind >/dev/null; then
    # Debian's valgrind cannot parse the DWARF 5 of the static Swift runtime: check a
    # copy without debug info, found first through LD_LIBRARY_PATH (rpath is RUNPATH).
    mkdir -p "$work/vglib" && strip --strip-debug -o "$work/vglib/libbsnn.so.0" "$bin/libbsnn.so"  # the SONAME the tests need
    VG=(env LD_LIBRARY_PATH="$work/vglib" valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1)
    check valgrind-test_api "${VG[@]}" "$work/test_api" "$plugin"
    check valgrind-test_threads "${VG[@]}" "$work/test_threads" "$work/libcounts_overlaps.so"
    for t in test_config_abi test_training_options test_scaling test_paths test_export_accessors test_buffers test_normalization test_residual_dropout test_recipes test_monitor test_exchange; do check "valgrind-$t" "${VG[@]}" "$work/$t"; done
else
    echo "SKIP  valgrind (not installed): memory checks not run"
fi

echo "c: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
