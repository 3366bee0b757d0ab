"""pickle / copy / deepcopy of MLP and Trainer copy the network through the in-memory
file pair (bsnn_model_save_buffer / load_buffer, checkpoint likewise)."""
from __future__ import annotations

import copy
import math
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import bsnn


def data(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 12)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int32) + (X[:, 2] > 1).astype(np.int32)
    return X, y


def params(m: bsnn.MLP) -> list[np.ndarray]:
    return [m.weights(l) for l in range(m.layer_count)] + [m.bias(l) for l in range(m.layer_count)]


def test_buffer_is_the_file_and_round_trips(tmp_path: Path):
    m = bsnn.MLP(12, 16, 3, 3, "gelu", constraint="orthogonal", seed=5)
    m.save(tmp_path / "m.bsnn")
    assert m.to_bytes() == (tmp_path / "m.bsnn").read_bytes()
    back = bsnn.MLP.from_bytes(m.to_bytes())
    for a, b in zip(params(m), params(back)):
        assert np.array_equal(a, b)
    assert repr(back) == repr(m)
    assert "gelu-GPN(b-) orthogonal" in repr(m)


def test_damaged_buffer_is_refused_like_a_file():
    blob = bytearray(bsnn.MLP(12, 16, 2, 3, seed=1).to_bytes())
    blob[-3] ^= 0x10  # one weight bit: only the checksum can tell
    with pytest.raises(bsnn.FormatError, match="checksum"):
        bsnn.MLP.from_bytes(bytes(blob))
    with pytest.raises(bsnn.FormatError):
        bsnn.MLP.from_bytes(b"\x00" * 4)
    with pytest.raises(bsnn.FormatError, match="expected a bsnn model, found a checkpoint|checkpoint"):
        bsnn.Trainer.from_bytes(bsnn.MLP(12, 16, 2, 3).to_bytes())


@pytest.mark.parametrize("how", ["pickle", "deepcopy", "copy"])
def test_training_the_copy_leaves_the_original(how: str):
    X, y = data()
    m = bsnn.MLP(12, 16, 2, 3, "tanh", seed=3)
    before = m.predict(X)
    c = {"pickle": lambda o: pickle.loads(pickle.dumps(o)), "deepcopy": copy.deepcopy,
         "copy": copy.copy}[how](m)
    assert c._ptr != m._ptr
    assert np.array_equal(c.predict(X), before)  # bit-identical
    c.fit(X, y, epochs=2, lr=0.05, progress=None)
    assert np.array_equal(m.predict(X), before)
    assert np.abs(c.predict(X) - before).max() > 1e-3


def test_pickled_fit_state_continues_exactly():
    # MLP.fit keeps its trainer (optimizer state, position); the pickle carries it.
    X, y = data()
    m = bsnn.MLP(12, 16, 2, 3, "tanh", seed=3)
    m.fit(X, y, epochs=1, lr=0.05, batch_size=32, progress=None, seed=9)
    c = pickle.loads(pickle.dumps(m))
    m.fit(X, y, epochs=3, lr=0.05, batch_size=32, progress=None, seed=9)
    c.fit(X, y, epochs=3, lr=0.05, batch_size=32, progress=None, seed=9)
    for a, b in zip(params(m), params(c)):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("how", ["pickle", "deepcopy", "copy"])
def test_trainer_copy_resumes_bit_identically(how: str):
    X, y = data()
    t = bsnn.Trainer(bsnn.MLP(12, 16, 2, 3, "tanh", seed=3), optimizer="adam", lr=1e-3,
                     batch_size=24, seed=4)
    t.fit(X, y, epochs=1, progress=None)
    t.step(X[:7], y[:7])  # part-way into epoch 2: the position must travel too
    c = {"pickle": lambda o: pickle.loads(pickle.dumps(o)), "deepcopy": copy.deepcopy,
         "copy": copy.copy}[how](t)
    assert c.state == t.state
    assert c.model._ptr != t.model._ptr
    t.fit(X, y, epochs=3, progress=None)
    c.fit(X, y, epochs=3, progress=None)
    assert c.state == t.state and t.state["epoch"] == 3
    for a, b in zip(params(t.model), params(c.model)):
        assert np.array_equal(a, b)


def test_unpickle_in_another_process_predicts_bit_identically(tmp_path: Path):
    X, y = data()
    m = bsnn.MLP(12, 16, 2, 3, "relu", seed=8)
    m.fit(X, y, epochs=1, progress=None)
    (tmp_path / "m.pkl").write_bytes(pickle.dumps(m))
    np.save(tmp_path / "X.npy", X)
    script = ("import pickle, sys, numpy as np\n"
              "d = sys.argv[1]\n"
              "m = pickle.load(open(d + '/m.pkl', 'rb'))\n"
              "np.save(d + '/out.npy', m.predict(np.load(d + '/X.npy')))\n"
              "print(repr(m))\n")
    r = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == repr(m)
    assert np.array_equal(np.load(tmp_path / "out.npy"), m.predict(X))


def test_python_callback_activation_cannot_be_pickled():
    m = bsnn.MLP(12, 8, 1, 3, bsnn.Activation.from_python(math.tanh))
    with pytest.raises(bsnn.WrongState, match="closure"):
        pickle.dumps(m)


def test_plugin_activation_needs_opt_in_to_unpickle(repo: Path):
    plugins = repo / "examples" / "plugins"
    if subprocess.run(["make", "-s", "-C", str(plugins)], capture_output=True).returncode != 0:
        pytest.skip("cannot build the example plugins")
    act = bsnn.Activation.from_plugin(str(plugins / "libsoftclip.so"), "softclip")
    m = bsnn.MLP(12, 8, 1, 3, act, seed=2)
    blob = pickle.dumps(m)
    with pytest.raises(bsnn.PluginError, match="allow_plugins_on_unpickle"):
        pickle.loads(blob)
    with bsnn.allow_plugins_on_unpickle():
        back = pickle.loads(blob)
    X, _ = data(20)
    assert np.array_equal(back.predict(X), m.predict(X))
    # the opt-in ends with the block; copies in this process need none
    with pytest.raises(bsnn.PluginError):
        pickle.loads(blob)
    assert np.array_equal(copy.deepcopy(m).predict(X), m.predict(X))


def test_reprs():
    m = bsnn.MLP(20, 10, 3, 4, "tanh")
    assert repr(m).startswith("<bsnn.MLP 20→10×3→4 tanh-GPN(b+) row_norm, bias, ")
    assert repr(bsnn.MLP(20, 10, 3, 4, "tanh", gpn=False, constraint="none", bias=False)) == \
        f"<bsnn.MLP 20→10×3→4 tanh none, no bias, {20 * 10 + 3 * 100 + 40} parameters>"
    t = bsnn.Trainer(m, optimizer="sgd")
    assert repr(t).startswith("<bsnn.Trainer sgd epoch 0 step 0 of 20→10×3→4 tanh-GPN(b+)")
    m.close()
    assert repr(m) == "<bsnn.MLP (closed)>"
