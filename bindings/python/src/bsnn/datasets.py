"""Data sets read by the C loaders and returned as numpy arrays.

A loader fits its scaling on the data it reads, which is right for a training set. A
test set must be mapped with the training set's statistics (fitting it on itself leaks
them): pass ``return_scaling=True`` for the training set and ``scaled_like=`` that
FeatureScaling for the test set. Fashion-MNIST's "standardize" does this by itself (the
whole training split's statistics, for either split and any limit)."""
from __future__ import annotations

import ctypes
import os
from typing import Any, Literal

import numpy as np

from . import _ffi
from ._ffi import lib
from .errors import InvalidArgument
from .model import Dataset
from .scaling import METHODS as _SCALING, FeatureScaling, read as _read_scaling
from .types import ScalingName

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


def _path(path: str | bytes | os.PathLike) -> bytes:
    return os.fsencode(os.fspath(path))


def _finish(out: ctypes.c_void_p, scaled_like: FeatureScaling | None, return_scaling: bool) -> Any:
    with Dataset(_ffi.Handle("dataset", out)) as data:
        info = data.info()
        if scaled_like is not None:
            if not isinstance(scaled_like, FeatureScaling):
                raise InvalidArgument(f"scaled_like must be a bsnn.FeatureScaling, got {type(scaled_like).__name__}")
            scaled = _ffi.out_handle()
            lib.bsnn_dataset_scale(data._ptr, scaled_like.code, scaled_like.offsets.ctypes.data,
                                   scaled_like.scales.ctypes.data, scaled_like.offsets.size,
                                   ctypes.byref(scaled))
            return _finish(scaled, None, return_scaling)
        X, y = data.arrays()
        if return_scaling:
            return X, y, _read_scaling(lib.bsnn_dataset_scaling, data._ptr, info.feature_count)
        return X, y


def _check(scaling: str, limit: int | None, scaled_like: FeatureScaling | None) -> int:
    if scaling not in _SCALING:
        raise InvalidArgument(f"scaling must be one of {sorted(_SCALING)}, got {scaling!r}")
    if limit is not None and _ffi.checked_int(limit, ctypes.c_size_t, "limit") == 0:
        raise InvalidArgument(f"limit must be positive or None, got {limit}")
    # Data to be mapped like another set is loaded as stored.
    return _ffi.SCALING_NONE if scaled_like is not None else _SCALING[scaling]


def fashion_mnist(split: Literal["train", "test"] = "train", limit: int | None = None,
                  scaling: ScalingName = "unit",
                  directory: str | bytes | os.PathLike | None = None,
                  scaled_like: FeatureScaling | None = None, return_scaling: bool = False) -> Any:
    """Fashion-MNIST from the IDX files (default /usr/share/datasets/fashion-mnist):
    (X float32 (n, 784), y int32 (n,)), plus the FeatureScaling applied (None for
    "none") with ``return_scaling=True``. `scaling` "unit" divides bytes by 255 (what the
    C examples use), "standardize" (the whole training split's statistics) or "none";
    ``scaled_like`` maps the split with a given FeatureScaling instead.

    Parameters
    ----------
    split : {"train", "test"}
    limit : int, optional
        Keep the first `limit` samples (None: all).
    scaling : {"unit", "standardize", "none"}
    directory : str or PathLike, optional
        Where the IDX files are (default /usr/share/datasets/fashion-mnist).
    scaled_like : FeatureScaling, optional
        Map with these statistics instead of fitting them.
    return_scaling : bool
        Also return the FeatureScaling applied.

    Returns
    -------
    (X, y) or (X, y, FeatureScaling or None)
        X float32 (n, 784), y int32 (n,).

    Raises
    ------
    BSNNIOError
        The files are missing; FormatError: they are damaged.
    InvalidArgument
        An unknown split or scaling, ``limit=0``.
    """
    if split not in ("train", "test"):
        raise InvalidArgument(f"split must be 'train' or 'test', got {split!r}")
    code = _check(scaling, limit, scaled_like)
    out = _ffi.out_handle()
    lib.bsnn_dataset_load_fashion_mnist(
        _path(directory) if directory is not None else None,
        _ffi.SPLIT_TRAIN if split == "train" else _ffi.SPLIT_TEST,
        _ffi.checked_int(limit or 0, ctypes.c_size_t, "limit"), code, ctypes.byref(out))
    return _finish(out, scaled_like, return_scaling)


def load_idx(images: str | bytes | os.PathLike, labels: str | bytes | os.PathLike,
             limit: int | None = None, scaling: ScalingName = "unit",
             scaled_like: FeatureScaling | None = None, return_scaling: bool = False) -> Any:
    """An IDX image file (N × …, optionally .gz) and its IDX label file: (X, y) as for
    fashion_mnist. The scaling is fitted on these images (a training set); load a test
    set with ``scaled_like=`` the training set's FeatureScaling.

    Parameters
    ----------
    images, labels : str or PathLike
        The IDX files.
    limit, scaling, scaled_like, return_scaling
        As in `fashion_mnist`.

    Returns
    -------
    (X, y) or (X, y, FeatureScaling or None)

    Raises
    ------
    BSNNIOError, FormatError, InvalidArgument
        As in `fashion_mnist`.
    """
    code = _check(scaling, limit, scaled_like)
    out = _ffi.out_handle()
    lib.bsnn_dataset_load_idx(_path(images), _path(labels),
                              _ffi.checked_int(limit or 0, ctypes.c_size_t, "limit"), code,
                              ctypes.byref(out))
    return _finish(out, scaled_like, return_scaling)
