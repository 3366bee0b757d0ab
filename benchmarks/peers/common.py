"""Shared pieces of the peer benchmarks: the network's constants, FLOP count,
timing statistics, the JSON line, and the Fashion-MNIST reader.

Kept free of any framework import so that a peer can set its thread
environment variables before its framework (and its BLAS) is loaded.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

A_GPN = 1.4674
B_GPN = 0.3885
WIDTH = 500
N_IN = 784
N_OUT = 10
BATCH = 64
LR = 1e-4
MOMENTUM = 0.5
FASHION_DIR = "/usr/share/datasets/fashion-mnist"


def flops_per_step(depth, batch=BATCH):
    # 2 FLOPs per multiply-add, 3 GEMMs per layer (forward, dX, dW); the
    # elementwise work is left out so every peer is charged the same.
    return 6 * batch * (N_IN * WIDTH + depth * WIDTH * WIDTH + WIDTH * N_OUT)


def parse_args(name, default_steps=None):
    p = argparse.ArgumentParser(description=f"{name}: one SGD step of the bsnn benchmark net")
    p.add_argument("--depth", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=default_steps)
    p.add_argument("--warmup", type=int, default=None)
    p.add_argument("--epoch", action="store_true",
                   help="train one whole Fashion-MNIST epoch instead of timing steps")
    p.add_argument("--seed", type=int, default=0)
    return p


def limit_threads_env(threads):
    """Must run before numpy/torch/jax are imported: BLAS pools are sized at load."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ[var] = str(threads)


def percentile(sorted_xs, q):
    # Linear interpolation, same as numpy's default, so C peers can match it.
    n = len(sorted_xs)
    if n == 1:
        return sorted_xs[0]
    pos = (n - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, n - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def step_record(peer, depth, threads, times_s, **extra):
    ms = sorted(t * 1e3 for t in times_s)
    med = percentile(ms, 50)
    rec = {
        "peer": peer, "depth": depth, "threads": threads, "batch": BATCH,
        "steps": len(ms),
        "median_ms": round(med, 4), "min_ms": round(ms[0], 4), "max_ms": round(ms[-1], 4),
        "p10_ms": round(percentile(ms, 10), 4), "p90_ms": round(percentile(ms, 90), 4),
        "samples_per_s": round(BATCH / (med / 1e3), 2),
        "gflops": round(flops_per_step(depth) / (med / 1e3) / 1e9, 3),
    }
    rec.update(extra)
    return rec


def epoch_record(peer, depth, threads, seconds, images, **extra):
    steps = (images + BATCH - 1) // BATCH
    # The last partial batch is charged at its own size.
    flops = flops_per_step(depth) * (images // BATCH) + flops_per_step(depth, images % BATCH)
    rec = {
        "peer": peer, "mode": "epoch", "depth": depth, "threads": threads, "batch": BATCH,
        "steps": steps, "images": images, "epoch_s": round(seconds, 3),
        "median_ms": round(seconds / steps * 1e3, 4),
        "samples_per_s": round(images / seconds, 2),
        "gflops": round(flops / seconds / 1e9, 3),
    }
    rec.update(extra)
    return rec


def emit(rec):
    print(json.dumps(rec), flush=True)


def skip(peer, args, reason):
    emit({"peer": peer, "depth": args.depth, "threads": args.threads, "batch": BATCH,
          "skipped": reason})
    sys.exit(0)


def timed(fn, steps, warmup, sync=lambda r: None):
    for _ in range(warmup):
        sync(fn())
    out = []
    for _ in range(steps):
        t0 = time.perf_counter()
        sync(fn())
        out.append(time.perf_counter() - t0)
    return out


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def load_fashion_train(np):
    """Images as float32 in [0,1], shape (60000, 784); labels int64."""
    dims, raw = _read_idx(os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz"))
    x = np.frombuffer(raw, dtype=np.uint8).reshape(dims[0], -1).astype(np.float32) / 255.0
    _, raw = _read_idx(os.path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz"))
    y = np.frombuffer(raw, dtype=np.uint8).astype(np.int64)
    return x, y


def batches(n, batch=BATCH):
    for s in range(0, n, batch):
        yield s, min(s + batch, n)
