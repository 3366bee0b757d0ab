#!/usr/bin/env python3
"""Renders the table of docs/MONITOR.md from the JSON lines scripts/monitor-collapse.sh
wrote (one per run), and with --write rewrites the `monitor-table` block of
docs/MONITOR.md. tests/docs/check_outputs.py checks that the block equals this script's
output on the checked-in benchmarks/results/monitor-collapse-*.jsonl.

usage: scripts/monitor-report.py [--write] [FILE.jsonl ...]   (default: the checked-in files)
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import docblocks  # noqa: E402

DOC = ROOT / "docs" / "MONITOR.md"
RUNS = [("adam-1e-4", "Adam, lr 1e-4 (plain net)"), ("momentum-0.9", "momentum 0.9, lr 1e-4"),
        ("paper", "`paper` preset"), ("paper-relu", "`paper` preset, ReLU-GPN"), ("paper-gelu", "`paper` preset, GELU-GPN"), ("deep", "`deep` preset")]


def default_logs():
    return sorted((ROOT / "benchmarks" / "results").glob("monitor-collapse-*.jsonl"))


def runs(paths):
    return docblocks.json_lines(paths)


def g(v):
    return "∞" if v == float("inf") else f"{v:.3g}"


def at(records, step):
    return next((r for r in records if r["step"] >= step), records[-1])


def render(paths):
    rs = runs(paths)
    lines = ["| run | steps | test accuracy after them | first collapse warning | ‖∂E/∂W‖ max/min: step 0, 30, last "
             "| ‖∂E/∂h‖ at layer 0 and the last layer, last | last hidden layer's cosine: step 0, 30, last "
             "| lowest layer with cosine > 0.999, last | ‖x‖/√d over layers, last | saturated, last |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for label, name in RUNS:
        r = rs.get(label)
        if r is None or not r["records"]:
            lines.append(f"| {name} | not run | | | | | | | | |")
            continue
        rec = r["records"]
        first, mid, last = rec[0], at(rec, 30), rec[-1]
        epochs = r.get("epoch_results") or []
        acc = epochs[-1]["validation"]["accuracy"] if epochs and epochs[-1].get("validation") else None
        error = next((re.search(r"divergence at step (\d+)", w) for w in r["warnings"] if w.startswith("bsnn: error")), None)
        outcome = f"diverged at step {error.group(1)}" if error else (f"{100 * acc:.1f} %" if acc is not None else "")
        warn = next((w for w in r["warnings"] if "signal collapse" in w), None)
        if warn:
            m = re.match(r"warning: step (\d+): signal collapse: the (mean cosine similarity|weight-gradient norm ratio)", warn)
            warn = f"step {m.group(1)}, {'similarity' if m.group(2).startswith('mean') else 'gradient ratio'}" if m else warn
        # Every run trains one epoch of --limit samples in batches of 64.
        total = next((int(x) for x in re.findall(r"--limit (\d+)", r["command"])), 0) // 64
        if error:  # the steps that completed
            total = int(error.group(1))
        lines.append(
            f"| {name} | {total} | {outcome} | {warn or 'none'} "
            f"| {g(first['grad_ratio'])}, {g(mid['grad_ratio'])}, {g(last['grad_ratio'])} "
            f"| {g(last['y_norm_bottom'])}, {g(last['y_norm_top'])} "
            f"| {first['cosine_last']:.4f}, {mid['cosine_last']:.4f}, {last['cosine_last']:.4f} "
            f"| {last['first_layer_cosine_above_0.999'] if last['first_layer_cosine_above_0.999'] is not None else 'none'} "
            f"| {last['x_norm_min']:.2f}–{last['x_norm_max']:.2f} | {100 * last['saturated_mean']:.1f} % |")
    cost = {k: rs.get(k) for k in ("cost-off", "cost-every-1")}
    if all(cost.values()):
        per = {k: v["epoch_results"][0]["seconds"] / (20) for k, v in cost.items()}
        lines += ["", f"Cost (20 steps of the `paper` preset, same net): {1000 * per['cost-off']:.0f} ms per step "
                  f"unmonitored, {1000 * per['cost-every-1']:.0f} ms with `--monitor-every 1` "
                  f"(+{100 * (per['cost-every-1'] / per['cost-off'] - 1):.0f} %; every 10 steps: a tenth of that)."]
    return "\n".join(lines) + "\n"


def main():
    docblocks.report_main(render, DOC, "monitor-table", default_logs(), "scripts/monitor-collapse.sh")


if __name__ == "__main__":
    main()
