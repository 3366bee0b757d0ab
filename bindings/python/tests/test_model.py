"""Models and training: parity with the C example, file round trips with C and
safetensors, checkpoints, progress, exceptions, callbacks."""
from __future__ import annotations

import ctypes
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import bsnn
from bsnn import _ffi


def test_fit_matches_c_example(repo, cc, tmp_path):
    """Same data, seeds and settings as examples/c/train_fashion.c → same accuracy."""
    exe = cc(repo / "examples" / "c" / "train_fashion.c", "train_fashion")
    out = subprocess.run([str(exe), "/usr/share/datasets/fashion-mnist",
                          str(tmp_path / "c.bsnn")], capture_output=True, text=True, check=True).stdout
    c_loss, c_acc = map(float, re.search(r"test: loss ([\d.]+) accuracy ([\d.]+)", out).groups())
    c_val = [float(v) for v in re.findall(r"val acc ([\d.]+)", out)]

    X, y = bsnn.datasets.fashion_mnist("train", limit=10000)
    Xt, yt = bsnn.datasets.fashion_mnist("test", limit=2000)
    model = bsnn.MLP(784, 128, 8, 10, "tanh", gpn="b+", seed=42)
    history = model.fit(X, y, epochs=3, batch_size=64, lr=0.02, momentum=0.9,
                        validation=(Xt, yt), progress=None, seed=1)
    loss, acc = model.evaluate(Xt, yt)
    assert f"{acc:.3f}" == f"{c_acc:.3f}" and f"{loss:.4f}" == f"{c_loss:.4f}"
    assert [f"{v:.3f}" for v in history["val_accuracy"]] == [f"{v:.3f}" for v in c_val]
    assert acc > 0.70


def test_python_to_c_and_back_bit_exact(repo, cc, tmp_path, fashion_small):
    exe = cc(repo / "bindings" / "python" / "tests" / "c" / "model_io.c", "model_io")
    X = fashion_small[0][:300]
    X.tofile(tmp_path / "x.f32")
    # Python saves, C predicts
    model = bsnn.MLP(784, 48, 4, 10, "elu", seed=3)
    model.fit(*fashion_small, epochs=1, progress=None)
    model.save(tmp_path / "py.bsnn")
    subprocess.run([str(exe), "predict", str(tmp_path / "py.bsnn"), str(tmp_path / "x.f32"),
                    str(tmp_path / "c_out.f32")], check=True)
    c_out = np.fromfile(tmp_path / "c_out.f32", np.float32).reshape(300, 10)
    assert np.array_equal(model.predict(X), c_out)
    # C creates and saves, Python loads; both predict
    subprocess.run([str(exe), "create", str(tmp_path / "c.bsnn")], check=True)
    subprocess.run([str(exe), "predict", str(tmp_path / "c.bsnn"), str(tmp_path / "x.f32"),
                    str(tmp_path / "c2.f32")], check=True)
    loaded = bsnn.load(tmp_path / "c.bsnn")
    assert (loaded.inputs, loaded.width, loaded.depth, loaded.outputs) == (784, 32, 3, 10)
    assert np.array_equal(loaded.predict(X), np.fromfile(tmp_path / "c2.f32", np.float32).reshape(300, 10))


