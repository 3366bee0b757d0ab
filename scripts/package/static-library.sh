#!/usr/bin/env bash
# Builds libbsnn.a from the release build's objects: one relocatable object holding the
# engine, the C layer and the parts of the static Swift runtime they use, with every
# global symbol but the C API (include/bsnn.h) made local, so a static consumer needs
# only the Debian libraries of `pkg-config --static --libs bsnn`.
#   usage: scripts/package/static-library.sh OUTPUT.a   (after swift build -c release)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: static-library.sh OUTPUT.a}
bin=$(swift build -c release --show-bin-path)
runtime=$(dirname "$(readlink -f "$(command -v swift)")")/../lib/swift_static/linux
[ -f "$runtime/x86_64/swiftrt.o" ] || [ -f "$runtime/$(uname -m)/swiftrt.o" ] \
    || { echo "static-library: no static Swift runtime under $runtime" >&2; exit 1; }
objects=()
for target in BSNN CBSNN CBSNNSupport CBSNNPlugin; do
    for o in "$bin/$target.build"/*.o; do [ -f "$o" ] && objects+=("$o"); done
done
[ ${#objects[@]} -gt 0 ] || { echo "static-library: no objects in $bin (run swift build -c release)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# swiftrt.o registers the image's Swift metadata sections with the runtime at start-up.
ld -r -o "$work/combined.o" "$runtime/$(uname -m)/swiftrt.o" "${objects[@]}" -L"$runtime" \
    -lswiftCore -lswift_Concurrency -lswiftSynchronization -lswift_StringProcessing -lswift_RegexParser \
    -lswiftGlibc -ldispatch -lBlocksRuntime
grep -oE '^BSNN_API [^(]*\(' include/bsnn.h | grep -oE 'bsnn_[a-z0-9_]+ *\($' | tr -d ' (' | sort -u >"$work/api.txt"
objcopy --keep-global-symbols="$work/api.txt" "$work/combined.o" "$work/bsnn.o"
rm -f "$out.tmp"
ar rcsD "$out.tmp" "$work/bsnn.o"
mv -f "$out.tmp" "$out"
