"""Feature scaling statistics: what a training set was mapped with, returned by the
loaders and accepted by them (``scaled_like=``), by ``MLP`` (recorded in the model file)
and applied to raw features by the library."""
from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _arrays, _ffi
from ._ffi import lib
from .errors import InvalidArgument

METHODS = {"none": _ffi.SCALING_NONE, "unit": _ffi.SCALING_UNIT_INTERVAL,
           "standardize": _ffi.SCALING_STANDARDIZE}
NAMES = {code: name for name, code in METHODS.items()}


@dataclass(frozen=True)
class FeatureScaling:
    """The per-feature map x' = (x − offsets) × scales ("unit" or "standardize"), fitted
    on a training set. Pass it as ``scaled_like=`` to load a test set, or to ``MLP(…,
    feature_scaling=…)`` to record it in the model; ``apply(X)`` maps raw features."""
    method: str
    offsets: np.ndarray
    scales: np.ndarray

    def __post_init__(self) -> None:
        if self.method not in ("unit", "standardize"):
            raise InvalidArgument(f"method must be 'unit' or 'standardize', got {self.method!r}")
        offsets = np.ascontiguousarray(self.offsets, dtype=np.float32)
        scales = np.ascontiguousarray(self.scales, dtype=np.float32)
        if offsets.ndim != 1 or offsets.shape != scales.shape or offsets.size == 0:
            raise InvalidArgument(f"offsets and scales must be equal non-empty vectors, got shapes "
                                  f"{offsets.shape} and {scales.shape}")
        object.__setattr__(self, "offsets", offsets)
        object.__setattr__(self, "scales", scales)

    @property
    def code(self) -> int:
        """The method as a C bsnn_scaling code."""
        return METHODS[self.method]

    def apply(self, X: Any) -> np.ndarray:
        """X mapped by the library's arithmetic.

        Parameters
        ----------
        X : array_like, shape (n, features)

        Returns
        -------
        ndarray of float32, shape (n, features)
            A copy; X is unchanged.
        """
        x = np.array(_arrays.features(X, self.offsets.size), dtype=np.float32, copy=True, order="C")
        lib.bsnn_scale_features(self.offsets.ctypes.data, self.scales.ctypes.data, self.offsets.size,
                                x.ctypes.data, x.size)
        return x


def read(getter: Any, handle: int, count: int) -> FeatureScaling | None:
    """bsnn_dataset_scaling / bsnn_model_scaling as a FeatureScaling (None: unscaled)."""
    method = ctypes.c_int32()
    offsets = np.empty(count, np.float32)
    scales = np.empty(count, np.float32)
    getter(handle, ctypes.byref(method), offsets.ctypes.data, scales.ctypes.data, count)
    if method.value == _ffi.SCALING_NONE:
        return None
    return FeatureScaling(NAMES[method.value], offsets, scales)
