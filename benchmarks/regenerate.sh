#!/usr/bin/env bash
# Regenerates the side-by-side tables from one fresh run: benchmarks/run.sh at depth 200,
# 1 and 2 threads (all installed peers, bsnn in both update modes), then replaces the
# table between the `bench-table` markers in benchmarks/RESULTS.md and in README.md.
# Run it on an idle machine; it prints its own elapsed time (budget: 6 minutes).
#
# usage: benchmarks/regenerate.sh [extra run.sh arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
PEER_TIMEOUT=${PEER_TIMEOUT:-150} bash benchmarks/run.sh --depths 200 --threads 1,2 "$@"
jsonl=benchmarks/results/latest.jsonl
stamp=$(date -u +%Y-%m-%d)
cp "$jsonl" "benchmarks/results/run-$stamp.jsonl"
python3 - "$jsonl" "$stamp" "$(cat /proc/loadavg | cut -d' ' -f1-3)" <<'PY'
import subprocess, sys
sys.path.insert(0, "scripts")
from docblocks import replace as replace_block  # the marker mechanism the docs' output blocks share
jsonl, stamp, load = sys.argv[1:]
def table(*flags):
    return subprocess.run([sys.executable, "benchmarks/report.py", jsonl, *flags],
                          check=True, capture_output=True, text=True).stdout.strip()
def replace(path, body):
    replace_block(path, "bench-table", body)
note = f"Run of {stamp} (`benchmarks/regenerate.sh`, raw lines `results/run-{stamp}.jsonl`; load average at the end {load})."
replace("benchmarks/RESULTS.md", note + "\n\n" + table("--markdown"))
replace("README.md", table("--readme"))
PY
echo "regenerate.sh: $(( $(date +%s) - start )) s" >&2
