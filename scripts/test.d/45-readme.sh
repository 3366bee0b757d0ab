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
# The reproduce output quoted in README.md and docs/CLI.md is a verbatim excerpt of a
# checked-in run of `bash scripts/main.sh` (docs/results/reproduce-console.txt).
quoted_output() {
    python3 - <<'PY'
import pathlib, re, sys
run = pathlib.Path("docs/results/reproduce-console.txt").read_text().splitlines()
text = pathlib.Path("README.md").read_text()
block = re.search(r"```text\n\$ bsnn reproduce --out report\n(.*?)```", text, re.S)
if not block:
    sys.exit("README.md: no reproduce output block")
lines = {r.rstrip() for r in run}
missing = [l for l in block.group(1).splitlines() if l.strip() and l.rstrip() not in lines]
if missing:
    sys.exit("README.md lines not in docs/results/reproduce-console.txt:\n" + "\n".join(missing))
print(f"{len(block.group(1).splitlines())} quoted lines found in the checked-in run")
PY
}
run reproduce-output-quoted quoted_output
for script in main test; do
    run "command-$script" bash -c "grep -qF 'bash scripts/$script.sh' README.md && bash -n scripts/$script.sh"
done
echo "readme: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
