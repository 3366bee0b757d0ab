"""The training monitor's records (C ``bsnn_trainer_monitor_*``), as numpy arrays.

Turn it on with ``fit(..., monitor_every=N)``: every N optimizer steps the library
records, per activated layer, the quantities of ``QUANTITIES`` (definitions in
docs/MONITOR.md) on that step's batch before its update. ``History.monitor`` holds the
records of one fit, ``Trainer.monitor()`` all of the trainer's.
"""
from __future__ import annotations

import ctypes
import warnings
from typing import Any

import numpy as np

from . import _ffi
from ._ffi import lib
from .errors import WrongState

#: The recorded quantities, in the library's order (bsnn_signal).
QUANTITIES = tuple(_ffi.SIGNAL)
_COLLAPSE_NAMES = {v: k for k, v in _ffi.COLLAPSE.items()}


class SignalCollapseWarning(RuntimeWarning):
    """A monitor record met the library's collapse rule (docs/MONITOR.md): non-finite
    statistics, a weight-gradient ratio max/min over layers above 1e4, or a last hidden
    layer whose samples all point the same way (cosine similarity above 0.999)."""


def count(trainer_ptr: Any) -> tuple[int, int] | None:
    """(records, layers per record), or None when the monitor is off."""
    records, layers = ctypes.c_size_t(), ctypes.c_size_t()
    try:
        lib.bsnn_trainer_monitor_count(trainer_ptr, ctypes.byref(records), ctypes.byref(layers))
    except WrongState:
        return None
    return records.value, layers.value


def records(trainer_ptr: Any, start: int = 0) -> dict[str, Any] | None:
    """Records ``start``… of the trainer's monitor: ``step`` (int64, one per record), one
    float64 array of shape (records, depth + 1) per name in QUANTITIES, ``collapse``
    (a list: None or "non_finite", "gradient_ratio", "similarity") and
    ``collapse_value`` (the layer, ratio or similarity; NaN for none). None when off."""
    shape = count(trainer_ptr)
    if shape is None:
        return None
    total, layers = shape
    n = max(total - start, 0)
    out: dict[str, Any] = {"step": np.zeros(n, dtype=np.int64)}
    out.update({q: np.zeros((n, layers), dtype=np.float64) for q in QUANTITIES})
    step, kind, value = ctypes.c_size_t(), ctypes.c_int32(), ctypes.c_double()
    collapse: list[str | None] = []
    collapse_value = np.full(n, np.nan)
    for i in range(n):
        for q in QUANTITIES:
            row = out[q][i]
            lib.bsnn_trainer_monitor_values(trainer_ptr, start + i, _ffi.SIGNAL[q],
                                            row.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), layers,
                                            ctypes.byref(step))
        out["step"][i] = step.value
        lib.bsnn_trainer_monitor_collapse(trainer_ptr, start + i, ctypes.byref(kind), ctypes.byref(value))
        name = _COLLAPSE_NAMES.get(kind.value, "none")
        collapse.append(None if name == "none" else name)
        if name != "none":
            collapse_value[i] = value.value
    out["collapse"] = collapse
    out["collapse_value"] = collapse_value
    return out


def warn_first_collapse(monitor: dict[str, Any] | None, stacklevel: int = 3) -> None:
    """Issues one SignalCollapseWarning for the first collapse record, if any."""
    if not monitor:
        return
    for i, kind in enumerate(monitor["collapse"]):
        if kind is not None:
            warnings.warn(
                f"step {int(monitor['step'][i])}: signal collapse ({kind}, {monitor['collapse_value'][i]:g}); "
                "see History.monitor and docs/MONITOR.md", SignalCollapseWarning, stacklevel=stacklevel)
            return
