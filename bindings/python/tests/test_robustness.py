"""Robustness through the Python door: non-finite data, constant features, labels out
of range, empty data, batches larger than the data, zero and absurd sizes, and hostile
plugins validated in a child process. Each must raise a bsnn error, never crash. Also
the Python-only promises: callback errors stay on their thread, Ctrl-C in fit raises
KeyboardInterrupt, and integers that do not fit the C types are refused, not wrapped."""
from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import bsnn


def small_data(n: int = 10, d: int = 4, k: int = 3):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, d)).astype(np.float32), (np.arange(n) % k).astype(np.int32)


@pytest.mark.parametrize("width,depth,inputs,outputs", [
    (0, 2, 4, 3), (8, 2, 0, 3), (8, 2, 4, 0)])
def test_zero_sizes_are_refused(width, depth, inputs, outputs):
    with pytest.raises(bsnn.InvalidArgument):
        bsnn.MLP(inputs, width, depth, outputs)


def test_depth_zero_is_fine():
    X, y = small_data()
    m = bsnn.MLP(4, 8, 0, 3)
    assert m.predict(X).shape == (10, 3)


@pytest.mark.parametrize("width,depth,inputs,outputs", [
    (10**9, 2, 4, 3), (8, 2, 2**62, 3), (8, 2**40, 4, 3), (65536, 10**6, 4, 3), (8, 2, 4, 2**40)])
def test_absurd_sizes_fail_fast(width, depth, inputs, outputs):
    start = time.monotonic()
    with pytest.raises((bsnn.OutOfMemory, bsnn.InvalidArgument)):
        bsnn.MLP(inputs, width, depth, outputs)
    assert time.monotonic() - start < 5


def test_non_finite_features():
    X, y = small_data()
    m = bsnn.MLP(4, 8, 2, 3, seed=1)
    for bad in (np.nan, np.inf, -np.inf):
        Xb = X.copy()
        Xb[2, 1] = bad
        with pytest.raises(bsnn.NumericError, match="NaN"):
            m.fit(Xb, y, epochs=1, progress=None)
        with pytest.raises(bsnn.NumericError):
            bsnn.Trainer(m).step(Xb, y)
    # the model is untouched and still predicts finite values
    assert np.isfinite(m.predict(X)).all()


@pytest.mark.parametrize("label", [3, -1, 2**30])
def test_labels_out_of_range(label):
    X, y = small_data()
    y = y.copy()
    y[4] = label
    m = bsnn.MLP(4, 8, 2, 3)
    with pytest.raises(bsnn.InvalidArgument, match="label"):
        m.fit(X, y, epochs=1, progress=None)
    with pytest.raises(bsnn.InvalidArgument, match="label"):
        bsnn.Trainer(m).step(X, y)


def test_empty_data():
    m = bsnn.MLP(4, 8, 2, 3)
    X = np.zeros((0, 4), np.float32)
    y = np.zeros(0, np.int32)
    with pytest.raises(bsnn.BSNNError):
        m.fit(X, y, epochs=1, progress=None)
    with pytest.raises(bsnn.BSNNError):
        m.predict(X)
    with pytest.raises(bsnn.BSNNError):
        m.evaluate(X, y)


def test_batch_larger_than_data_and_constant_features():
    X, y = small_data()
    X[:, 2] = 7.0  # one constant feature
    m = bsnn.MLP(4, 8, 2, 3, seed=3)
    history = m.fit(X, y, epochs=3, batch_size=1000, progress=None)
    assert all(np.isfinite(v) for v in history["loss"])
    assert np.isfinite(m.predict(X)).all()
    loss, acc = m.evaluate(X, y)
    assert np.isfinite(loss) and 0 <= acc <= 1


