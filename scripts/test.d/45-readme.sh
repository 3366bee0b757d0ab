#!/usr/bin/env bash
# README.md is tested code: every fenced block preceded by `<!-- readme-test: LANG -->`
# runs here (sh with bash -e, c compiled with the project's strict flags through
# pkg-config, python with python3), and the two set-up commands it names must exist.
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
for script in main test; do
    run "command-$script" bash -c "grep -qF 'bash scripts/$script.sh' README.md && bash -n scripts/$script.sh"
done
echo "readme: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
