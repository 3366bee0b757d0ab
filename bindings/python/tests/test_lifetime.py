"""Handles are freed exactly once, deterministically or by the garbage collector."""
from __future__ import annotations

import gc
import math

import numpy as np
import pytest

import bsnn
from bsnn import _ffi


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cycle(i: int, explicit: bool) -> None:
    X = np.random.default_rng(i).standard_normal((32, 8)).astype(np.float32)
    y = (np.arange(32) % 3).astype(np.int32)
    act = bsnn.Activation("tanh")
    g = act.gpn()
    model = bsnn.MLP(8, 16, 2, 3, g, seed=i)
    trainer = bsnn.Trainer(model, batch_size=16)
    trainer.step(X, y)
    model.predict(X)
    model.probe(X)
    if explicit:
        for obj in (trainer, model, g, act):
            obj.close()
            obj.close()  # idempotent: never freed twice


def test_thousand_cycles_no_leak():
    gc.collect()
    baseline = _ffi.live_handles()
    for i in range(50):  # warm caches / allocator before measuring
        cycle(i, explicit=i % 2 == 0)
    gc.collect()
    rss0 = rss_kib()
    for i in range(1000):
        cycle(i, explicit=i % 2 == 0)
    gc.collect()
    assert _ffi.live_handles() == baseline
    growth_mib = (rss_kib() - rss0) / 1024
    assert growth_mib < 16, f"RSS grew {growth_mib:.1f} MiB over 1,000 cycles"


def test_context_managers_and_closed_handles():
    before = _ffi.live_handles()
    with bsnn.MLP(4, 4, 1, 2) as model:
        assert _ffi.live_handles("model") >= 1
    assert model._handle.closed and "closed" in repr(model)
    with pytest.raises(bsnn.InvalidArgument, match="closed"):
        model.predict(np.zeros((1, 4)))
    gc.collect()
    assert _ffi.live_handles() == before


def test_model_outlives_its_activation_and_trainer():
    act = bsnn.Activation.from_python(math.tanh, lambda x: 1 - math.tanh(x) ** 2)
    model = bsnn.MLP(4, 8, 2, 2, act)
    act.close()  # the model holds the Python object, so the callback stays alive
    X = np.ones((3, 4), np.float32)
    trainer = bsnn.Trainer(model)
    trainer.step(X, [0, 1, 0])
    net = trainer.model
    trainer.close()
    assert net.predict(X).shape == (3, 2)
    resumed = bsnn.Trainer(bsnn.MLP(4, 4, 0, 2))
    model_handle = resumed.model
    del resumed
    gc.collect()
    assert model_handle.predict(X).shape == (3, 2)
