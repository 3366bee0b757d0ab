#!/usr/bin/env bash
# The issue's collapsing configurations at the paper's size, watched by the monitor:
# depth 200, width 500, tanh-GPN, row-norm, batch 64, standardized Fashion-MNIST, 1 thread.
# Each run's records are summarized (scripts/monitor-summary.py) into one JSON line of
# LOG (default benchmarks/results/monitor-collapse-DATE.jsonl); the raw CSVs stay in DIR.
# Also times 20 steps with --monitor-every 1 against none (the monitor's cost).
# usage: scripts/monitor-collapse.sh [LABEL ...]   (default: all; a label already in LOG is skipped)
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BSNN="${BSNN:-$ROOT/.build/release/bsnn-cli}"
LOG="${LOG:-$ROOT/benchmarks/results/monitor-collapse-$(date +%F).jsonl}"
DIR="${DIR:-$(mktemp -d)}"
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
COMMON=(--data fashion-mnist --scaling standardize --depth 200 --width 500 --threads 1 --no-test --json)
declare -A RUNS=(
  [adam-1e-4]="--optimizer adam --lr 1e-4 --limit 19200 --monitor-every 10 --validation fashion-mnist"
  [momentum-0.9]="--optimizer momentum --lr 1e-4 --momentum 0.9 --limit 32000 --monitor-every 10 --validation fashion-mnist"
  [paper]="--recipe paper --limit 19200 --monitor-every 10 --validation fashion-mnist"
  [deep]="--recipe deep --limit 19200 --monitor-every 10 --validation fashion-mnist"
  [paper-relu]="--recipe paper --activation relu --limit 19200 --monitor-every 10 --validation fashion-mnist"
  [paper-gelu]="--recipe paper --activation gelu --limit 19200 --monitor-every 1 --validation fashion-mnist"
  [cost-off]="--recipe paper --limit 1280"
  [cost-every-1]="--recipe paper --limit 1280 --monitor-every 1"
)
ORDER=(adam-1e-4 deep paper momentum-0.9 paper-relu paper-gelu cost-off cost-every-1)
labels=("$@"); [ ${#labels[@]} -eq 0 ] && labels=("${ORDER[@]}")
for label in "${labels[@]}"; do
  [ -n "${RUNS[$label]:-}" ] || { echo "unknown label $label" >&2; exit 2; }
  if [ -f "$LOG" ] && grep -q "\"label\": \"$label\"" "$LOG"; then echo "$label: already in $LOG"; continue; fi
  # shellcheck disable=SC2206
  flags=(${RUNS[$label]})
  start=$(date +%s.%N)
  "$BSNN" train "${COMMON[@]}" "${flags[@]}" --out "$DIR/$label.safetensors" > "$DIR/$label.json" 2> "$DIR/$label.stderr"
  rc=$?
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  python3 "$ROOT/scripts/monitor-summary.py" --label "$label" --rc "$rc" --wall "$wall" \
    --command "bsnn train ${COMMON[*]} ${RUNS[$label]}" --run "$DIR/$label" >> "$LOG"
  echo "$label rc $rc wall $wall"
done
