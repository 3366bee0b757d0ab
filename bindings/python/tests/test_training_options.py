"""Gradient-norm clipping and early stopping through the Python door: the ctypes
structs match the header's layout, a clipped SGD step moves the parameters by exactly
clip_grad_norm, the history and progress records carry the norm, early stopping stops
and restores the best epoch bit-identically, and bad input raises clear errors."""
from __future__ import annotations

import ctypes
import dataclasses
import math
import subprocess

import numpy as np
import pytest

import bsnn
from bsnn import _ffi

LAYOUT_C = r"""
#include <bsnn.h>
#include <stddef.h>
#include <stdio.h>
#define F(s, f) printf(#s " " #f " %zu\n", offsetof(s, f))
int main(void) {
    printf("bsnn_training_config sizeof %zu\n", sizeof(bsnn_training_config));
    F(bsnn_training_config, update_mode); F(bsnn_training_config, clip_grad_norm);
    F(bsnn_training_config, early_stopping_patience); F(bsnn_training_config, early_stopping_monitor);
    F(bsnn_training_config, early_stopping_min_delta);
    printf("bsnn_progress sizeof %zu\n", sizeof(bsnn_progress));
    F(bsnn_progress, validation_accuracy); F(bsnn_progress, gradient_norm); F(bsnn_progress, gradient_clipped);
    return 0;
}
"""


def test_struct_layouts_match_the_header(tmp_path, cc):
    src = tmp_path / "layout.c"
    src.write_text(LAYOUT_C)
    out = subprocess.run([str(cc(src, "layout"))], check=True, capture_output=True, text=True).stdout
    structs = {"bsnn_training_config": _ffi.TrainingConfig, "bsnn_progress": _ffi.Progress}
    for line in out.splitlines():
        name, field, value = line.split()
        s = structs[name]
        got = ctypes.sizeof(s) if field == "sizeof" else getattr(s, field).offset
        assert got == int(value), line


def data(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 5)).astype(np.float32), rng.integers(0, 3, size=n).astype(np.int32)


def parameters(m: bsnn.MLP) -> np.ndarray:
    return np.concatenate([np.concatenate([m.weights(l).ravel(), m.bias(l)]) for l in range(m.info.layer_count)])


def model() -> bsnn.MLP:
    return bsnn.MLP(5, 24, 2, 3, "tanh", seed=1)


def test_clipped_sgd_step_moves_the_parameters_by_c():
    X, y = data(1, 16)
    probe = bsnn.Trainer(model(), optimizer="sgd", lr=1.0, clip_grad_norm=1e30)
    r = probe.step(X, y)
    assert r.gradient_norm is not None and r.gradient_norm > 0 and not r.clipped
    c = r.gradient_norm / 3
    m = model()
    before = parameters(m).astype(np.float64)
    r2 = bsnn.Trainer(m, optimizer="sgd", lr=1.0, clip_grad_norm=c).step(X, y)
    assert r2.clipped and r2.gradient_norm == r.gradient_norm
    moved = np.linalg.norm(parameters(m).astype(np.float64) - before)
    assert moved == pytest.approx(c, rel=1e-3)
    # Off: nothing is measured.
    off = bsnn.Trainer(model(), optimizer="sgd", lr=1.0).step(X, y)
    assert off.gradient_norm is None and not off.clipped


def test_history_and_progress_carry_the_norm():
    X, y = data(2, 64)
    m = model()
    seen = []
    h = m.fit(X, y, epochs=2, batch_size=16, progress=None, clip_grad_norm=0.05,
              callback=lambda p: seen.append(p) and False)
    steps = [p for p in seen if p.phase == "step"]
    assert len(steps) == 8 and all(p.gradient_norm is not None and p.gradient_norm > 0 for p in steps)
    assert h["gradient_norm"] == pytest.approx([np.mean([p.gradient_norm for p in steps[:4]]),
                                                np.mean([p.gradient_norm for p in steps[4:]])])
    assert h["clipped_steps"] == [sum(p.gradient_clipped for p in steps[:4]), sum(p.gradient_clipped for p in steps[4:])]
    assert sum(h["clipped_steps"]) > 0
    plain = model().fit(X, y, epochs=1, batch_size=16, progress=None)
    assert "gradient_norm" not in plain


