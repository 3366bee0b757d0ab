"""Data sets read by the C loaders and returned as numpy arrays."""
from __future__ import annotations

import ctypes
import os

import numpy as np

from . import _ffi
from ._ffi import lib
from .errors import InvalidArgument
from .model import Dataset

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
_SCALING = {"none": _ffi.SCALING_NONE, "unit": _ffi.SCALING_UNIT_INTERVAL,
            "standardize": _ffi.SCALING_STANDARDIZE}


def fashion_mnist(split: str = "train", limit: int | None = None, scaling: str = "unit",
                  directory: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST from the IDX files (default /usr/share/datasets/fashion-mnist):
    (X float32 (n, 784), y int32 (n,)). `scaling` "unit" divides bytes by 255 (what the C
    examples use), "standardize" or "none"."""
    if split not in ("train", "test"):
        raise InvalidArgument(f"split must be 'train' or 'test', got {split!r}")
    if scaling not in _SCALING:
        raise InvalidArgument(f"scaling must be one of {sorted(_SCALING)}, got {scaling!r}")
    if limit is not None and _ffi.checked_int(limit, ctypes.c_size_t, "limit") == 0:
        raise InvalidArgument(f"limit must be positive or None, got {limit}")
    out = _ffi.out_handle()
    lib.bsnn_dataset_load_fashion_mnist(
        os.fsencode(os.fspath(directory)) if directory is not None else None,
        _ffi.SPLIT_TRAIN if split == "train" else _ffi.SPLIT_TEST, int(limit or 0),
        _SCALING[scaling], ctypes.byref(out))
    with Dataset(_ffi.Handle("dataset", out)) as data:
        return data.arrays()
