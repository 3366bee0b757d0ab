"""Training presets through Python (bsnn.recipe, MLP(recipe=), fit(recipe=)): the values
come from the library, explicit arguments override them, and a fit with a preset is the
same computation as a fit with the preset's values spelled out (bit-identical weights)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import bsnn
from data import blobs


def test_values_come_from_the_library():
    p = bsnn.recipe("paper", 200)
    assert (p.optimizer, p.lr, p.momentum, p.clip_grad_norm, p.residual) == ("momentum", 1e-4, 0.5, None, False)
    d = bsnn.recipe("deep", 200)
    assert (d.optimizer, d.lr, d.clip_grad_norm, d.residual) == ("adam", 1e-3, None, True)
    assert d.residual_scale == pytest.approx(1 / math.sqrt(200), rel=1e-15)
    assert bsnn.recipe("deep", 16).residual_scale == 0.25


def test_model_takes_the_architecture_part_and_explicit_arguments_win():
    m = bsnn.MLP(6, 8, 4, 3, "tanh", recipe="deep")
    assert (m.residual, m.residual_scale) == (True, 0.5)
    assert np.array_equal(m.residual_scales(), np.full(4, 0.5, dtype=np.float32))
    assert bsnn.MLP(6, 8, 4, 3, "tanh", recipe="deep", residual_scale=0.1).residual_scale == 0.1
    assert bsnn.MLP(6, 8, 4, 3, "tanh", recipe="deep", residual=False).residual is False
    assert bsnn.MLP(6, 8, 4, 3, "tanh", recipe="paper").residual is False


def weights(m):
    return [m.weights(l) for l in range(m.info.depth + 2)]


@pytest.mark.parametrize("recipe, spelled_out", [
    ("deep", {"optimizer": "adam", "lr": 1e-3}),
    ("paper", {"optimizer": "momentum", "lr": 1e-4, "momentum": 0.5}),
])
def test_fit_with_a_recipe_is_the_fit_with_its_values(recipe, spelled_out):
    X, y = blobs()
    a = bsnn.MLP(6, 8, 4, 3, "tanh", recipe=recipe, seed=3)
    a.fit(X, y, epochs=2, batch_size=16, recipe=recipe)
    b = bsnn.MLP(6, 8, 4, 3, "tanh", recipe=recipe, seed=3)
    b.fit(X, y, epochs=2, batch_size=16, **spelled_out)
    for wa, wb in zip(weights(a), weights(b)):
        assert np.array_equal(wa, wb)


def test_an_explicit_option_overrides_the_recipe_in_fit():
    X, y = blobs()
    a = bsnn.MLP(6, 8, 4, 3, "tanh", recipe="deep", seed=3)
    a.fit(X, y, epochs=1, batch_size=16, recipe="deep", lr=5e-4)
    b = bsnn.MLP(6, 8, 4, 3, "tanh", recipe="deep", seed=3)
    b.fit(X, y, epochs=1, batch_size=16, optimizer="adam", lr=5e-4)
    c = bsnn.MLP(6, 8, 4, 3, "tanh", recipe="deep", seed=3)
    c.fit(X, y, epochs=1, batch_size=16, recipe="deep")
    assert all(np.array_equal(wa, wb) for wa, wb in zip(weights(a), weights(b)))
    assert not all(np.array_equal(wa, wc) for wa, wc in zip(weights(a), weights(c)))


@pytest.mark.parametrize("call", [
    lambda: bsnn.recipe("dep", 10),
    lambda: bsnn.MLP(6, 8, 4, 3, "tanh", recipe="dep"),
    lambda: bsnn.MLP(6, 8, 4, 3, "tanh").fit(*blobs(), recipe="dep"),
])
def test_an_unknown_name_names_the_presets(call):
    with pytest.raises(bsnn.InvalidArgument, match="recipe: expected one of paper, deep.*did you mean 'deep'"):
        call()


def test_a_name_must_be_a_string():
    with pytest.raises(bsnn.InvalidArgument, match="recipe must be a name"):
        bsnn.recipe(3, 10)
