"""GPN normalization at the edges, through the Python door: functions whose E[φ'²] does
not exist (or is invisible to a numeric derivative) must be rejected with NumericError,
never normalized to finite, meaningless constants."""
from __future__ import annotations

import math

import pytest

import bsnn


@pytest.mark.parametrize("name,fn", [
    ("sqrt_abs", lambda x: math.sqrt(abs(x))),
    ("quarter_power", lambda x: abs(x) ** 0.25),
    ("x_sin_inv_x", lambda x: 0.0 if x == 0 else x * math.sin(1 / x)),
    ("floor", math.floor),
    ("round", round),
])
def test_python_functions_without_square_integrable_derivative_are_rejected(name, fn):
    with pytest.raises(bsnn.NumericError, match="converge|constant"):
        bsnn.Activation.from_python(lambda x: float(fn(x)), name=name).gpn()


@pytest.mark.parametrize("symbol", ["floor", "round", "rint"])
def test_libm_step_functions_are_rejected(symbol):
    with pytest.raises(bsnn.NumericError, match="converge|constant"):
        bsnn.Activation.from_symbol("libm.so.6", symbol, "double(double)").gpn()


def test_smooth_python_function_matches_builtin():
    # A numeric derivative of a smooth closure still gives the builtin's constants.
    c = bsnn.Activation.from_python(math.tanh, name="py_tanh")
    ref = bsnn.Activation("tanh")
    assert abs(c.a - ref.a) < 1e-8 and abs(c.roots.b_plus - ref.roots.b_plus) < 1e-8
