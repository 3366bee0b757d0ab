#!/usr/bin/env bash
# The main job: install and build bsnn, then reproduce the paper's tables and figures
# into ./report (report.md plus SVGs). About 10 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bsnn reproduce --out report "$@"
