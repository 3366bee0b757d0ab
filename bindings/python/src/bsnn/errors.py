"""Exceptions raised for the C library's status codes (one subclass per bsnn_status)."""
from __future__ import annotations


class BSNNError(Exception):
    """Base class: a bsnn call failed. ``status`` is the C status code and ``message``
    the library's detailed text (``bsnn_last_error()``)."""

    status: int = -1

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class InvalidArgument(BSNNError, ValueError):
    """BSNN_E_INVALID_ARGUMENT: NULL pointer, bad size, unknown name, freed handle."""
    status = 1


class ShapeError(BSNNError, ValueError):
    """BSNN_E_SHAPE_MISMATCH: counts that do not fit the model / data."""
    status = 2


class BSNNIOError(BSNNError, OSError):
    """BSNN_E_IO: a file cannot be read or written."""
    status = 3


IOError_ = BSNNIOError


class FormatError(BSNNError):
    """BSNN_E_FORMAT: file content is malformed."""
    status = 4


class PluginError(BSNNError):
    """BSNN_E_PLUGIN: a plugin or foreign library failed to load or misbehaved."""
    status = 5


class NumericError(BSNNError, ArithmeticError):
    """BSNN_E_NUMERIC: NaN/Inf data, divergence, degenerate activation."""
    status = 6


class OutOfMemory(BSNNError, MemoryError):
    """BSNN_E_OUT_OF_MEMORY."""
    status = 7


class WrongState(BSNNError):
    """BSNN_E_WRONG_STATE: the call is not valid in the object's current state."""
    status = 8


class Cancelled(BSNNError):
    """BSNN_E_CANCELLED: a callback asked to stop."""
    status = 9


class InternalError(BSNNError):
    """BSNN_E_INTERNAL: a bug in bsnn."""
    status = 10


BY_STATUS: dict[int, type[BSNNError]] = {
    cls.status: cls
    for cls in (InvalidArgument, ShapeError, BSNNIOError, FormatError, PluginError,
                NumericError, OutOfMemory, WrongState, Cancelled, InternalError)
}

__all__ = ["BSNNError", "InvalidArgument", "ShapeError", "BSNNIOError", "IOError_",
           "FormatError", "PluginError", "NumericError", "OutOfMemory", "WrongState",
           "Cancelled", "InternalError"]