def test_constant_images_scale_to_finite_values(tmp_path: Path):
    # Every pixel 200: min-max and standardization would divide by zero if unguarded.
    # Both splits: the test split is standardized with the training split's statistics.
    for prefix in ("train", "t10k"):
        (tmp_path / f"{prefix}-images-idx3-ubyte").write_bytes(
            bytes([0, 0, 8, 3, 0, 0, 0, 6, 0, 0, 0, 28, 0, 0, 0, 28]) + bytes([200] * 6 * 784))
        (tmp_path / f"{prefix}-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 6]) + bytes([0, 1] * 3))
    for scaling in ("none", "unit", "standardize"):
        X, y = bsnn.datasets.fashion_mnist("test", scaling=scaling, directory=tmp_path)
        assert X.shape == (6, 784) and np.isfinite(X).all()


def test_nan_hyper_parameters_are_refused():
    X, y = small_data()
    m = bsnn.MLP(4, 8, 2, 3)
    for lr in (float("nan"), float("inf"), -1.0):
        with pytest.raises(bsnn.InvalidArgument, match="learning rate"):
            m.fit(X, y, lr=lr, progress=None)
    with pytest.raises(bsnn.InvalidArgument):
        m.fit(X, y, batch_size=0, progress=None)


@pytest.fixture(scope="module")
def hostile(repo: Path, tmp_path_factory: pytest.TempPathFactory):
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler")
    out = tmp_path_factory.mktemp("hostile")
    built = {}
    for name in ("segfault", "hang"):
        lib = out / f"lib{name}.so"
        subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-I", str(repo / "include"), "-o", str(lib),
                        str(repo / "Tests" / "fixtures" / "broken_plugins" / f"{name}.c"), "-lm"], check=True)
        built[name] = str(lib)
    plugins = repo / "examples" / "plugins"
    if subprocess.run(["make", "-s", "-C", str(plugins)], capture_output=True).returncode != 0:
        pytest.skip("cannot build the example plugins")
    built["softclip"] = str(plugins / "libsoftclip.so")
    return built


def test_segfaulting_plugin_does_not_kill_python(hostile):
    with pytest.raises(bsnn.PluginError, match="crashed with SIGSEGV"):
        bsnn.validate_plugin(hostile["segfault"], "segfault")
    with pytest.raises(bsnn.PluginError, match="crashed with SIGSEGV"):
        bsnn.Activation.from_plugin(hostile["segfault"], "segfault", isolated=True)


def test_hanging_plugin_times_out(hostile):
    start = time.monotonic()
    with pytest.raises(bsnn.PluginError, match=r"timed out after 0\.5 s"):
        bsnn.Activation.from_plugin(hostile["hang"], "hang", isolated=True, timeout=0.5)
    assert time.monotonic() - start < 10


def test_good_plugin_validates_like_in_process(hostile):
    v = bsnn.validate_plugin(hostile["softclip"], "softclip", c=3.0)
    act = bsnn.Activation.from_plugin(hostile["softclip"], "softclip", isolated=True, c=3.0)
    assert v.a == act.a and v.roots == act.roots and v.moments == act.moments
    with pytest.raises(bsnn.InvalidArgument):
        bsnn.validate_plugin(hostile["softclip"], "softclip", timeout=0)
    with pytest.raises(bsnn.InvalidArgument):
        bsnn.validate_plugin(hostile["softclip"], "softclip", c=float("nan"))


def test_parked_callback_errors_stay_on_their_thread():
    """Thread A's Python activation raises on every predict; thread B's predicts on a
    builtin model must never see A's error (a process-wide slot used to hand it over)."""
    X, _ = small_data()
    failing = threading.Event()

    def fn(x: float) -> float:
        if failing.is_set():
            raise ValueError("thread A's activation failed")
        return math.tanh(x)

    act = bsnn.Activation.from_python(fn, lambda x: 1 - math.tanh(x) ** 2, name="pytanh")
    a_model = bsnn.MLP(4, 8, 1, 3, act, gpn=False)
    b_model = bsnn.MLP(4, 8, 1, 3, "tanh")
    expected_b = b_model.predict(X)
    failing.set()
    rounds = 200
    start = threading.Barrier(2)
    a_errors: list[BaseException] = []
    b_errors: list[BaseException] = []
    b_results: list[bool] = []

    def a() -> None:
        start.wait()
        for _ in range(rounds):
            try:
                a_model.predict(X)
            except ValueError as error:
                a_errors.append(error)

    def b() -> None:
        start.wait()
        for _ in range(rounds):
            try:
                b_results.append(np.array_equal(b_model.predict(X), expected_b))
            except BaseException as error:  # noqa: BLE001 — counted, must stay empty
                b_errors.append(error)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert b_errors == [] and b_results == [True] * rounds
    assert len(a_errors) == rounds and all("thread A" in str(e) for e in a_errors)
    assert bsnn._ffi.take_parked() is None  # nothing left behind for this thread


