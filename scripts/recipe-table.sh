#!/usr/bin/env bash
# The recipe table of docs/RECIPES.md, one JSON line per run in LOG (default
# benchmarks/results/recipe-table-DATE.jsonl); a label already in LOG is not run again,
# so an interrupted table continues where it stopped.
#   table:       each preset × depth {200, 50, 20}, 3 epochs on all of Fashion-MNIST (width
#                500, tanh-GPN, 1 thread), test accuracy after every epoch (--validation is
#                the test split);
#   activations: each preset at depth 200 on the other five Table-1 activations' GPN
#                versions, 300 steps (the first 19200 samples, 1 epoch): does any collapse
#                to chance?
#   usage: [LOG=file.jsonl] [BSNN=binary] scripts/recipe-table.sh [table|activations|all]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export LOG="${LOG:-$here/../benchmarks/results/recipe-table-$(date +%Y-%m-%d).jsonl}"
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
what="${1:-all}"
run() {
  if [[ -f $LOG ]] && grep -q "\"label\": \"$1\"" "$LOG"; then echo "$1: already in $LOG"; return; fi
  "$here/recipe-run.sh" "$@"
}
if [[ $what == table || $what == all ]]; then
  for depth in 200 50 20; do
    for recipe in deep paper; do
      run "$recipe-d$depth-e3" --recipe "$recipe" --depth "$depth" --epochs 3 --validation fashion-mnist --no-test
    done
  done
fi
if [[ $what == activations || $what == all ]]; then
  for act in relu leaky_relu elu selu gelu; do
    for recipe in deep paper; do
      run "$recipe-d200-$act" --recipe "$recipe" --depth 200 --activation "$act" --limit 19200 \
        --validation fashion-mnist --no-test
    done
  done
fi
