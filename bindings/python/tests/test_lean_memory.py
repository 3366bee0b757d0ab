"""Issue 14 items 4 and 5: prediction needs two chunk-sized buffers, not a training
workspace (also with four threads predicting on one model at once), and fit reads the
caller's arrays in place (no copy of the data set). Peak memory is read from VmHWM in a
fresh interpreter, so nothing else the test session did counts."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import bsnn
from bsnn import _ffi


def _run(script: str) -> dict:
    env = dict(os.environ, BSNN_LIBRARY=bsnn.library_path,
               PYTHONPATH=str(Path(bsnn.__file__).resolve().parents[1]))
    prelude = textwrap.dedent("""
        import json, re, threading
        import numpy as np
        import bsnn
        def status(key):
            return int(re.search(key + r":\\s+(\\d+)", open("/proc/self/status").read()).group(1)) * 1024
        def hwm():
            return status("VmHWM")
        def mark():
            # The resident size now, with the peak reset to it ("5" > clear_refs, Linux 4.0+),
            # so that an earlier temporary cannot hide growth.
            try:
                with open("/proc/self/clear_refs", "w") as f:
                    f.write("5")
                return status("VmRSS")
            except OSError:
                return status("VmHWM")
    """)
    done = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(script)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_four_concurrent_predictions_peak_memory_is_bounded_and_results_deterministic():
    # width 256, depth 32, 512 rows per thread: a training workspace for a 256-row chunk
    # is 2·34·256·256 floats ≈ 17 MiB, so four of them would add ≈ 68 MiB; the lean
    # path needs 2·256·256 floats = 0.5 MiB per call.
    r = _run("""
        m = bsnn.MLP(inputs=256, width=256, depth=32, outputs=10, seed=1)
        rng = np.random.default_rng(0)
        xs = [rng.standard_normal((512, 256), dtype=np.float32) for _ in range(4)]
        m.predict(xs[0][:3])                      # BLAS buffers, first touch
        serial = [m.predict(x) for x in xs]
        before = mark()
        barrier = threading.Barrier(4)
        out = [None] * 4
        def work(i):
            barrier.wait()
            for _ in range(2):
                out[i] = m.predict(xs[i])
        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads: t.start()
        for t in threads: t.join()
        same = all(np.array_equal(out[i], serial[i]) for i in range(4))
        print(json.dumps({"growth": hwm() - before, "same": same}))
    """)
    print(f"4 concurrent predictions: peak RSS +{r['growth'] / 2**20:.2f} MiB")
    assert r["same"], "a concurrent prediction differs from the serial one"
    lean = 2 * 256 * 256 * 4
    # Four lean workspaces plus thread stacks and BLAS scratch; far below one training workspace.
    assert r["growth"] <= 4 * lean + 12 * 2**20, f"peak RSS grew by {r['growth'] / 2**20:.1f} MiB"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_fit_does_not_copy_the_data_set():
    # 60000 × 784 float32 = 179 MiB; copied into a bsnn_dataset it raised the peak by as much.
    r = _run("""
        rng = np.random.default_rng(0)
        X = rng.standard_normal((60000, 784), dtype=np.float32)
        y = rng.integers(0, 10, 60000)            # int64: converted to int32 (0.2 MiB)
        m = bsnn.MLP(inputs=784, width=16, depth=1, outputs=10, seed=2)
        m.fit(X[:64], y[:64], epochs=1, progress=None)
        before = mark()
        h = m.fit(X, y, epochs=2, validation=(X[:5000], y[:5000]), progress=None)
        print(json.dumps({"growth": hwm() - before, "nbytes": X.nbytes, "val": len(h["val_loss"])}))
    """)
    print(f"fit on {r['nbytes'] / 2**20:.0f} MiB of features: peak RSS +{r['growth'] / 2**20:.2f} MiB")
    assert r["val"] == 1
    assert r["growth"] < 0.05 * r["nbytes"], f"peak RSS grew by {r['growth'] / 2**20:.1f} MiB"


def test_fit_hands_the_callers_buffers_to_c(monkeypatch):
    model = bsnn.MLP(8, 8, 2, 3, seed=1)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 8), dtype=np.float32)
    Xv = rng.standard_normal((20, 8), dtype=np.float32)
    y, yv = np.arange(50, dtype=np.int32) % 3, np.arange(20, dtype=np.int32) % 3
    seen = []
    real = _ffi.lib.bsnn_trainer_fit_arrays

    def spy(*args):
        seen.append(args)
        return real(*args)

    monkeypatch.setattr(_ffi.lib, "bsnn_trainer_fit_arrays", spy)
    model.fit(X, y, epochs=1, validation=(Xv, yv), progress=None)
    (args,) = seen
    assert args[1] == X.ctypes.data and args[2] == X.size
    assert args[3] == y.ctypes.data and args[4] == 50
    assert args[5] == Xv.ctypes.data and args[6] == Xv.size
    assert args[7] == yv.ctypes.data and args[8] == 20


def test_fit_from_arrays_is_bit_identical_to_fit_on_a_dataset():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((230, 6), dtype=np.float32)
    y = (np.arange(230) * 7 % 3).astype(np.int32)
    Xv, yv = rng.standard_normal((40, 6), dtype=np.float32), np.arange(40, dtype=np.int32) % 3
    options = dict(batch_size=32, lr=0.05, momentum=0.5, seed=21)
    for mode in ("checked", "fused"):
        a = bsnn.MLP(6, 24, 5, 3, seed=3)
        history = bsnn.Trainer(a, update_mode=mode, **options).fit(
            X, y, epochs=3, validation=(Xv, yv), progress=None)
        b = bsnn.MLP(6, 24, 5, 3, seed=3)
        trainer = bsnn.Trainer(b, update_mode=mode, **options)
        losses = []

        def record(p, _user):
            if p.contents.phase == _ffi.PHASE_EPOCH_END:
                losses.append((p.contents.loss, p.contents.validation_loss))
            return 0

        callback = _ffi.PROGRESS_FN(record)
        with bsnn.model.Dataset.from_arrays(X, y, 3) as d, bsnn.model.Dataset.from_arrays(Xv, yv, 3) as v:
            _ffi.lib.bsnn_trainer_fit(trainer._ptr, d._ptr, v._ptr, 3, callback, None)
        assert losses == list(zip(history["loss"], history["val_loss"]))
        assert history["loss"][2] < history["loss"][0]
        for layer in range(a.layer_count):
            assert np.array_equal(a.weights(layer), b.weights(layer)), (mode, layer)
            assert np.array_equal(a.bias(layer), b.bias(layer)), (mode, layer)


def test_release_workspace_after_steps_and_refused_during_fit():
    X = np.random.default_rng(0).standard_normal((24, 6), dtype=np.float32)
    y = np.arange(24, dtype=np.int32) % 3
    models = [bsnn.MLP(6, 16, 3, 3, seed=1) for _ in range(2)]
    trainers = [bsnn.Trainer(m, batch_size=8) for m in models]
    for s in range(3):
        for i, t in enumerate(trainers):
            t.step(X[8 * s:8 * s + 8], y[8 * s:8 * s + 8])
            if i == 1:
                models[1].release_workspace()  # the next step allocates it afresh
    for layer in range(models[0].layer_count):
        assert np.array_equal(models[0].weights(layer), models[1].weights(layer))
    model, trainer = models[1], trainers[1]
    refused = []

    def during(_info):
        try:
            model.release_workspace()
        except bsnn.WrongState as error:
            refused.append(str(error))
        return False

    trainer.fit(X, y, epochs=1, callback=during, progress=None)
    assert len(refused) == 4 and "trained" in refused[0]  # 3 steps and the epoch end
