"""Deployment: MLP.effective_weights, bsnn.export.to_onnx checked with onnxruntime on
Fashion-MNIST inputs, MLP.to_torch, and clear refusals for activations that are code
in another library. onnx/onnxruntime/torch are optional: their tests skip, with the
reason, when the package cannot be imported."""
from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

import bsnn
from bsnn import export

TOLERANCE = 1e-5  # on the logits, relative to their magnitude (both sides compute in float32)


def agree(ours: np.ndarray, reference: np.ndarray) -> float:
    return float(np.abs(ours - reference).max() / max(1.0, np.abs(reference).max()))


@pytest.fixture(scope="module")
def fashion_scaled():
    if not Path("/usr/share/datasets/fashion-mnist").is_dir():
        pytest.skip("Fashion-MNIST not installed (dataset-fashion-mnist)")
    X, y, scaling = bsnn.datasets.fashion_mnist("train", limit=1500, scaling="standardize",
                                                return_scaling=True)
    Xt, _ = bsnn.datasets.fashion_mnist("test", limit=500, scaled_like=scaling)
    return X, y, Xt


@pytest.fixture(scope="module")
def trained(fashion_scaled):
    X, y, _ = fashion_scaled
    model = bsnn.MLP(784, 48, 6, 10, "tanh", seed=3)
    model.fit(X, y, epochs=2, batch_size=50, lr=0.02, momentum=0.9, seed=1, progress=None)
    return model


# ------------------------------------------------------------ effective weights
def test_effective_weights_are_v_with_unit_rows(trained):
    for l in range(trained.layer_count):
        v, w = trained.weights(l), trained.effective_weights(l)
        if 1 <= l <= trained.depth:  # row_norm (the default) on the hidden layers
            assert not np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-3)
            np.testing.assert_allclose(np.linalg.norm(w.astype(np.float64), axis=1), 1, atol=1e-6)
            np.testing.assert_allclose(w, v / np.linalg.norm(v, axis=1, keepdims=True), rtol=1e-6, atol=1e-7)
        else:
            assert np.array_equal(v, w)


def test_effective_weights_do_not_move_when_rows_of_v_are_rescaled():
    model = bsnn.MLP(6, 8, 2, 3, "tanh", seed=1)
    X = np.random.default_rng(0).standard_normal((10, 6)).astype(np.float32)
    before, logits = model.effective_weights(1), model.predict(X)
    model.set_weights(1, model.weights(1) * np.arange(1, 9, dtype=np.float32)[:, None])
    np.testing.assert_allclose(model.effective_weights(1), before, rtol=2e-7, atol=1e-7)
    np.testing.assert_allclose(model.predict(X), logits, rtol=1e-5, atol=1e-6)


def test_effective_weights_of_unconstrained_layers_are_the_stored_ones():
    model = bsnn.MLP(4, 5, 2, 2, "relu", constraint="none", seed=2)
    model.set_weights(1, model.weights(1) * 3)
    assert np.array_equal(model.effective_weights(1), model.weights(1))
    with pytest.raises(bsnn.InvalidArgument):
        model.effective_weights(model.layer_count)


# ------------------------------------------------------------ ONNX
@pytest.fixture(scope="module")
def ort():
    pytest.importorskip("onnx", reason="onnx not installed (pip install onnx)")
    return pytest.importorskip("onnxruntime", reason="onnxruntime not installed (pip install onnxruntime)")


def run_onnx(ort, path: Path, X: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["logits"], {"features": np.ascontiguousarray(X, np.float32)})[0]


def test_onnx_of_a_trained_model_matches_predict_on_fashion_mnist(ort, trained, fashion_scaled, tmp_path):
    _, _, Xt = fashion_scaled
    proto = export.to_onnx(trained, tmp_path / "m.onnx")
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("MatMul") == trained.layer_count and ops.count("Tanh") == trained.depth + 1
    # GPN folded: one Mul (a) and one Add (b) per activation, besides the bias Adds.
    assert ops.count("Mul") == trained.depth + 1
    assert ops.count("Add") == trained.layer_count + trained.depth + 1
    got = run_onnx(ort, tmp_path / "m.onnx", Xt)
    reference = trained.predict(Xt)
    assert got.shape == reference.shape == (500, 10)
    assert agree(got, reference) < TOLERANCE
    assert np.array_equal(got.argmax(1), reference.argmax(1))


