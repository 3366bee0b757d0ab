#!/usr/bin/env bash
# One recipe experiment: `bsnn train` on Fashion-MNIST (standardized, width 500) with the
# given flags, timed; appends one JSON line (label, command, wall seconds, the train
# --json summary) to LOG and keeps the run's progress lines (standard error, one line per
# few steps and per epoch, with the validation accuracy) in LOG's folder LOG.d/LABEL.stderr. Used by scripts/recipe-table.sh and for the search recorded in
# benchmarks/results/recipe-search-*.jsonl.
#   usage: LOG=file.jsonl [BSNN=binary] scripts/recipe-run.sh LABEL FLAGS...
set -uo pipefail
label="$1"; shift
: "${LOG:?LOG=file.jsonl}"
BSNN="${BSNN:-$(dirname "$0")/../.build/release/bsnn-cli}"
tmp="$(mktemp -d)"
mkdir -p "${LOG%.jsonl}.d"
errlog="${LOG%.jsonl}.d/$label.stderr"
cmd=(nice -n 5 "$BSNN" train --data fashion-mnist --scaling standardize --width 500 --threads 1 --json --out "$tmp/m.safetensors" "$@")
start=$(date +%s.%N)
out="$("${cmd[@]}" 2>"$errlog")"; rc=$?
end=$(date +%s.%N)
wall=$(python3 -c "print(round($end - $start, 1))")
load=$(cut -d' ' -f1 /proc/loadavg)
python3 - "$label" "$rc" "$wall" "$load" "$out" "$errlog" "$tmp" "${cmd[*]:4}" >>"$LOG" <<'PY'
import json, sys
label, rc, wall, load, out, errf, tmp, cmd = sys.argv[1:9]
try:
    summary = json.loads(out)
except ValueError:
    summary = None
err = open(errf, errors="replace").read().strip().splitlines()
if summary:
    summary.pop("model", None), summary.pop("curve", None)
rec = {"label": label, "command": "bsnn " + cmd.replace(tmp + "/", ""), "rc": int(rc),
       "wall_s": float(wall), "load_end": float(load), "summary": summary,
       "stderr_tail": err[-3:] if int(rc) != 0 else None}
print(json.dumps(rec))
PY
tail -1 "$LOG" | python3 -c "
import json,sys; r=json.loads(sys.stdin.read()); s=r['summary'] or {}
ep=[(e['epoch'], round(e['train_accuracy'],4)) for e in s.get('epoch_results',[])]
print(r['label'], 'rc', r['rc'], 'wall', r['wall_s'], 'train', ep, 'test', (s.get('test') or {}).get('accuracy'))"
rm -rf "$tmp"
