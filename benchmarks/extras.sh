#!/usr/bin/env bash
# bsnn-only measurements that have no peer: activation throughput (builtin vs plugin
# vectorized vs plugin scalar vs libffi), step time with plugin activations, allocations
# per step, peak memory, and step time against depth and width (linear in depth,
# quadratic in width expected). Results go to benchmarks/results/extras.jsonl.
#
# usage: benchmarks/extras.sh [--quick]
set -uo pipefail
cd "$(dirname "$0")/.."
quick=0; [ "${1:-}" = --quick ] && quick=1
swift build -c release --product bsnn-bench >/dev/null 2>&1 || { echo "bsnn-bench does not build" >&2; exit 1; }
bench=$(swift build -c release --show-bin-path)/bsnn-bench
mkdir -p benchmarks/build benchmarks/results
out=benchmarks/results/extras.jsonl
: > "$out"
cc -shared -fPIC -O3 -fno-trapping-math -Iinclude -o benchmarks/build/libfasttanh.so examples/plugins/fasttanh.c -lm
cc -shared -fPIC -O2 -o benchmarks/build/malloc_count.so benchmarks/malloc_count.c -ldl
plugin=benchmarks/build/libfasttanh.so
run() { echo "== $*" >&2; "$@" | tee -a "$out"; }

# 1. φ and φ' over 10⁷ elements.
run "$bench" --activation-throughput --activation tanh
run "$bench" --activation-throughput --plugin "$plugin:fasttanh"
run "$bench" --activation-throughput --plugin "$plugin:fasttanh_scalar"
run "$bench" --activation-throughput --symbol "libm.so.6:tanh:double(double)"
run "$bench" --activation-throughput --symbol "libm.so.6:tanh:double(double)" --ffi

# 1b. The GPN normalizer's cost per call (start-up latency of building a network).
run "$bench" --normalize-timing

# 2. Training step at the paper configuration with plugin activations vs builtin, and
#    allocations per step in steady state (malloc/calloc/realloc/posix_memalign counted
#    by a preloaded interposer).
steps=10; [ "$quick" = 1 ] && steps=3
depth=200; [ "$quick" = 1 ] && depth=20
for spec in "" "--plugin $plugin:fasttanh" "--plugin $plugin:fasttanh_scalar"; do
    # shellcheck disable=SC2086
    run env LD_PRELOAD=$PWD/benchmarks/build/malloc_count.so "$bench" --depth $depth --steps $steps --warmup 2 $spec
done

# 3. Scaling in depth (width 500) and width (depth 20).
depths="20 50 100 200 500"; widths="128 256 500 1000"
[ "$quick" = 1 ] && { depths="20 50"; widths="128 256"; }
for d in $depths; do run "$bench" --depth "$d" --steps "$steps" --warmup 2; done
for w in $widths; do run "$bench" --depth 20 --width "$w" --steps "$steps" --warmup 2; done
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print("\nactivation throughput (φ and φ', 10^7 elements)")
for r in rows:
    if "ns_per_element" in r:
        print(f"  {r['activation']:<48} {r['ns_per_element']:7.2f} ns/element  {r['elements_per_s']/1e6:8.1f} M/s")
print("\nstep time (median ms) | activation | depth | width | mallocs/step | peak RSS MiB | minimum MiB")
for r in rows:
    if "median_ms" in r:
        print(f"  {r['median_ms']:8.1f} | {r['activation']:<16} | {r['depth']:4} | {r['width']:5} | "
              f"{r['mallocs_per_step']} | {r['peak_rss_mib']:.0f} | {r['minimum_mib']:.0f}")
PY
