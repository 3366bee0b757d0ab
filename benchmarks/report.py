#!/usr/bin/env python3
"""Table of a benchmark run: reads the JSON lines run.sh collected.

usage: report.py [results/latest.jsonl] [--markdown | --readme | --results-block]

--readme prints only README.md's performance table (depth 200, 1 and 2 threads);
--results-block the body of benchmarks/RESULTS.md's `bench-table` block: the run's note
(date, raw file, load, versions: the "run" record regenerate.sh adds) and every table in
markdown. tests/docs/check_outputs.py renders both from the raw file the block names and
compares them with the documents.

Per depth × threads: ms/step median (p10–p90), best (min) ms, samples/s,
GFLOP/s, % of the measured cblas_sgemm ceiling for that thread count, and
bsnn's speed-up over each peer (peer median / bsnn median; > 1 means bsnn is
faster). Any record in the common schema is accepted, so bsnn-bench's extra
keys are simply ignored.
"""
import json
import sys


def load(path):
    recs = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                recs.append(json.loads(line))
            except json.JSONDecodeError as e:
                print(f"{path}:{n}: not JSON ({e}), ignored", file=sys.stderr)
    return recs


def fmt_table(header, rows, markdown):
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(out)
    w = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(cells))
    return "\n".join([line(header), line(["-" * x for x in w])] + [line(r) for r in rows])


LABELS = {"numpy": "numpy, hand-written backprop", "jax": "JAX jit", "torch-compile": "PyTorch `torch.compile`",
          "torch-eager": "PyTorch eager", "fann": "FANN 2.2"}


def readme_table(recs):
    """README's table: one row per peer (bsnn per update mode), depth-200 medians."""
    peak = {r["threads"]: r["hmean_best_gflops"] for r in recs if r.get("peer") == "sgemm_peak"}
    steps = [r for r in recs if r.get("depth") == 200 and "skipped" not in r and "median_ms" in r]
    names = []
    for r in steps:
        n = (f"bsnn, `{r['update_mode']}` update mode" + (" (the default)" if r["update_mode"] == "checked" else "")
             if r["peer"] == "bsnn" else LABELS.get(r["peer"], r["peer"]))
        r["_label"] = n
        if n not in names:
            names.append(n)
    names.sort(key=lambda n: min(r["median_ms"] for r in steps if r["_label"] == n))
    out = ["| | 1 thread | 2 threads |", "|---|---|---|"]
    for n in names:
        cells = []
        for t in (1, 2):
            r = next((r for r in steps if r["_label"] == n and r["threads"] == t), None)
            if r is None:
                cells.append("—")
                continue
            c = f"{r['median_ms']:.0f} ms"
            if r["peer"] == "bsnn":
                notes = [f"{100 * r['gflops'] / peak[t]:.0f} % of sgemm peak"] if t in peak else []
                one = next((o for o in steps if o["_label"] == n and o["threads"] == 1), None)
                if t > 1 and one is not None:
                    notes.append(f"{one['median_ms'] / r['median_ms']:.2f}× 1 thread")
                c = f"**{c}**" + (f" ({', '.join(notes)})" if notes else "")
            cells.append(c)
        out.append(f"| {n} | {cells[0]} | {cells[1]} |")
    return "\n".join(out)


def run_note(recs):
    """The note regenerate.sh's "run" record carries: when, where the raw lines are, how
    loaded the machine was, which versions ran."""
    r = next((r for r in recs if r.get("peer") == "run"), None)
    if r is None:
        return None
    return (f"Run of {r['date']} (`benchmarks/regenerate.sh`, raw lines `results/{r['raw']}`; "
            f"load average at the end {r['load']}). Versions: {r['versions']}.")


def results_block(recs):
    note = run_note(recs)
    return (note + "\n\n" if note else "") + tables(recs, markdown=True)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    recs = load(args[0] if args else "benchmarks/results/latest.jsonl")
    if "--readme" in sys.argv:
        print(readme_table(recs))
    elif "--results-block" in sys.argv:
        print(results_block(recs))
    else:
        print(tables(recs, "--markdown" in sys.argv))


def tables(recs, markdown):
    peak = {r["threads"]: r for r in recs if r.get("peer") == "sgemm_peak"}
    steps = [r for r in recs if r.get("peer") not in ("sgemm_peak", "run") and r.get("mode") != "epoch"]
    epochs = [r for r in recs if r.get("mode") == "epoch"]
    out = []
    if peak:
        out.append("cblas_sgemm ceiling (harmonic mean of the 3 step shapes, GFLOP/s): " +
                   ", ".join(f"{t} thread(s): best {p['hmean_best_gflops']:.1f}, "
                             f"median {p['hmean_median_gflops']:.1f}"
                             for t, p in sorted(peak.items())))
    for depth, threads in sorted({(r["depth"], r["threads"]) for r in steps}, key=lambda k: (-k[0], k[1])):
        group = [r for r in steps if r["depth"] == depth and r["threads"] == threads]
        ok = sorted((r for r in group if "skipped" not in r), key=lambda r: r["median_ms"])
        # bsnn-bench runs in both update modes; `fused` is the base of the speed-ups.
        bsnn = next((r for r in ok if r["peer"] == "bsnn" and r.get("update_mode", "fused") == "fused"), None)
        pk = peak.get(threads, {}).get("hmean_best_gflops")
        rows = []
        for r in ok:
            rows.append([
                r["peer"] + (f" ({r['update_mode']})" if "update_mode" in r else ""), str(r["steps"]),
                f"{r['median_ms']:.2f} ({r['p10_ms']:.2f}–{r['p90_ms']:.2f})",
                f"{r['min_ms']:.2f}",
                f"{r['samples_per_s']:.0f}",
                f"{r['gflops']:.1f}",
                f"{100 * r['gflops'] / pk:.0f}%" if pk else "n/a",
                (f"{r['median_ms'] / bsnn['median_ms']:.2f}×" if r is not bsnn else "1")
                if bsnn else "—",
            ])
        out.append("")
        out.append(f"depth {depth}, {threads} thread(s), batch 64" +
                   ("" if bsnn else "  (no bsnn row: bsnn-bench missing or skipped)"))
        out.append(fmt_table(["peer", "steps", "ms/step median (p10–p90)", "min ms", "samples/s",
                              "GFLOP/s", "% sgemm peak", "bsnn speed-up"], rows, markdown))
        for r in group:
            if "skipped" in r:
                out.append(f"  skipped {r['peer']}: {r['skipped']}")
    if epochs:
        out.append("")
        out.append("one Fashion-MNIST epoch (60,000 images), depth 20")
        rows = []
        for r in sorted(epochs, key=lambda r: (r["threads"], r["epoch_s"])):
            bsnn = next((b for b in epochs if b["peer"] == "bsnn" and b["threads"] == r["threads"]), None)
            rows.append([r["peer"], str(r["threads"]), f"{r['epoch_s']:.1f}",
                         f"{r['samples_per_s']:.0f}", f"{r['gflops']:.1f}",
                         str(r.get("last100_loss", "")),
                         f"{r['epoch_s'] / bsnn['epoch_s']:.2f}×" if bsnn else "—"])
        out.append(fmt_table(["peer", "threads", "epoch s", "samples/s", "GFLOP/s",
                              "loss (last 100 batches)", "bsnn speed-up"], rows, markdown))
    return "\n".join(out)


if __name__ == "__main__":
    main()
