#!/usr/bin/env python3
"""Renders docs/DISTRIBUTED.md's cost model from the JSON lines benchmarks/mpi.sh wrote:
what 1 and 2 ranks measured on this machine, and the predicted efficiency of 8 and 64
machines on 10 and 100 Gb/s networks. With --write it rewrites the `mpi-table` block of
docs/DISTRIBUTED.md; tests/docs/check_outputs.py checks that the block equals this
script's output on the checked-in benchmarks/results/mpi-*.jsonl.

The model (stated in the document too):
  * a step on one machine with batch b takes t(b) = t0 + b·ts, fitted to the 1-rank runs
    at b/2 and b (t0: the batch-independent update pass, ts: the per-sample GEMMs);
  * a ring all-reduce of the S gradient bytes over N machines with link bandwidth β
    takes T = 2(N−1)/N · S/β + 2(N−1)·α, α = 20 µs per message;
  * the sums of layer l overlap the backward pass of the layers below it, which is 2/3
    of the per-sample compute, W(b) = (2/3)·b·ts; layer 0's bucket (its share s0 of S)
    cannot overlap anything. Exposed communication: max(T − W(b), s0·T);
  * efficiency E = t(b) / (t(b) + exposed): the speed-up over one machine divided by N.

usage: scripts/mpi-cost-model.py [--write] [FILE.jsonl ...]   (default: the checked-in files)
"""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import docblocks  # noqa: E402

DOC = ROOT / "docs" / "DISTRIBUTED.md"
ALPHA = 20e-6
INPUTS = 784


def default_logs():
    return sorted((ROOT / "benchmarks" / "results").glob("mpi-*.jsonl"))


def model(runs):
    two = next(r for r in runs.values() if r["ranks"] == 2)
    b, depth, width = two["batch_per_rank"], two["depth"], two["width"]
    one = runs[f"ranks1-batch{b}-depth{depth}"]
    half = runs[f"ranks1-batch{b // 2}-depth{depth}"]
    ts = (one["step_seconds"] - half["step_seconds"]) / (b - b // 2)
    t0 = one["step_seconds"] - b * ts
    S = two["bytes_per_step"]
    s0 = INPUTS * width * 4 / S
    return dict(b=b, depth=depth, width=width, one=one, two=two, ts=ts, t0=t0, S=S, s0=s0)


def efficiency(m, n, gbps, b):
    beta = gbps * 1e9 / 8
    T = 2 * (n - 1) / n * m["S"] / beta + 2 * (n - 1) * ALPHA
    t = m["t0"] + b * m["ts"]
    exposed = max(T - 2 / 3 * b * m["ts"], m["s0"] * T)
    return t / (t + exposed), T


def batch_for(m, n, gbps, target=0.8):
    for b in range(1, 1 << 20):
        if efficiency(m, n, gbps, b)[0] >= target:
            return b
    return None


def render(paths):
    m = model(docblocks.json_lines(paths))
    one, two = m["one"], m["two"]
    speedup = two["samples_per_second"] / one["samples_per_second"]
    hidden = 1 - two["wait_seconds_per_step"] / two["blocking_allreduce_seconds"]
    lines = [
        f"Measured here (depth {m['depth']}, width {m['width']}, batch {m['b']} per rank, 1 OpenBLAS thread per rank, "
        f"kernel {two['kernel']}, shared-memory transport):",
        "",
        "| | 1 rank | 2 ranks |",
        "|---|---|---|",
        f"| step | {one['step_seconds'] * 1e3:.0f} ms | {two['step_seconds'] * 1e3:.0f} ms |",
        f"| samples/s | {one['samples_per_second']:.0f} | {two['samples_per_second']:.0f} ({speedup:.2f}×) |",
        f"| gradient bytes summed per step | | {two['bytes_per_step'] / 1e6:.1f} MB |",
        f"| one blocking all-reduce of them | | {two['blocking_allreduce_seconds'] * 1e3:.1f} ms |",
        f"| waited for sums per step (not hidden) | | {two['wait_seconds_per_step'] * 1e3:.2f} ms ({hidden:.1%} hidden) |",
        "",
        f"Fitted step time t(b) = {m['t0'] * 1e3:.0f} ms + b × {m['ts'] * 1e3:.2f} ms. Predicted for machines "
        f"like this one, one rank each:",
        "",
        "| machines | network | all-reduce per step | efficiency at batch 64 per rank | per-rank batch for ≥ 80 % |",
        "|---|---|---|---|---|",
    ]
    for n in (8, 64):
        for gbps in (10, 100):
            e, T = efficiency(m, n, gbps, 64)
            need = batch_for(m, n, gbps)
            lines.append(f"| {n} | {gbps} Gb/s | {T * 1e3:.0f} ms | {e:.0%} | {need if need else 'none'} |")
    return "\n".join(lines) + "\n"


def main():
    docblocks.report_main(render, DOC, "mpi-table", default_logs(), "benchmarks/mpi.sh")


if __name__ == "__main__":
    main()
