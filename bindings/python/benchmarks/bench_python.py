"""Overhead of the Python bindings against C and Swift.

1. predict on 10,000 Fashion-MNIST samples (784→128×8→10 tanh-GPN): best-of-N wall time
   of ``model.predict`` from Python vs ``bsnn_model_predict`` from a C program on the
   same model file and the same bytes (target: within 5 %).
2. one ``fit`` epoch on the 60,000 training images at depth 20 (width 500, fused
   updates, momentum lr 1e-4 / 0.5, seed 1, 1 BLAS thread: the settings of
   ``bsnn-bench --depth 20 --epoch``) from Python vs ``.build/release/bsnn-bench``.
3. ``Activation.from_python`` evaluation speed vs the builtin.

Usage: python bench_python.py [--skip-epoch] [--repeats N]; prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import bsnn

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]


def best_of(fn, repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def predict_overhead(repeats: int, work: Path) -> dict:
    X, _ = bsnn.datasets.fashion_mnist("test", limit=10000)
    model = bsnn.MLP(784, 128, 8, 10, "tanh", seed=42)
    model.save(work / "m.bsnn")
    X.tofile(work / "x.f32")
    libdir = str(Path(bsnn.library_path).resolve().parent)
    exe = work / "predict_bench"
    subprocess.run([shutil.which("cc") or "gcc", "-O2", "-I", str(REPO / "include"), "-o", str(exe),
                    str(HERE / "predict_bench.c"), bsnn.library_path, f"-Wl,-rpath,{libdir}"],
                   check=True)
    python_s, c_s = [], []
    for _ in range(3):  # interleave so that load on the shared machine hits both alike
        python_s.append(best_of(lambda: model.predict(X), repeats))
        c_s.append(float(subprocess.run([str(exe), str(work / "m.bsnn"), str(work / "x.f32"),
                                         "10000", str(repeats)], capture_output=True, text=True,
                                        check=True).stdout))
    py, c = min(python_s), min(c_s)
    return {"samples": 10000, "python_s": py, "c_s": c, "overhead_pct": (py / c - 1) * 100}


def epoch(depth: int) -> dict:
    out: dict = {"depth": depth}
    bench = REPO / ".build" / "release" / "bsnn-bench"
    if bench.is_file():
        r = subprocess.run([str(bench), "--depth", str(depth), "--epoch"], capture_output=True,
                           text=True, check=True)
        out["swift_epoch_s"] = json.loads(r.stdout.strip().splitlines()[-1])["epoch_s"]
    X, y = bsnn.datasets.fashion_mnist("train")
    bsnn.set_blas_threads(1)
    model = bsnn.MLP(784, 500, depth, 10, "tanh", gpn="b+", seed=1)
    t0 = time.perf_counter()
    model.fit(X, y, epochs=1, batch_size=64, optimizer="momentum", lr=1e-4, momentum=0.5,
              seed=1, update_mode="fused", progress=None)
    out["python_epoch_s"] = time.perf_counter() - t0
    if "swift_epoch_s" in out:
        out["overhead_pct"] = (out["python_epoch_s"] / out["swift_epoch_s"] - 1) * 100
    return out


def callback_speed() -> dict:
    x = np.linspace(-3, 3, 200_000, dtype=np.float32)
    builtin = bsnn.Activation("tanh")
    py = bsnn.Activation.from_python(math.tanh, lambda v: 1 - math.tanh(v) ** 2)
    t_builtin = best_of(lambda: builtin(x), 5)
    t_py = best_of(lambda: py(x), 3)
    return {"builtin_ns_per_elem": t_builtin / x.size * 1e9,
            "from_python_ns_per_elem": t_py / x.size * 1e9}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-epoch", action="store_true")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--depth", type=int, default=20)
    args = parser.parse_args()
    result = {"library": bsnn.library_path, "version": bsnn.__version__}
    with tempfile.TemporaryDirectory() as tmp:
        result["predict"] = predict_overhead(args.repeats, Path(tmp))
    result["from_python"] = callback_speed()
    if not args.skip_epoch:
        result["epoch"] = epoch(args.depth)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
