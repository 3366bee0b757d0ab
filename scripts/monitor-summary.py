#!/usr/bin/env python3
"""One JSON line summarizing a `bsnn train --monitor-every` run (scripts/monitor-collapse.sh):
per record, the quantities that tell the collapses apart, aggregated over layers:
the weight-gradient ratio max/min, min and max of ‖x‖/√d, the last hidden layer's cosine
similarity and the lowest layer whose similarity exceeds the collapse threshold, ‖∂E/∂h‖ at
the lowest and highest layer, the mean saturated fraction; plus the run's epoch results and the
collapse warning it printed."""
import argparse
import csv
import json
import math
import pathlib

p = argparse.ArgumentParser()
for a in ("--label", "--command", "--run"):
    p.add_argument(a, required=True)
p.add_argument("--rc", type=int, required=True)
p.add_argument("--wall", type=float, required=True)
a = p.parse_args()
run = pathlib.Path(a.run)
records = {}
csv_path = run.parent / (run.name + ".monitor.csv")
if csv_path.exists():
    with open(csv_path) as f:
        for r in csv.DictReader(f):
            records.setdefault(int(r["step"]), []).append(r)


def ratio(v):
    return max(v) / min(v) if min(v) > 0 else math.inf


summary = []
for step, rows in sorted(records.items()):
    g = [float(r["grad_norm"]) for r in rows]
    x = [float(r["x_norm"]) for r in rows]
    summary.append({
        "step": step, "grad_ratio": ratio(g), "grad_min": min(g), "grad_max": max(g),
        "x_norm_min": min(x), "x_norm_max": max(x), "cosine_last": float(rows[-1]["cosine"]),
        "cosine_mean": sum(float(r["cosine"]) for r in rows) / len(rows),
        "saturated_mean": sum(float(r["saturated"]) for r in rows) / len(rows),
        "y_norm_bottom": float(rows[0]["y_norm"]), "y_norm_top": float(rows[-1]["y_norm"]),
        "first_layer_cosine_above_0.999": next((int(r["layer"]) for r in rows if float(r["cosine"]) > 0.999), None),
        "collapse": rows[0]["collapse"],
    })
try:
    result = json.loads((run.parent / (run.name + ".json")).read_text())
except (OSError, ValueError):
    result = None
stderr = (run.parent / (run.name + ".stderr")).read_text().splitlines()
print(json.dumps({
    "label": a.label, "command": a.command, "rc": a.rc, "wall_s": round(a.wall, 1),
    "epoch_results": result and result["epoch_results"], "records": summary,
    "warnings": [l for l in stderr if l.startswith("warning:") or l.startswith("bsnn: error")],
}))
