#!/usr/bin/env bash
# README.md is tested code: every fenced block preceded by `<!-- readme-test: LANG -->`
# runs here (sh with bash -e, c compiled with the project's strict flags through
# pkg-config, python with python3), the two set-up commands it names must exist, and the
# quoted run outputs must be current (tests/docs/check_outputs.py).
set -uo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/bsnn-readme.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import re, sys, pathlib
work = pathlib.Path(sys.argv[1])
text = pathlib.Path("README.md").read_text()
blocks = re.findall(r"<!-- readme-test: (\w+) -->\s*```\w*\n(.*?)```", text, re.S)
for i, (lang, body) in enumerate(blocks):
    ext = {"sh": "sh", "c": "c", "python": "py"}[lang]
    (work / f"block{i}.{ext}").write_text(body)
print(f"{len(blocks)} tested blocks in README.md")
PY
passed=0; failed=0
run() { # name command...
    local name=$1; shift
    if "$@" >"$work/$name.log" 2>&1; then passed=$((passed + 1)); echo "ok    $name"
    else failed=$((failed + 1)); echo "FAIL  $name"; tail -20 "$work/$name.log" | sed 's/^/      /'; fi
}
for f in "$work"/block*; do
    name=$(basename "$f")
    case "$f" in
        *.sh) run "$name" bash -e "$f" ;;
        *.c) run "$name" bash -c "cc -std=c11 -Wall -Wextra -Werror -pedantic -o '$work/c.out' '$f' \$(pkg-config --cflags --libs bsnn) && '$work/c.out'" ;;
        *.py) run "$name" bash -c "cd '$work' && python3 '$f'" ;;
    esac
done
# The "real output" blocks of README.md and docs/CLI.md equal the checked-in runs that
# scripts/regenerate-docs.py wrote (docs/results/NAME.txt), and every number quoted in
# their prose occurs in a run output or is listed with its reason.
run docs-outputs python3 tests/docs/check_outputs.py
python3 -c "import pytest" 2>/dev/null || python3 -m pip install -q pytest 2>/dev/null \
    || python3 -m pip install -q --break-system-packages pytest
run docs-outputs-check-finds-stale python3 -m pytest -q -p no:cacheprovider tests/docs
for script in main test; do
    run "command-$script" bash -c "grep -qF 'bash scripts/$script.sh' README.md && bash -n scripts/$script.sh"
done
echo "readme: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