@pytest.mark.parametrize("activation", export.EXPORTABLE)
@pytest.mark.parametrize("gpn", [True, False])
def test_onnx_matches_predict_for_every_builtin(ort, fashion_scaled, tmp_path, activation, gpn):
    _, _, Xt = fashion_scaled
    model = bsnn.MLP(784, 32, 4, 10, activation, gpn=gpn, seed=7)
    rng = np.random.default_rng(1)
    for l in range(1, 5):
        model.set_weights(l, model.weights(l) * rng.uniform(0.5, 2, (32, 1)).astype(np.float32))
    export.to_onnx(model, tmp_path / "m.onnx")
    assert agree(run_onnx(ort, tmp_path / "m.onnx", Xt[:200]), model.predict(Xt[:200])) < TOLERANCE


def test_onnx_without_bias_and_with_parameters(ort, tmp_path):
    act = bsnn.Activation("leaky_relu", slope=0.2)
    model = bsnn.MLP(5, 7, 2, 3, act, bias=False, seed=5)
    proto = export.to_onnx(model, tmp_path / "m.onnx")
    leaky = [n for n in proto.graph.node if n.op_type == "LeakyRelu"]
    assert len(leaky) == 3 and math.isclose(leaky[0].attribute[0].f, 0.2, rel_tol=1e-6)
    X = np.random.default_rng(2).standard_normal((30, 5)).astype(np.float32)
    assert agree(run_onnx(ort, tmp_path / "m.onnx", X), model.predict(X)) < TOLERANCE


def plugin_path(repo: Path) -> str:
    plugins = repo / "examples" / "plugins"
    if subprocess.run(["make", "-s", "-C", str(plugins)], capture_output=True).returncode != 0:
        pytest.skip("cannot build the example plugins")
    return str(plugins / "libsoftclip.so")


def test_activations_from_other_code_are_refused_by_name(repo, tmp_path):
    cases = [
        (bsnn.Activation.from_plugin(plugin_path(repo), "softclip"), "'softclip' is a plugin activation"),
        (bsnn.Activation.from_symbol("libm.so.6", "erf", "double(double)"), "'erf' is a foreign activation"),
        (bsnn.Activation.from_python(math.tanh, lambda x: 1 - math.tanh(x) ** 2), "is a callback activation"),
    ]
    for act, message in cases:
        model = bsnn.MLP(3, 4, 1, 2, act, seed=1)
        with pytest.raises(export.UnsupportedActivation, match=message):
            export.to_onnx(model, tmp_path / "never.onnx")
        with pytest.raises(export.UnsupportedActivation, match=message):
            model.to_torch()
        assert not (tmp_path / "never.onnx").exists()


def test_model_activation_reports_what_the_model_applies():
    model = bsnn.MLP(3, 4, 1, 2, "gelu", seed=1)  # gelu's default root is b-
    with export.model_activation(model) as act:
        assert (act.name, act.source, act.root) == ("gelu", "builtin", "b-")
        x = np.linspace(-3, 3, 7, dtype=np.float32)
        plain = x / (1 + np.exp(-1.702 * x))
        np.testing.assert_allclose(act(x), act.a * plain + act.b, rtol=1e-5, atol=1e-6)
    with export.model_activation(bsnn.MLP(3, 4, 1, 2, "relu", gpn=False, seed=1)) as act:
        assert act.root is None and act.source == "builtin"


# ------------------------------------------------------------ PyTorch
def test_to_torch_matches_predict(trained, fashion_scaled):
    torch = pytest.importorskip("torch", reason="torch not installed (pip install torch)")
    _, _, Xt = fashion_scaled
    module = trained.to_torch()
    assert isinstance(module, torch.nn.Module) and not module.training
    linears = [m for m in module if isinstance(m, torch.nn.Linear)]
    assert len(linears) == trained.layer_count
    assert np.array_equal(linears[2].weight.detach().numpy(), trained.effective_weights(2))
    with torch.no_grad():
        got = module(torch.from_numpy(Xt)).numpy()
    assert agree(got, trained.predict(Xt)) < TOLERANCE


@pytest.mark.parametrize("activation", export.EXPORTABLE)
def test_to_torch_for_every_builtin(activation):
    torch = pytest.importorskip("torch", reason="torch not installed (pip install torch)")
    model = bsnn.MLP(6, 10, 3, 4, activation, seed=8)
    X = np.random.default_rng(4).standard_normal((50, 6)).astype(np.float32) * 2
    with torch.no_grad():
        got = model.to_torch()(torch.from_numpy(X)).numpy()
    assert agree(got, model.predict(X)) < TOLERANCE
