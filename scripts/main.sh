#!/usr/bin/env bash
# The main job: install and build bsnn, then reproduce the paper's tables and figures
# into ./report (report.md plus SVGs). About 10 minutes on 2 cores. What it prints is
# also kept as report/console.txt. The README's copy of this output is not taken from
# here: scripts/regenerate-docs.py runs the command itself (docs/results/reproduce.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p report
bsnn reproduce --out report "$@" | tee report/console.txt
