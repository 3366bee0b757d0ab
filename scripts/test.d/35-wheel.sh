#!/usr/bin/env bash
# The Python wheel as a user gets it: scripts/package/python-wheel.sh builds it, it is
# installed into a fresh venv outside the repository, and fit + save + load and the
# bundled `bsnn` command run with the system's libbsnn (/usr/local/lib) and OpenBLAS,
# libgfortran hidden (inside `unshare -m`, an empty folder/file bind-mounted over them
# for that one command; the real files are never touched), where the checkout's own
# build must fail to import naming OpenBLAS as the cause. Also: the wheel's tags and
# metadata, loud failures without a release build, and `pip uninstall` leaving nothing.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
PY=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
swift build -c release >/dev/null 2>&1 || { echo "wheel: 0 passed, 1 failed (swift build)"; exit 1; }
$PY -c "import venv, ensurepip" 2>/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; } \
    || { echo "wheel: 0 passed, 1 failed (cannot install python3-venv)"; exit 1; }
work=$(mktemp -d /tmp/bsnn-wheel.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0; failed=0; skipped=0
check() { # name command...
    local name=$1; shift
    if "$@" >"$work/$name.log" 2>&1; then passed=$((passed + 1)); echo "ok    $name"
    else failed=$((failed + 1)); echo "FAIL  $name"; tail -20 "$work/$name.log" | sed 's/^/      /'; fi
}

build_wheel() {
    bash scripts/package/python-wheel.sh --out "$work/dist" >"$work/wheel-path" || return 1
    wheel=$(tail -1 "$work/wheel-path"); [ -f "$wheel" ] && echo "$wheel"
}
check build-wheel build_wheel
wheel=$(tail -1 "$work/wheel-path" 2>/dev/null)
[ -f "$wheel" ] || { echo "wheel: $passed passed, $((failed + 1)) failed (no wheel)"; exit 1; }
echo "      $(basename "$wheel") $(du -h "$wheel" | cut -f1)"

wheel_contents() {
    unzip -p "$wheel" bsnn-0.1.0.dist-info/WHEEL >"$work/WHEEL" && cat "$work/WHEEL"
    grep -qx "Root-Is-Purelib: false" "$work/WHEEL" && grep -qE "^Tag: py3-none-manylinux_[0-9]+_[0-9]+_$(uname -m)$" "$work/WHEEL" || return 1
    unzip -p "$wheel" bsnn-0.1.0.dist-info/METADATA >"$work/METADATA"
    grep -qx "License-Expression: MIT" "$work/METADATA" && grep -q "^Classifier: " "$work/METADATA" \
        && grep -q "^Project-URL: " "$work/METADATA" && grep -q "^# bsnn for Python" "$work/METADATA" || return 1
    unzip -l "$wheel" >"$work/list" && cat "$work/list"
    for f in bsnn/libbsnn.so bsnn/_bin/bsnn-cli bsnn/_build_stamp.txt bsnn-0.1.0.dist-info/licenses/LICENSE 'bsnn.libs/libopenblas.*\.so' 'bsnn.libs/libgfortran'; do
        grep -qE " $f" "$work/list" || { echo "missing in the wheel: $f"; return 1; }
    done
    grep -qx "bsnn = bsnn._cli:main" <(unzip -p "$wheel" bsnn-0.1.0.dist-info/entry_points.txt)
}
check wheel-tags-and-metadata wheel_contents
# scripts/setup.sh reinstalls when these differ; the stamp is a package file in RECORD.
stamp_matches() {
    local built expected
    built=$(unzip -p "$wheel" bsnn/_build_stamp.txt) && expected=$(python3 bindings/python/setup.py --print-stamp) || return 1
    echo "wheel $built, sources $expected"
    [ -n "$built" ] && [ "$built" = "$expected" ] && unzip -p "$wheel" bsnn-0.1.0.dist-info/RECORD | grep -q "^bsnn/_build_stamp.txt,"
}
check build-stamp-in-record stamp_matches

# Without a release build the package must not build (let alone install) silently.
fails_loudly() { # what-to-run...
    local empty=$work/no-build; mkdir -p "$empty"
    if BSNN_RELEASE_DIR=$empty "$@" >"$work/loud.out" 2>&1; then echo "built without a library:"; cat "$work/loud.out"; return 1; fi
    cat "$work/loud.out"
    grep -q "libbsnn.so, bsnn-cli not found in $empty" "$work/loud.out" && grep -q "swift build -c release" "$work/loud.out"
}
check pip-install-without-build-fails fails_loudly $PY -m pip install --no-deps --target "$work/target" "$root/bindings/python"
# python -m build makes an sdist and builds the wheel from it, elsewhere: without
# BSNN_RELEASE_DIR it cannot see the repository's build and must say so.
build_from_sdist_fails() {
    if (cd "$work" && env -u BSNN_RELEASE_DIR $PY -m build --outdir "$work/sdist-out" "$root/bindings/python") >"$work/sdist.out" 2>&1; then
        echo "built from the sdist without a library:"; cat "$work/sdist.out"; return 1
    fi
    cat "$work/sdist.out"; grep -q "not found in" "$work/sdist.out" && grep -q "BSNN_RELEASE_DIR" "$work/sdist.out"
}
check python-m-build-without-library-fails build_from_sdist_fails

venv=$work/venv
make_venv() {
    $PY -m venv "$venv" && "$venv/bin/python" -m pip install -q numpy \
        && (cd "$venv" && find . -path ./work -prune -o -print | grep -v __pycache__ | sort) >"$work/venv-before" \
        && "$venv/bin/python" -m pip install -q --no-deps "$wheel" && [ -x "$venv/bin/bsnn" ]
}
check venv-install make_venv

cat >"$work/roundtrip.py" <<'PY'
"""Runs inside the namespace where the system's libbsnn and OpenBLAS are hidden."""
import os, subprocess, sys
import numpy as np
import bsnn

site = os.path.dirname(os.path.dirname(bsnn.__file__))
assert bsnn.library_path.startswith(site), bsnn.library_path
maps = open("/proc/self/maps").read()
# numpy's wheel brings its own OpenBLAS (numpy.libs/libscipy_openblas*); bsnn's is libopenblas.
blas = sorted({line.split()[-1] for line in maps.splitlines()
               if "/libopenblas" in line and "numpy.libs" not in line})
assert blas and all(p.startswith(os.path.join(site, "bsnn.libs")) for p in blas), blas
print("libbsnn", bsnn.library_path, "openblas", blas)
for hidden in ("/usr/local/lib/libbsnn.so.0", "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"):
    assert not os.path.exists(hidden), hidden + " is not hidden"

rng = np.random.default_rng(3)
X = rng.standard_normal((256, 12)).astype(np.float32)
y = (X[:, 0] + X[:, 1] > 0).astype(np.int32) + 2 * (X[:, 2] > 0)
model = bsnn.MLP(12, 16, 4, 4, "tanh", seed=5)
history = model.fit(X, y, epochs=4, batch_size=32, lr=0.05, seed=1)
loss, accuracy = model.evaluate(X, y)
assert np.isfinite(loss) and accuracy > 0.6, (loss, accuracy)
path = os.path.join(sys.argv[1], "m.bsnn")
model.save(path)
again = bsnn.load(path)
assert np.array_equal(model.predict(X), again.predict(X)), "load changed predictions"
print(f"fit+save+load ok: loss {loss:.4f} accuracy {accuracy:.3f}")

cli = os.path.join(os.path.dirname(sys.executable), "bsnn")
out = subprocess.run([cli, "gpn", "tanh"], capture_output=True, text=True, check=True).stdout
assert "1.4674" in out, out
out = subprocess.run([cli, "inspect", path], capture_output=True, text=True, check=True).stdout
assert "tanh" in out and "16" in out, out
print("bundled bsnn ok")
PY

hidden_roundtrip() {
    local empty=$work/empty-dir emptyfile=$work/empty-file gfortran
    mkdir -p "$empty" "$work/run" && : >"$emptyfile"
    gfortran=$(readlink -f /usr/lib/x86_64-linux-gnu/libgfortran.so.5 2>/dev/null || true)
    # The venv's python is a link to the base interpreter, so it keeps working.
    unshare -m bash -c '
        set -e
        mount --make-rprivate / 2>/dev/null || true
        mount --bind "$1" /usr/local/lib
        for d in /usr/lib/x86_64-linux-gnu/openblas-pthread /usr/lib/x86_64-linux-gnu/openblas-openmp /usr/lib/x86_64-linux-gnu/openblas-serial; do
            [ -d "$d" ] && mount --bind "$1" "$d"
        done
        [ -n "$3" ] && [ -f "$3" ] && mount --bind "$2" "$3"
        cd "$4" && env -u BSNN_LIBRARY -u LD_LIBRARY_PATH "$5/bin/python" "$6" "$4"
        # The build of the checkout links the (now hidden) system OpenBLAS: importing it
        # must name that dependency instead of advising a build.
        out=$(BSNN_LIBRARY="$7/libbsnn.so" PYTHONPATH="$8" "$5/bin/python" -c "import bsnn" 2>&1) && exit 1
        echo "$out" | tail -3
        echo "$out" | grep -q "LibraryNotFound: cannot load libbsnn.so" \
            && echo "$out" | grep -q "exists but its dependency libopenblas.so.0 cannot be found" \
            && ! echo "$out" | tail -1 | grep -q "swift build"
    ' hide "$empty" "$emptyfile" "$gfortran" "$work/run" "$venv" "$work/roundtrip.py" \
        "$(swift build -c release --show-bin-path)" "$root/bindings/python/src"
}
if unshare -m true 2>/dev/null; then
    check fit-save-load-cli-with-system-libraries-hidden hidden_roundtrip
else
    skipped=$((skipped + 1))
    echo "SKIP  fit-save-load-cli-with-system-libraries-hidden: unshare -m is not permitted here ($(unshare -m true 2>&1 | head -1))"
fi

uninstall_leaves_nothing() {
    "$venv/bin/python" -m pip uninstall -y -q bsnn || return 1
    (cd "$venv" && find . -path ./work -prune -o -print | grep -v __pycache__ | sort) >"$work/venv-after"
    diff -u "$work/venv-before" "$work/venv-after"
}
check pip-uninstall-leaves-nothing uninstall_leaves_nothing

echo "wheel: $passed passed, $failed failed$([ $skipped -gt 0 ] && echo ", $skipped skipped")"
[ "$failed" -eq 0 ]