def test_weights_match_safetensors(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    model = bsnn.MLP(20, 16, 3, 4, "tanh", seed=5)
    model.save(tmp_path / "m.bsnn")
    tensors = safetensors_numpy.load_file(str(tmp_path / "m.bsnn"))
    for layer in range(model.layer_count):
        assert np.array_equal(tensors[f"layers.{layer}.weight"], model.weights(layer))
        assert np.array_equal(tensors[f"layers.{layer}.bias"], model.bias(layer))
    assert model.weights(0).shape == (16, 20) and model.weights(4).shape == (4, 16)


def test_set_weights_roundtrip_and_shape_error():
    model = bsnn.MLP(5, 4, 1, 2, "tanh")
    w = np.arange(20, dtype=np.float32).reshape(4, 5) / 10
    model.set_weights(0, w)
    assert np.array_equal(model.weights(0), w)
    with pytest.raises(bsnn.ShapeError):
        model.set_weights(0, w.T)


def test_predict_shapes_and_dtypes(fashion_small):
    model = bsnn.MLP(784, 16, 2, 10, "relu")
    X = fashion_small[0][:10]
    ref = model.predict(X)
    assert ref.shape == (10, 10) and ref.dtype == np.float32
    assert np.array_equal(model.predict(X.astype(np.float64)), ref)   # converted once
    assert np.array_equal(model.predict(np.asfortranarray(X)), ref)
    # One sample is a different product (a 1-row GEMM): OpenBLAS kernels may round it
    # differently from a row of the 10-row product (Haswell kernels: up to 1.1e-6).
    np.testing.assert_allclose(model.predict(X[3]), ref[3:4], rtol=1e-5, atol=1e-5)
    with pytest.raises(bsnn.ShapeError):
        model.predict(X[:, :100])
    with pytest.raises(bsnn.NumericError):
        model.predict(np.full((1, 784), np.nan), check_finite=True)


def test_probe_per_layer_norms(fashion_small):
    model = bsnn.MLP(784, 64, 10, 10, "tanh", seed=1)
    p = model.probe(fashion_small[0][:128], seed=3)
    assert p.forward_norms.shape == (12,) and p.backward_norms.shape == (11,)
    assert p.weight_gradient_norms.shape == (11,) and p.derivative_histogram.size == 60
    # bidirectional self-normalization
    assert np.all(np.abs(p.forward_norms[-6:-1] - 1) < 0.1)  # deep layers converge to norm 1
    assert p.histogram_range[0] < p.histogram_range[1]
    q = model.probe(fashion_small[0][:128], seed=3)
    assert np.array_equal(p.backward_norms, q.backward_norms)


def test_checkpoint_resumes_exactly(tmp_path, fashion_small):
    X, y = fashion_small
    model = bsnn.MLP(784, 32, 3, 10, "tanh", seed=2)
    trainer = bsnn.Trainer(model, batch_size=50, lr=0.02, seed=4)
    trainer.fit(X, y, epochs=1, progress=None)
    trainer.save_checkpoint(tmp_path / "ck.bsnn")
    trainer.fit(X, y, epochs=2, progress=None)  # epochs is the total to reach
    expected = model.predict(X[:100])
    resumed = bsnn.Trainer.load_checkpoint(tmp_path / "ck.bsnn")
    assert resumed.state["epoch"] == 1 and resumed.state["global_step"] == 40
    with pytest.raises(bsnn.WrongState, match="already completed"):
        resumed.fit(X, y, epochs=1, progress=None)
    resumed.fit(X, y, epochs=2, progress=None)
    assert np.array_equal(resumed.model.predict(X[:100]), expected)


def test_trainer_step(fashion_small):
    X, y = fashion_small
    trainer = bsnn.Trainer(bsnn.MLP(784, 32, 2, 10, "tanh"), lr=0.05)
    first = trainer.step(X[:64], y[:64])
    for _ in range(20):
        last = trainer.step(X[:64], y[:64])
    assert first.count == 64 and last.loss < first.loss
    assert trainer.state["global_step"] == 21


def test_progress_text_and_history(capsys, fashion_small):
    X, y = fashion_small
    model = bsnn.MLP(784, 16, 1, 10, "tanh")
    h = model.fit(X, y, epochs=2, validation=(X[:200], y[:200]), progress="text")
    captured = capsys.readouterr()
    lines = [l for l in captured.err.splitlines() if l.startswith("epoch")]
    assert captured.out == ""  # progress goes to stderr
    assert len(lines) == 2 and "val acc" in lines[0]
    assert len(h["loss"]) == 2 and len(h["val_accuracy"]) == 2 and not h.stopped_early
    h = model.fit(X, y, epochs=3, progress=None)  # the total: one more epoch
    assert capsys.readouterr().err == "" and len(h["loss"]) == 1


def test_progress_tqdm(monkeypatch, fashion_small):
    events = []

    class FakeTqdm:
        def __init__(self, total, **kw):
            events.append(("total", total))
        def update(self, n): events.append(("update", n))
        def set_postfix(self, *a, **kw): pass
        def close(self): events.append(("close",))
    fake = types.ModuleType("tqdm.auto")
    fake.tqdm = FakeTqdm
    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", fake)
    X, y = fashion_small
    bsnn.MLP(784, 16, 1, 10).fit(X[:640], y[:640], epochs=2, batch_size=64, progress="auto")
    assert events[0] == ("total", 20) and events.count(("update", 1)) == 20 and events[-1] == ("close",)


def test_callback_stop_and_raise(fashion_small):
    X, y = fashion_small
    model = bsnn.MLP(784, 16, 1, 10)
    h = model.fit(X, y, epochs=5, progress=None, callback=lambda p: p.phase == "epoch_end")
    assert h.stopped_early and len(h["loss"]) == 1

    class Boom(Exception):
        pass
    seen = []

    def explode(p):
        seen.append(p.global_step)
        if len(seen) == 3:
            raise Boom("from the progress callback")
    trainer = bsnn.Trainer(bsnn.MLP(784, 16, 1, 10))
    with pytest.raises(Boom, match="progress callback"):
        trainer.fit(X, y, epochs=3, callback=explode, progress=None)
    assert len(seen) == 3 and trainer.state["global_step"] == 3   # cancelled right there
    trainer.fit(X[:64], y[:64], epochs=1, progress=None)            # and still usable


def _cancel_directly():
    model = bsnn.MLP(4, 4, 0, 2)
    trainer = bsnn.Trainer(model)
    X = np.zeros((8, 4), np.float32)
    y = np.zeros(8, np.int32)
    stop = _ffi.PROGRESS_FN(lambda p, u: 1)
    _ffi.lib.bsnn_trainer_fit_arrays(trainer._ptr, X.ctypes.data, X.size, y.ctypes.data, 8,
                                     None, 0, None, 0, 1, stop, None)


def _c_shape_mismatch():
    # Bypasses the Python-side checks to see the library's own SHAPE_MISMATCH.
    model = bsnn.MLP(4, 4, 1, 2)
    x, out = np.zeros(8, np.float32), np.zeros(4, np.float32)
    _ffi.lib.bsnn_model_predict(model._ptr, x.ctypes.data, 7, 2, out.ctypes.data, 4)


def _internal_error():
    # No input may trigger a library bug; check the mapping of status 10 itself.
    _ffi._errcheck(10, None, ())


def _garbage_file(tmp):
    (tmp / "bad.bsnn").write_bytes(b"garbage!" * 8)
    bsnn.load(tmp / "bad.bsnn")


@pytest.mark.parametrize("cls,action", [
    (bsnn.InvalidArgument, lambda t: bsnn.Activation("no_such_activation")),
    (bsnn.InvalidArgument, lambda t: bsnn.MLP(784, 2**30, 1, 10)),
    (bsnn.ShapeError, lambda t: bsnn.MLP(4, 4, 1, 2).predict(np.zeros((3, 5)))),
    (bsnn.ShapeError, lambda t: _c_shape_mismatch()),
    (bsnn.IOError_, lambda t: bsnn.load(t / "missing.bsnn")),
    (bsnn.BSNNIOError, lambda t: bsnn.MLP(4, 4, 1, 2).save(t / "no" / "dir" / "m.bsnn")),
    (bsnn.FormatError, _garbage_file),
    (bsnn.PluginError, lambda t: bsnn.Activation.from_symbol("libdoesnotexist.so", "f")),
    (bsnn.NumericError, lambda t: bsnn.Activation.from_python(lambda x: float("nan"))),
    (bsnn.NumericError, lambda t: bsnn.MLP(4, 4, 1, 2).fit(np.full((4, 4), np.inf), [0, 1, 0, 1], progress=None)),
    (bsnn.OutOfMemory, lambda t: bsnn.MLP(16777216, 16777216, 0, 1)),
    (bsnn.WrongState, lambda t: bsnn.MLP(4, 4, 1, 2, bsnn.Activation.from_python(np.tanh)).save(t / "m.bsnn")),
    (bsnn.Cancelled, lambda t: _cancel_directly()),
    (bsnn.InternalError, lambda t: _internal_error()),
])
def test_every_exception_class(cls, action, tmp_path):
    with pytest.raises(cls) as info:
        action(tmp_path)
    assert isinstance(info.value, bsnn.BSNNError) and str(info.value)


def test_last_error_message_is_carried():
    with pytest.raises(bsnn.InvalidArgument, match="no_such_activation"):
        bsnn.Activation("no_such_activation")


def test_test_split_is_scaled_with_the_training_statistics(tmp_path, fashion_small):
    # Fashion-MNIST standardize: both splits use the whole training split's statistics.
    Xtr, ytr, scaling = bsnn.datasets.fashion_mnist("train", limit=500, scaling="standardize",
                                                    return_scaling=True)
    Xte = bsnn.datasets.fashion_mnist("test", limit=300, scaling="standardize")[0]
    raw_te = bsnn.datasets.fashion_mnist("test", limit=300, scaling="none")[0]
    raw_tr = bsnn.datasets.fashion_mnist("train", scaling="none")[0]
    assert scaling.method == "standardize" and scaling.offsets.shape == (784,)
    # the statistics are the training split's (float64 reference, float32 tolerance)
    assert np.allclose(scaling.offsets, raw_tr.astype(np.float64).mean(axis=0), rtol=1e-5, atol=1e-4)
    assert np.array_equal(Xte, scaling.apply(raw_te))  # the same arithmetic: bit-equal
    assert np.array_equal(Xtr, scaling.apply(raw_tr[:500]))
    # accepted back: a test split mapped like a given training scaling
    again = bsnn.datasets.fashion_mnist("test", limit=300, scaled_like=scaling)[0]
    assert np.array_equal(again, Xte)

    # recorded in the model file; predict on raw features mapped by the record replays it
    model = bsnn.MLP(784, 16, 1, 10, "tanh", seed=1, feature_scaling=scaling)
    model.fit(Xtr, ytr, epochs=1, progress=None)
    model.save(tmp_path / "m.safetensors")
    with bsnn.load(tmp_path / "m.safetensors") as loaded:
        record = loaded.feature_scaling
        assert record is not None and record.method == "standardize"
        assert np.array_equal(record.offsets, scaling.offsets) and np.array_equal(record.scales, scaling.scales)
        assert np.array_equal(loaded.predict(record.apply(raw_te)), model.predict(Xte))
    assert bsnn.MLP(784, 16, 1, 10).feature_scaling is None


def test_idx_test_file_scaled_like_the_training_file(tmp_path):
    rng = np.random.default_rng(3)

    def write(prefix: str, shift: int) -> tuple[Path, Path]:
        images, labels = tmp_path / f"{prefix}-images", tmp_path / f"{prefix}-labels"
        pixels = (rng.integers(0, 120, size=(30, 2, 3)) + shift).astype(np.uint8)
        images.write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 30, 0, 0, 0, 2, 0, 0, 0, 3]) + pixels.tobytes())
        labels.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 30]) + bytes([i % 3 for i in range(30)]))
        return images, labels

    train, test = write("train", 0), write("test", 100)
    Xtr, _, scaling = bsnn.datasets.load_idx(*train, scaling="standardize", return_scaling=True)
    Xte = bsnn.datasets.load_idx(*test, scaled_like=scaling)[0]
    own = bsnn.datasets.load_idx(*test, scaling="standardize")[0]
    assert abs(float(Xtr.mean())) < 1e-5 and abs(float(own.mean())) < 1e-5
    assert float(Xte.mean()) > 1  # shifted by 100 grey levels, in training units
    raw = bsnn.datasets.load_idx(*test, scaling="none")[0]
    assert np.array_equal(Xte, scaling.apply(raw))
    with pytest.raises(bsnn.InvalidArgument, match="method"):
        bsnn.FeatureScaling("bogus", scaling.offsets, scaling.scales)


def test_non_utf8_paths_round_trip(tmp_path):
    folder = os.fsencode(tmp_path)
    name = b"\xff\xfe.safetensors"
    model = bsnn.MLP(4, 8, 1, 3, seed=2)
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    for path in (os.path.join(folder, name), Path(os.fsdecode(os.path.join(folder, name)))):
        model.save(path)  # bytes, and a PathLike whose str holds surrogate escapes
        assert name in os.listdir(folder)
        with bsnn.load(path) as loaded:
            assert np.array_equal(loaded.predict(x), model.predict(x))
        os.remove(path)
    trainer = bsnn.Trainer(model)
    trainer.save_checkpoint(os.path.join(folder, b"\xfe.ckpt"))
    assert bsnn.Trainer.load_checkpoint(os.path.join(folder, b"\xfe.ckpt")).state["global_step"] == 0
