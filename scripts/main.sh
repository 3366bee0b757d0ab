#!/usr/bin/env bash
# The main job: install and build bsnn, then reproduce the paper's tables and figures
# into ./report (report.md plus SVGs). About 10 minutes on 2 cores. What it prints is
# also kept as report/console.txt (the README quotes a checked-in copy of one run,
# docs/results/reproduce-console.txt, and a test checks the quote against it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p report
bsnn reproduce --out report "$@" | tee report/console.txt