CTRL_C_DURING_FIT = r"""
import signal, sys
# A job started in the background of a non-interactive shell inherits SIGINT ignored,
# and then Python installs no handler; the test is about bsnn restoring Python's own.
signal.signal(signal.SIGINT, signal.default_int_handler)
import numpy as np
import bsnn
rng = np.random.default_rng(0)
X = rng.standard_normal((64, 4)).astype(np.float32)
y = (np.arange(64) % 3).astype(np.int32)
m = bsnn.MLP(4, 8, 2, 3, seed=1)
t = bsnn.Trainer(m, batch_size=8, seed=2)
def press_ctrl_c(p):
    if p.global_step == 3 and p.phase == "step":
        signal.raise_signal(signal.SIGINT)
try:
    t.fit(X, y, epochs=5, callback=press_ctrl_c, progress=None)
    print("no KeyboardInterrupt")
except KeyboardInterrupt:
    print("KeyboardInterrupt", t.state["epoch"], t.state["step_in_epoch"], t.state["global_step"])
assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
print("finite", bool(np.isfinite(m.predict(X)).all()))
h = t.fit(X, y, epochs=2, progress=None)
print("continued", t.state["epoch"], t.state["global_step"], len(h["loss"]))
"""


def test_ctrl_c_during_fit_raises_keyboard_interrupt(tmp_path: Path):
    script = tmp_path / "ctrl_c.py"
    script.write_text(CTRL_C_DURING_FIT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(bsnn.__file__).resolve().parents[1])] + [p for p in [os.environ.get("PYTHONPATH")] if p]),
        BSNN_LIBRARY=bsnn.library_path)
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    # stopped after the step that saw the signal: epoch 0, step 3 (8 steps per epoch)
    assert p.stdout.splitlines() == ["KeyboardInterrupt 0 3 3", "finite True", "continued 2 16 2"], p.stdout
    assert "Exception ignored" not in p.stderr and "Cancelled" not in p.stderr, p.stderr


@pytest.mark.parametrize("call,what", [
    (lambda m: bsnn.Trainer(m, batch_size=2**64 + 7), "batch_size"),
    (lambda m: bsnn.Trainer(m, seed=-1), "seed"),
    (lambda m: bsnn.Trainer(m, seed=2**64), "seed"),
    (lambda m: bsnn.Trainer(m, schedule="step", schedule_steps=-3), "schedule_steps"),
    (lambda m: bsnn.MLP(4, 2**64 + 8, 1, 3), "width"),
    (lambda m: bsnn.MLP(4, 8, -1, 3), "depth"),
    (lambda m: bsnn.MLP(4, 8, 1, 3, seed=-5), "seed"),
    (lambda m: m.fit(*small_data(), epochs=2**64 + 1, progress=None), "epochs"),
    (lambda m: m.weights(-1), "layer"),
    (lambda m: m.weights(2**64), "layer"),
    (lambda m: m.probe(small_data()[0], seed=2**70), "seed"),
    (lambda m: bsnn.set_blas_threads(2**64 + 1), "threads"),
    (lambda m: bsnn.Trainer(m, batch_size=7.5), "batch_size"),
])
def test_integers_beyond_the_c_types_are_refused(call, what):
    m = bsnn.MLP(4, 8, 1, 3, seed=1)
    before = m.weights(1).copy()
    threads = bsnn.blas_threads()
    with pytest.raises(bsnn.InvalidArgument, match=what):
        call(m)
    assert np.array_equal(m.weights(1), before) and bsnn.blas_threads() == threads
