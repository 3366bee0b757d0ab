"""RMSProp and AdaGrad through the Python door: the first step from zeroed slots has a
closed form (|Δp| = η·|g|/(√v + ε) with v = (1−β₂)g² or g²), and a resumed copy of the
trainer continues bit-identically (the slot travels)."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import bsnn


def data(n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int32) + (X[:, 1] > 0.5).astype(np.int32)
    return X, y


def params(m: bsnn.MLP) -> list[np.ndarray]:
    return [m.weights(l) for l in range(m.layer_count)] + [m.bias(l) for l in range(m.layer_count)]


@pytest.mark.parametrize("name, beta2, size", [("adagrad", 0.999, 1.0), ("rmsprop", 0.99, 10.0),
                                               ("rmsprop", 0.75, 2.0)])
def test_first_step_is_a_sign_step_of_known_size(name: str, beta2: float, size: float):
    # From a zero slot, g/(√v + ε) = sign(g)/√(1−β₂) (RMSProp) or sign(g) (AdaGrad) up to
    # ε/|g|: every parameter whose gradient is not tiny moves by η·size.
    X, y = data()
    m = bsnn.MLP(6, 8, 2, 3, "tanh", constraint="none", seed=2)
    before = params(m)
    lr = 1e-3
    t = bsnn.Trainer(m, optimizer=name, lr=lr, beta2=beta2, batch_size=64, shuffle=False)
    t.step(X, y)
    steps = np.concatenate([np.abs(a - b).ravel() for a, b in zip(params(m), before)])
    assert steps.max() <= lr * size * (1 + 1e-3)
    near = np.abs(steps - lr * size) <= lr * size * 1e-3
    assert near.mean() > 0.95, f"{name}: only {near.mean():.3f} of the steps have size η·{size}"


@pytest.mark.parametrize("name", ["rmsprop", "adagrad"])
def test_pickled_trainer_resumes_bit_identically(name: str):
    X, y = data(120)
    t = bsnn.Trainer(bsnn.MLP(6, 8, 2, 3, "tanh", seed=3), optimizer=name, lr=1e-2,
                     batch_size=16, seed=4)
    t.fit(X, y, epochs=1, progress=None)
    t.step(X[:5], y[:5])
    c = pickle.loads(pickle.dumps(t))
    t.fit(X, y, epochs=3, progress=None)
    c.fit(X, y, epochs=3, progress=None)
    for a, b in zip(params(t.model), params(c.model)):
        assert np.array_equal(a, b)


def test_unknown_optimizer_name_lists_the_new_ones():
    with pytest.raises(bsnn.InvalidArgument) as e:
        bsnn.Trainer(bsnn.MLP(6, 8, 1, 3, "tanh"), optimizer="adadelta")  # type: ignore[arg-type]
    assert "rmsprop" in str(e.value) and "adagrad" in str(e.value)
