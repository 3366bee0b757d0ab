#!/usr/bin/env bash
# Packaging for C users: the release library's SONAME and exports, an install into a
# temporary prefix with consumers built by pkg-config (shared and --static) and CMake
# (find_package(bsnn 0.1 CONFIG) → bsnn::bsnn, bsnn::bsnn_static), a version request
# CMake must refuse, and a DESTDIR install + uninstall that leaves the tree as before.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
swift build -c release >/dev/null 2>&1 || { echo "packaging: 0 passed, 1 failed (swift build)"; exit 1; }
command -v cmake >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake >/dev/null; } \
    || { echo "packaging: 0 passed, 1 failed (cannot install cmake)"; exit 1; }
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d /tmp/bsnn-packaging.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0; failed=0
check() { # name command...
    local name=$1; shift
    if "$@" >"$work/$name.log" 2>&1; then passed=$((passed + 1)); echo "ok    $name"
    else failed=$((failed + 1)); echo "FAIL  $name"; tail -20 "$work/$name.log" | sed 's/^/      /'; fi
}

check soname bash -c "readelf -d '$bin/libbsnn.so' | grep -F '(SONAME)' | grep -qF '[libbsnn.so.0]'"
only_api() {
    nm -D -g --defined-only "$bin/libbsnn.so" >"$work/dynsym"
    # Everything global is a bsnn_ function of version node BSNN_0.1, or the node itself.
    ! grep -vE ' T bsnn_[a-z0-9_]+@@BSNN_0\.1$| A BSNN_0\.1$' "$work/dynsym" && grep -c ' T bsnn_' "$work/dynsym"
}
check exports-only-api only_api
# The fuzz targets' bodies live in their own target (Sources/BSNNFuzzing), outside the
# shipped library: no trace of them (not even their source path) is in libbsnn.so.
check no-fuzz-code bash -c "! strings '$bin/libbsnn.so' | grep -q -e FuzzEntryPoints -e BSNNFuzzing"

prefix=$work/prefix
check install bash scripts/install.sh --prefix "$prefix"
links() {
    [ "$(readlink "$prefix/lib/libbsnn.so")" = libbsnn.so.0 ] && [ "$(readlink "$prefix/lib/libbsnn.so.0")" = libbsnn.so.0.1.0 ] \
        && [ -f "$prefix/lib/libbsnn.so.0.1.0" ] && [ -f "$prefix/lib/libbsnn.a" ] && [ -x "$prefix/bin/bsnn" ] \
        && [ -s "$prefix/share/bash-completion/completions/bsnn" ] && [ -f "$prefix/lib/cmake/bsnn/bsnnConfig.cmake" ]
}
check install-layout links
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
check pkgconfig-shared bash -c "cc -std=c11 -Wall -Wextra -Werror -o '$work/shared' tests/packaging/consumer.c \$(pkg-config --cflags --libs bsnn) -Wl,-rpath,'$prefix/lib' -lm && '$work/shared' && readelf -d '$work/shared' | grep -qF 'libbsnn.so.0'"
# Fully static: libbsnn.a plus the Debian archives that Libs.private names (glibc warns
# that dlopen, used for plugins, needs the shared libc at run time; that is expected).
check pkgconfig-static bash -c "cc -static -std=c11 -Wall -Wextra -o '$work/static' tests/packaging/consumer.c \$(pkg-config --static --cflags --libs bsnn) 2>&1 | grep -v \"Using 'dlopen'\\|in function\" ; '$work/static' && ! readelf -d '$work/static' | grep -q NEEDED"
cmake_consumer() {
    cmake -S tests/packaging -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" \
        && cmake --build "$work/cmake" >>"$work/cmake.log" && "$work/cmake/consumer_shared" && "$work/cmake/consumer_static"
}
check cmake-consumer cmake_consumer
refuse_version() {
    mkdir -p "$work/cmake-v" && sed 's/find_package(bsnn 0.1/find_package(bsnn 0.2/' tests/packaging/CMakeLists.txt >"$work/cmake-v/CMakeLists.txt"
    cp tests/packaging/consumer.c "$work/cmake-v/"
    ! cmake -S "$work/cmake-v" -B "$work/cmake-v/build" -DCMAKE_PREFIX_PATH="$prefix"
}
check cmake-refuses-0.2 refuse_version
# The installed command and library carry their Swift runtime: no toolchain path in ldd.
check installed-cli bash -c "'$prefix/bin/bsnn' gpn tanh | grep -q 1.4674 && ! ldd '$prefix/bin/bsnn' '$prefix/lib/libbsnn.so.0.1.0' | grep -q swift"

destdir_roundtrip() {
    local d=$work/destdir
    mkdir -p "$d/usr/local/share/keep" && echo "not bsnn's" >"$d/usr/local/share/keep/file"
    (cd "$d" && find . | sort) >"$work/before"
    DESTDIR=$d bash scripts/install.sh --prefix /usr/local || return 1
    [ -f "$d/usr/local/lib/libbsnn.so.0.1.0" ] && grep -qx "prefix=/usr/local" "$d/usr/local/lib/pkgconfig/bsnn.pc" || return 1
    DESTDIR=$d bash scripts/uninstall.sh --prefix /usr/local || return 1
    (cd "$d" && find . | sort) >"$work/after"
    diff -u "$work/before" "$work/after"
}
check destdir-install-uninstall destdir_roundtrip
echo "packaging: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
