"""numpy ↔ C buffers. C-contiguous float32/int32 arrays are passed by pointer (no copy);
anything else is converted once, explicitly, after validating dtype and shape, so that
the C library never sees a wrong-sized buffer."""
from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from .errors import InvalidArgument, NumericError, ShapeError


def _numeric(array: Any, what: str) -> np.ndarray:
    a = np.asarray(array)
    if a.dtype.kind not in "fiub":
        raise InvalidArgument(f"{what} must be a numeric array, got dtype {a.dtype}")
    return a


def features(x: Any, inputs: int, what: str = "X", check_finite: bool = False) -> np.ndarray:
    """A C-contiguous float32 (count, inputs) array; a 1-D array of `inputs` values is one
    sample. Copies only when dtype or layout require it. NaN and infinity are the engine's
    to reject (data sets, fit and step do, naming the sample); `check_finite` is for
    `predict(check_finite=True)`, where the engine lets them through as NaN outputs."""
    a = _numeric(x, what)
    if a.ndim == 1 and a.shape[0] == inputs:
        a = a.reshape(1, inputs)
    if a.ndim != 2 or a.shape[1] != inputs:
        raise ShapeError(f"{what} must have shape (count, {inputs}), got {a.shape}")
    if a.shape[0] == 0:
        raise ShapeError(f"{what} has no samples")
    a = np.ascontiguousarray(a, dtype=np.float32)  # no-op for C-contiguous float32
    if check_finite:
        # In blocks of ~4M values: a whole-array isfinite would cost a quarter of X's size.
        rows = max(1, (1 << 22) // inputs)
        for start in range(0, a.shape[0], rows):
            block = a[start:start + rows]
            if not np.isfinite(block).all():
                bad = start + int(np.argwhere(~np.isfinite(block))[0][0])
                raise NumericError(f"{what} contains NaN or infinity (first in sample {bad})")
    return a


def labels(y: Any, count: int, classes: int, what: str = "y") -> np.ndarray:
    """A C-contiguous int32 vector of `count` class indices in [0, classes)."""
    a = _numeric(y, what)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a.reshape(-1)
    if a.ndim != 1 or a.shape[0] != count:
        raise ShapeError(f"{what} must have shape ({count},), got {a.shape}")
    if a.dtype.kind == "f":
        if not np.array_equal(a, np.round(a)):
            raise InvalidArgument(f"{what} must hold integer class labels")
    if count and (a.min() < 0 or a.max() >= classes):
        raise InvalidArgument(f"{what} labels must lie in 0..{classes - 1}, got "
                              f"{a.min()}..{a.max()}")
    return np.ascontiguousarray(a, dtype=np.int32)


def samples(x: Any, y: Any, inputs: int, classes: int, prefix: str = "") -> tuple[np.ndarray, np.ndarray]:
    """(features, labels) for a C call that reads them in place: X is not copied when it
    is C-contiguous float32; labels become int32 (one copy of a small vector at most)."""
    a = features(x, inputs, f"{prefix}X")
    return a, labels(y, a.shape[0], classes, f"{prefix}y")


def ptr(a: np.ndarray | None) -> int | None:
    """The array's data address for a c_void_p argument (the caller keeps `a` alive)."""
    return None if a is None else a.ctypes.data


def double_buffer(n: int) -> tuple[np.ndarray, int]:
    a = np.empty(n, dtype=np.float64)
    return a, a.ctypes.data


__all__ = ["features", "labels", "samples", "ptr", "double_buffer", "ctypes"]
