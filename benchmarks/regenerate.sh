#!/usr/bin/env bash
# Regenerates the side-by-side tables from one fresh run: benchmarks/run.sh at depths 200
# and 20, 1 and 2 threads (all installed peers, bsnn in both update modes), then replaces
# the text between the `bench-table` markers in benchmarks/RESULTS.md (every table, the
# run's date, load and peer versions) and in README.md (depth 200). Everything outside
# the markers is prose and stays as it is. Run it on an idle machine; it prints its own
# elapsed time (budget: 8 minutes with every peer installed).
#
# usage: benchmarks/regenerate.sh [extra run.sh arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
PEER_TIMEOUT=${PEER_TIMEOUT:-150} bash benchmarks/run.sh --depths 200,20 --threads 1,2 "$@"
jsonl=benchmarks/results/latest.jsonl
stamp=$(date -u +%Y-%m-%d)
# A second run on the same day keeps the first one's raw lines (RESULTS.md may cite them).
raw=run-$stamp.jsonl n=2
while [ -e "benchmarks/results/$raw" ]; do raw=run-$stamp-$n.jsonl; n=$((n + 1)); done
python3 - "$jsonl" "$raw" "$stamp" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import importlib, json, subprocess, sys
jsonl, raw, stamp, load = sys.argv[1:]
versions = []
for name in ("torch", "jax", "numpy"):
    try:
        versions.append(f"{name} {importlib.import_module(name).__version__}")
    except Exception:
        versions.append(f"{name} not installed")
fann = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libfann2"], capture_output=True, text=True)
versions.append(f"FANN {fann.stdout}" if fann.returncode == 0 and fann.stdout else "FANN not installed")
swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.split("\n")[0].strip()
if swift:
    versions.append(swift)
record = {"peer": "run", "date": stamp, "raw": raw, "load": load, "versions": "; ".join(versions)}
with open(jsonl, "a") as f:
    f.write(json.dumps(record, ensure_ascii=False) + "\n")
PY
cp "$jsonl" "benchmarks/results/$raw"
python3 - "benchmarks/results/$raw" <<'PY'
import subprocess, sys
sys.path.insert(0, "scripts")
from docblocks import replace  # the marker mechanism the docs' output blocks share
def render(flag):
    return subprocess.run([sys.executable, "benchmarks/report.py", sys.argv[1], flag],
                          check=True, capture_output=True, text=True).stdout.strip()
replace("benchmarks/RESULTS.md", "bench-table", render("--results-block"))
replace("README.md", "bench-table", render("--readme"))
PY
echo "regenerate.sh: $(( $(date +%s) - start )) s" >&2
