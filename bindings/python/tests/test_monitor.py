"""The training monitor through Python (fit(monitor_every=N), History.monitor,
Trainer.monitor()): the records are the library's (the probe's numbers on the same
weights and batch), they leave the weights bit-identical, off means None, and a far too
large learning rate issues SignalCollapseWarning."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import bsnn
from bsnn.monitor import QUANTITIES
from data import blobs


def weights(m):
    return np.concatenate([m.weights(l).ravel() for l in range(m.info.depth + 2)])


def test_history_holds_the_records_of_the_fit():
    X, y = blobs()
    m = bsnn.MLP(6, 16, 5, 3, "tanh", seed=1)
    h = m.fit(X, y, epochs=2, batch_size=32, monitor_every=3, progress=None, shuffle=False)
    mon = h.monitor
    assert list(mon["step"]) == [0, 3, 6]
    for q in QUANTITIES:
        assert mon[q].shape == (3, 6) and mon[q].dtype == np.float64 and np.isfinite(mon[q]).all(), q
    assert (mon["saturated"] >= 0).all() and (mon["saturated"] <= 1).all()
    assert (np.abs(mon["cosine"]) <= 1).all()
    assert mon["collapse"] == [None, None, None] and np.isnan(mon["collapse_value"]).all()
    # A further fit's history holds only its own records; the trainer keeps all.
    h2 = m.fit(X, y, epochs=3, batch_size=32, monitor_every=3, progress=None, shuffle=False)
    assert list(h2.monitor["step"]) == [9]
    assert list(m._trainer.monitor()["step"]) == [0, 3, 6, 9]


def test_first_record_equals_the_probe_of_the_initial_weights():
    X, y = blobs(32)
    m = bsnn.MLP(6, 16, 5, 3, "tanh", seed=2)
    p = m.probe(X, labels=y)
    h = m.fit(X, y, epochs=1, batch_size=32, monitor_every=1, progress=None, shuffle=False)
    mon = h.monitor
    np.testing.assert_allclose(mon["x_norm"][0], p.forward_norms[1:], rtol=1e-5)
    np.testing.assert_allclose(mon["y_norm"][0], p.backward_norms, rtol=1e-5)
    np.testing.assert_allclose(mon["grad_norm"][0], p.batch_weight_gradient_norms, rtol=1e-4)


def test_off_is_none_and_on_changes_no_weight():
    X, y = blobs()
    a, b = bsnn.MLP(6, 16, 5, 3, "tanh", seed=1), bsnn.MLP(6, 16, 5, 3, "tanh", seed=1)
    ha = a.fit(X, y, epochs=2, batch_size=16, optimizer="adam", lr=0.01, progress=None)
    hb = b.fit(X, y, epochs=2, batch_size=16, optimizer="adam", lr=0.01, progress=None, monitor_every=1)
    assert ha.monitor is None and a._trainer.monitor() is None
    assert len(hb.monitor["step"]) == 16
    assert np.array_equal(weights(a), weights(b))
    with pytest.raises(bsnn.InvalidArgument, match="monitor_every"):
        b.fit(X, y, epochs=3, monitor_every=-1, progress=None)


def test_a_far_too_large_learning_rate_warns_of_a_collapse():
    """On these data the run diverges a few steps later (NumericError); the warning comes
    first and the trainer still holds the records up to the last good step."""
    X, y = blobs()
    m = bsnn.MLP(6, 16, 8, 3, "relu", seed=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            m.fit(X, y, epochs=2, batch_size=16, optimizer="sgd", lr=1e4, progress=None, monitor_every=1)
        except bsnn.NumericError as e:
            assert "divergence" in str(e)
    collapse = [w for w in caught if issubclass(w.category, bsnn.SignalCollapseWarning)]
    assert len(collapse) == 1, [str(w.message) for w in caught]
    mon = m._trainer.monitor()
    first = next(i for i, c in enumerate(mon["collapse"]) if c is not None)
    assert mon["collapse"][first] in ("non_finite", "gradient_ratio", "similarity")
    assert str(collapse[0].message).startswith(f"step {mon['step'][first]}: signal collapse ")
    assert list(mon["step"]) == list(range(len(mon["step"])))
