"""bsnn — bidirectionally self-normalizing deep networks, through libbsnn's C ABI (ctypes).

    import bsnn
    X, y = bsnn.datasets.fashion_mnist("train", limit=10000)
    model = bsnn.MLP(784, 128, 8, 10, "tanh", seed=42)
    model.fit(X, y, epochs=3, lr=0.02, seed=1)
"""
from __future__ import annotations

from . import _ffi
from .activation import (Activation, Moments, PluginValidation, Roots, builtin_names,
                         validate_foreign, validate_plugin)
from .errors import (BSNNError, BSNNIOError, Cancelled, FormatError, InternalError,
                     InvalidArgument, IOError_, NumericError, OutOfMemory, PluginError,
                     ShapeError, WrongState)
from .model import (MLP, History, ProbeResult, StepResult, Trainer, allow_plugins_on_unpickle,
                    load)
from .recipes import Recipe, recipe
from .scaling import FeatureScaling
from ._progress import ProgressInfo
from . import datasets
from . import monitor
from .monitor import SignalCollapseWarning
from . import export  # onnx / torch are imported only when used

__version__: str = _ffi.library_version
library_path: str = _ffi.library_path


def features() -> dict[str, bool]:
    """What the loaded library was built with.

    Returns
    -------
    dict
        ``plugins``, ``ffi`` (foreign symbols), ``threaded_blas``: bool each.
    """
    f = _ffi.lib.bsnn_features()
    return {"plugins": bool(f & _ffi.FEATURE_PLUGINS), "ffi": bool(f & _ffi.FEATURE_FFI),
            "threaded_blas": bool(f & _ffi.FEATURE_THREADED_BLAS)}


def set_blas_threads(threads: int) -> None:
    """Sets the process-wide number of threads per matrix product.

    With 2 or more, each trainer also runs half of each large layer's weight update on
    one helper thread of its own (same results, bit for bit).

    Parameters
    ----------
    threads : int
        1...4096.

    Raises
    ------
    InvalidArgument
        Out of range.
    """
    _ffi.lib.bsnn_blas_set_threads(_ffi.checked_int(threads, _ffi.c_size_t, "threads"))


def blas_threads() -> int:
    """The current number of BLAS threads, as OpenBLAS reports it."""
    return int(_ffi.lib.bsnn_blas_threads())


__all__ = ["Activation", "Moments", "Roots", "builtin_names", "validate_foreign", "validate_plugin",
           "PluginValidation", "MLP", "Trainer", "History",
           "ProbeResult", "StepResult", "ProgressInfo", "load", "allow_plugins_on_unpickle", "datasets", "export", "features",
           "FeatureScaling", "Recipe", "recipe", "monitor", "SignalCollapseWarning",
           "set_blas_threads", "blas_threads", "library_path", "__version__",
           "BSNNError", "InvalidArgument", "ShapeError", "IOError_", "BSNNIOError",
           "FormatError", "PluginError", "NumericError", "OutOfMemory", "WrongState",
           "Cancelled", "InternalError"]