def test_clipping_off_is_bit_identical():
    X, y = data(3, 64)
    a, b = model(), model()
    a.fit(X, y, epochs=2, batch_size=16, progress=None)
    b.fit(X, y, epochs=2, batch_size=16, progress=None, clip_grad_norm=0)
    assert np.array_equal(parameters(a), parameters(b))


def test_early_stopping_restores_the_best_epoch():
    X, y = data(5, 96)
    Xv, yv = data(6, 64)
    m = model()
    h = m.fit(X, y, epochs=40, batch_size=16, optimizer="adam", lr=0.01, seed=2, progress=None,
              validation=(Xv, yv), early_stopping={"patience": 3, "monitor": "loss"})
    assert h.stopped_early and h.best_epoch is not None
    assert len(h["val_loss"]) == h.best_epoch + 1 + 3 < 40
    assert h["val_loss"][h.best_epoch] == min(h["val_loss"])
    exact = model()
    exact.fit(X, y, epochs=h.best_epoch + 1, batch_size=16, optimizer="adam", lr=0.01, seed=2, progress=None,
              validation=(Xv, yv))
    assert np.array_equal(parameters(m), parameters(exact))
    # An int is the patience on the validation loss; a fit without it has no best epoch.
    h2 = model().fit(X, y, epochs=40, batch_size=16, optimizer="adam", lr=0.01, seed=2, progress=None,
                     validation=(Xv, yv), early_stopping=3)
    assert h2.best_epoch == h.best_epoch
    @dataclasses.dataclass
    class Rule:
        patience: int
        monitor: str = "loss"
        min_delta: float = 0.0

    h4 = model().fit(X, y, epochs=40, batch_size=16, optimizer="adam", lr=0.01, seed=2, progress=None,
                     validation=(Xv, yv), early_stopping=Rule(3))
    assert h4.best_epoch == h.best_epoch and h4["val_loss"] == h["val_loss"]
    h3 = model().fit(X, y, epochs=2, progress=None, validation=(Xv, yv))
    assert h3.best_epoch is None and not h3.stopped_early


@pytest.mark.parametrize("kwargs, error, needle", [
    ({"clip_grad_norm": -1.0}, bsnn.InvalidArgument, "clip gradient norm: expected a finite value >= 0"),
    ({"clip_grad_norm": math.inf}, bsnn.InvalidArgument, "clip gradient norm"),
    ({"early_stopping": 2}, bsnn.InvalidArgument, "early stopping: expected a validation set"),
    ({"early_stopping": 0, "validation": "v"}, bsnn.InvalidArgument, "patience: expected >= 1"),
    ({"early_stopping": {"patience": 2, "monitor": "val"}, "validation": "v"}, bsnn.InvalidArgument, "monitor"),
    ({"early_stopping": {"patience": 2, "min_delta": -1}, "validation": "v"}, bsnn.InvalidArgument, "min delta"),
    ({"early_stopping": {"patiense": 2}, "validation": "v"}, bsnn.InvalidArgument, "patience (required)"),
    ({"early_stopping": True, "validation": "v"}, bsnn.InvalidArgument, "early_stopping must be"),
])
def test_bad_input(kwargs, error, needle):
    X, y = data(7, 32)
    m = model()
    before = parameters(m)
    if kwargs.get("validation") == "v":
        kwargs = dict(kwargs, validation=data(8, 16))
    with pytest.raises(error) as info:
        m.fit(X, y, epochs=2, progress=None, **kwargs)
    assert needle in str(info.value)
    assert np.array_equal(parameters(m), before)
