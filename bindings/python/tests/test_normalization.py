"""Batch and layer normalization through the Python binding: the norm option and its
read-back, parameter counts with γ and β, training vs evaluation mode, save/load and
pickling bit-identical, a checkpoint that resumes exactly, bad input."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import bsnn
from bsnn.errors import InvalidArgument


@pytest.fixture
def blas_one_thread():
    before = bsnn.blas_threads()
    bsnn.set_blas_threads(1)
    yield
    bsnn.set_blas_threads(before)


def data(n=40, inputs=4, seed=0):
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(n, inputs)) * 2 + 1).astype(np.float32)
    y = (np.arange(n) % 3).astype(np.int32)
    return X, y


def make(norm, **kw):
    return bsnn.MLP(4, 8, 2, 3, "tanh", gpn=False, constraint="none", seed=3, norm=norm, **kw)


def test_norm_option_is_recorded_and_counts_scale_and_shift():
    plain = make(None)
    assert plain.norm == "none" and plain.norm_momentum == 0.1 and plain.norm_epsilon == 1e-5
    for norm in ("batch", "layer"):
        m = make(norm, norm_momentum=0.2, norm_epsilon=1e-3)
        assert (m.norm, m.norm_momentum, m.norm_epsilon) == (norm, 0.2, 1e-3)
        # γ and β (8 each) on the input layer and the two hidden layers.
        assert m.parameter_count == plain.parameter_count + 2 * 8 * 3
        assert f"{norm}-norm" in repr(m)
    assert make("none").norm == "none"


def test_bad_norm_settings_are_rejected():
    with pytest.raises(InvalidArgument, match=r"norm must be one of \['batch', 'layer', 'none'\], got 'batchnorm'"):
        make("batchnorm")
    with pytest.raises(InvalidArgument, match=r"norm momentum: expected in \[0, 1\], got 1.5"):
        make("batch", norm_momentum=1.5)
    with pytest.raises(InvalidArgument, match="norm epsilon"):
        make("layer", norm_epsilon=0.0)


def test_batch_of_one_is_rejected_under_batch_norm():
    X, y = data()
    m = make("batch")
    with pytest.raises(InvalidArgument, match="batch size: batch normalization .* needs at least 2 samples"):
        bsnn.Trainer(m, batch_size=1)
    t = bsnn.Trainer(m, batch_size=8)
    before = m.predict(X)
    with pytest.raises(InvalidArgument, match=r"batch: batch normalization \(norm batch\) needs at least 2 samples per training step"):
        t.step(X[:1], y[:1])
    np.testing.assert_array_equal(m.predict(X), before)
    with pytest.raises(InvalidArgument, match="training data: batch normalization"):
        m.fit(X[:1], y[:1], epochs=1)
    # Layer normalization steps on one sample.
    assert bsnn.Trainer(make("layer"), batch_size=1).step(X[:1], y[:1]).count == 1


def test_batch_norm_evaluation_uses_running_statistics():
    """predict is evaluation mode: a fresh model's running statistics (0, 1) make it an
    affine map per unit; training moves them, so predict changes even where the
    weights' effect alone would not explain it, and evaluate agrees with predict."""
    X, y = data()
    m = make("batch")
    fresh = m.predict(X)
    m.fit(X, y, epochs=3, batch_size=8, lr=0.05)
    trained = m.predict(X)
    assert np.abs(trained - fresh).max() > 1e-3
    loss, _ = m.evaluate(X, y)
    logits = trained.astype(np.float64)
    logp = logits - logits.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    assert loss == pytest.approx(-logp[np.arange(len(y)), y].mean(), rel=1e-5)


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_save_load_and_pickle_are_bit_identical(tmp_path, norm):
    X, y = data()
    m = make(norm)
    m.fit(X, y, epochs=2, batch_size=8, lr=0.05, optimizer="adam")
    path = tmp_path / f"{norm}.bsnn"
    m.save(path)
    loaded = bsnn.load(path)
    assert loaded.norm == norm
    np.testing.assert_array_equal(loaded.predict(X), m.predict(X))
    copy = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(copy.predict(X), m.predict(X))


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_checkpoint_resume_is_bit_identical(tmp_path, norm):
    X, y = data()
    straight = bsnn.Trainer(make(norm), batch_size=8, lr=0.05, optimizer="adam")
    straight.fit(X, y, epochs=3)
    first = bsnn.Trainer(make(norm), batch_size=8, lr=0.05, optimizer="adam")
    first.fit(X, y, epochs=1)
    first.save_checkpoint(tmp_path / "ckpt")
    resumed = bsnn.Trainer.load_checkpoint(tmp_path / "ckpt")
    resumed.fit(X, y, epochs=3)
    np.testing.assert_array_equal(resumed.model.predict(X), straight.model.predict(X))


def test_export_refuses_a_normalized_model():
    from bsnn import export
    with pytest.raises(InvalidArgument, match="exporting normalized layers is not supported"):
        export.network(make("layer"))


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_python_and_cli_train_the_same_normalized_network(tmp_path, repo, norm, blas_one_thread):
    """The same request through Python and the CLI (one BLAS thread each) gives the same
    network bit for bit: a replay of the same computation, γ, β and running statistics
    included (predict on the reloaded files is bit-identical)."""
    import os
    import subprocess
    cli = os.environ.get("BSNN") or next(
        (str(p) for p in (repo / ".build" / "release" / "bsnn-cli", repo / ".build" / "debug" / "bsnn-cli")
         if p.is_file()), None)
    if cli is None:
        pytest.skip("no bsnn CLI binary (set BSNN)")
    rng = np.random.default_rng(11)
    X = (rng.integers(-16, 17, size=(41, 4)) / 8).astype(np.float32)  # exact in CSV text
    y = (np.arange(41) % 3).astype(np.int32)
    csv = tmp_path / "d.csv"
    csv.write_text("".join(",".join([str(int(l))] + [repr(float(v)) for v in row]) + "\n" for row, l in zip(X, y)))
    m = bsnn.MLP(4, 8, 2, 3, "tanh", seed=5, norm=norm)
    m.fit(X, y, epochs=2, batch_size=8, lr=0.05, seed=5, progress=None)
    out = tmp_path / "cli.safetensors"
    subprocess.run([cli, "train", "--data", str(csv), "--depth", "2", "--width", "8", "--activation", "tanh",
                    "--lr", "0.05", "--batch", "8", "--epochs", "2", "--seed", "5", "--threads", "1",
                    "--norm", norm, "--out", str(out)], check=True, capture_output=True)
    with bsnn.load(out) as c:
        assert c.norm == norm
        np.testing.assert_array_equal(c.predict(X), m.predict(X))
        assert not np.array_equal(m.predict(X), bsnn.MLP(4, 8, 2, 3, "tanh", seed=5, norm=norm).predict(X))
