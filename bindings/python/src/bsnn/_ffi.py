"""The ctypes layer: every C function of include/bsnn.h declared once, the C structs,
status → exception mapping, and owned handles.

Everything here mirrors the header one to one; the Pythonic API lives in the other
modules. Handles and pointers are ``c_void_p`` (the default ``int`` restype would
truncate 64-bit pointers).
"""
from __future__ import annotations

import ctypes
import operator
import threading
import weakref
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_double, c_int,
                    c_float, c_int32, c_size_t, c_uint32, c_uint64, c_void_p)
from typing import Any, Callable

from . import _libpath
from .errors import BY_STATUS, BSNNError

# The header this module mirrors; a library with another ABI must not be driven with
# these struct layouts.
HEADER_VERSION = "0.1.0"
HEADER_VERSION_NUMBER = 100
HEADER_ABI_VERSION = 3

# ---------------------------------------------------------------- enums
OK = 0
GPN_NONE, GPN_B_PLUS, GPN_B_MINUS, GPN_DEFAULT = 0, 1, 2, 3
SCALING_NONE, SCALING_UNIT_INTERVAL, SCALING_STANDARDIZE = 0, 1, 2
SPLIT_TRAIN, SPLIT_TEST = 0, 1
CONSTRAINT = {"none": 0, "row_norm": 1, "orthogonal": 2}
INIT = {"orthogonal": 0, "xavier": 1, "he": 2}
LOSS = {"cross_entropy": 0, "mse": 1, "binary_logistic": 2, "huber": 3}
OPTIMIZER = {"sgd": 0, "momentum": 1, "nesterov": 2, "adam": 3, "rmsprop": 4, "adagrad": 5}
SCHEDULE = {"constant": 0, "step": 1, "cosine": 2}
UPDATE_MODE = {"checked": 0, "fused": 1}
NORM = {"none": 0, "batch": 1, "layer": 2}
MONITOR = {"validation_loss": 0, "validation_accuracy": 1}
# Added in ABI 3 (0.2): the training monitor's quantities and collapse verdicts.
SIGNAL = {"x_norm": 0, "y_norm": 1, "grad_norm": 2, "deriv_mean": 3, "deriv_std": 4, "saturated": 5, "cosine": 6}
COLLAPSE = {"none": 0, "non_finite": 1, "gradient_ratio": 2, "similarity": 3}
STEP_STATUS = {"ok": 0, "non_finite": 1, "failed": 2}
PHASE_STEP, PHASE_EPOCH_END = 0, 1
UPSTREAM = {"gaussian": 0, "labels": 1}
PROBE_FORWARD_NORMS, PROBE_BACKWARD_NORMS = 0, 1
PROBE_WEIGHT_GRADIENT_NORMS, PROBE_BATCH_WEIGHT_GRADIENT_NORMS = 2, 3
PROBE_DERIVATIVE_HISTOGRAM = 4
PROBE_INPUT_GRADIENT_NORMS = 5  # Added in ABI 3 (0.2)
FEATURE_PLUGINS, FEATURE_FFI, FEATURE_THREADED_BLAS = 1, 2, 4
SOURCE = {0: "builtin", 1: "plugin", 2: "foreign", 3: "callback"}


# ---------------------------------------------------------------- structs
class GPNConstants(Structure):
    _fields_ = [("a", c_double), ("b_plus", c_double), ("b_minus", c_double),
                ("mean", c_double), ("mean_square", c_double),
                ("derivative_mean_square", c_double)]


class CSVOptions(Structure):
    _fields_ = [("size", c_size_t), ("label_column", c_int32), ("header", c_int32),
                ("delimiter", c_char), ("regression", c_int32), ("class_count", c_size_t)]


class DatasetInfo(Structure):
    _fields_ = [("count", c_size_t), ("feature_count", c_size_t),
                ("class_count", c_size_t), ("target_count", c_size_t)]


class ModelConfig(Structure):
    _fields_ = [("size", c_size_t), ("inputs", c_size_t), ("width", c_size_t),
                ("depth", c_size_t), ("outputs", c_size_t), ("activation", c_void_p),
                ("gpn_root", c_int32), ("constraint", c_int32), ("init", c_int32),
                ("bias", c_int32), ("seed", c_uint64), ("scaling", c_int32),
                ("scaling_offsets", c_void_p), ("scaling_scales", c_void_p),
                ("norm", c_int32), ("norm_momentum", c_double), ("norm_epsilon", c_double),
                # Added in ABI 3 (0.2)
                ("residual", c_int32), ("residual_scale", c_double), ("dropout", c_double)]


class ModelInfo(Structure):
    _fields_ = [("inputs", c_size_t), ("width", c_size_t), ("depth", c_size_t),
                ("outputs", c_size_t), ("layer_count", c_size_t),
                ("parameter_count", c_size_t), ("bias", c_int32), ("gpn_root", c_int32)]


class Evaluation(Structure):
    _fields_ = [("loss", c_double), ("accuracy", c_double), ("count", c_size_t)]


class TrainingConfig(Structure):
    _fields_ = [("size", c_size_t), ("batch_size", c_size_t), ("loss", c_int32),
                ("optimizer", c_int32), ("learning_rate", c_double), ("momentum", c_double),
                ("beta1", c_double), ("beta2", c_double), ("epsilon", c_double),
                ("weight_decay", c_double), ("schedule", c_int32), ("schedule_steps", c_size_t),
                ("schedule_factor", c_double), ("seed", c_uint64), ("shuffle", c_int32),
                ("update_mode", c_int32), ("clip_grad_norm", c_double),
                ("early_stopping_patience", c_size_t), ("early_stopping_monitor", c_int32),
                ("early_stopping_min_delta", c_double), ("monitor_every", c_size_t)]


class Progress(Structure):
    _fields_ = [("size", c_size_t), ("phase", c_int32), ("epoch", c_size_t),
                ("epochs", c_size_t), ("step_in_epoch", c_size_t),
                ("steps_per_epoch", c_size_t), ("global_step", c_size_t),
                ("loss", c_double), ("accuracy", c_double), ("samples_per_second", c_double),
                ("has_validation", c_int32), ("validation_loss", c_double),
                ("validation_accuracy", c_double), ("gradient_norm", c_double),
                ("gradient_clipped", c_int32)]


class StepResult(Structure):
    _fields_ = [("loss", c_double), ("correct", c_size_t), ("count", c_size_t)]


class TrainerState(Structure):
    _fields_ = [("epoch", c_size_t), ("step_in_epoch", c_size_t), ("global_step", c_size_t)]


class ProbeConfig(Structure):
    _fields_ = [("size", c_size_t), ("upstream", c_int32), ("seed", c_uint64),
                ("labels", c_void_p), ("label_count", c_size_t), ("loss", c_int32),
                ("histogram_bins", c_size_t)]


# ---------------------------------------------------------------- callbacks
SCALAR_FN = CFUNCTYPE(c_double, c_double, c_void_p)
PROGRESS_FN = CFUNCTYPE(c_int, POINTER(Progress), c_void_p)
EXCHANGE_START_FN = CFUNCTYPE(c_int, c_void_p, c_int32, POINTER(c_float), c_size_t)
EXCHANGE_FINISH_FN = CFUNCTYPE(c_int, c_void_p, c_int32)
EXCHANGE_AGREE_FN = CFUNCTYPE(c_int, c_void_p, c_int32, POINTER(c_int32))
EXCHANGE_MATCH_FN = CFUNCTYPE(c_int, c_void_p, c_uint64, POINTER(c_int32))


class GradientExchange(Structure):
    _fields_ = [("size", c_size_t), ("process_count", c_int32), ("rank", c_int32),
                ("user_data", c_void_p), ("start", EXCHANGE_START_FN),
                ("finish", EXCHANGE_FINISH_FN), ("agree", EXCHANGE_AGREE_FN),
                ("all_match_rank_zero", EXCHANGE_MATCH_FN)]

# Exceptions raised inside Python callbacks while C was running. The callback cannot
# propagate them through C frames, so it parks them and tells C to stop; the errcheck of
# the C call that invoked it raises them on return. Per thread: the library calls every
# callback (progress and activation) on the thread that made the C call, so another
# thread's call must never see, or consume, this thread's error.
_parked = threading.local()


def park_exception(error: BaseException) -> None:
    """Called by trampolines: remember `error` for this thread's C call now running
    (later ones of the same call are dropped: usually the same error per sample)."""
    if getattr(_parked, "error", None) is None:
        _parked.error = error


def take_parked() -> BaseException | None:
    """Pops this thread's parked callback exception, if any."""
    error = getattr(_parked, "error", None)
    _parked.error = None
    return error


# ---------------------------------------------------------------- checked integers
_LIMITS = {c_size_t: (0, 2 ** (8 * ctypes.sizeof(c_size_t)) - 1), c_uint64: (0, 2 ** 64 - 1),
           c_uint32: (0, 2 ** 32 - 1), c_int32: (-2 ** 31, 2 ** 31 - 1), c_int: (-2 ** 31, 2 ** 31 - 1)}


def checked_int(value: Any, ctype: Any, what: str) -> int:
    """`value` as an int that fits the C type `ctype`, else InvalidArgument: ctypes would
    silently wrap it modulo 2**bits (batch_size=2**64+7 would train with batch 7)."""
    from .errors import InvalidArgument
    if isinstance(value, bool):
        raise InvalidArgument(f"{what} must be an integer, got {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise InvalidArgument(f"{what} must be an integer, got {type(value).__name__} {value!r}") from None
    low, high = _LIMITS[ctype]
    if not low <= number <= high:
        raise InvalidArgument(f"{what} must be in {low}..{high} (a C {ctype.__name__}), got {number}")
    return number


def init_struct(cls: Any) -> Any:
    """A config struct filled by its *_init_defaults with this module's ctypes size, so a
    newer library writes only the fields these bindings know."""
    struct = cls()
    _INIT[cls](ctypes.byref(struct), ctypes.sizeof(cls))
    return struct


# ---------------------------------------------------------------- the library
lib, library_path = _libpath.load()


def _errcheck(result: int, func: Any, args: tuple) -> int:
    parked = take_parked()
    if parked is not None:
        raise parked
    if result != OK:
        message = (lib.bsnn_last_error() or b"").decode("utf-8", "replace")
        cls = BY_STATUS.get(result, BSNNError)
        if not message:
            message = (lib.bsnn_status_string(result) or b"").decode()
        raise cls(message, result)  # the message already names the function
    return result


_P = c_void_p
_SZ = c_size_t
_PSZ = POINTER(c_size_t)
_PD = POINTER(c_double)
_STATUS = "status"

# name: (restype, argtypes). restype _STATUS means bsnn_status with the errcheck.
_SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    "bsnn_version": (c_char_p, []),
    "bsnn_version_number": (c_uint32, []),
    "bsnn_abi_version": (c_uint32, []),
    "bsnn_features": (c_uint32, []),
    "bsnn_status_string": (c_char_p, [c_int]),
    "bsnn_last_error": (c_char_p, []),
    "bsnn_builtin_count": (c_size_t, []),
    "bsnn_builtin_name": (c_char_p, [_SZ]),
    # activations
    "bsnn_activation_create_builtin": (_STATUS, [c_char_p, _P, _P, _SZ, _P]),
    "bsnn_activation_create_plugin": (_STATUS, [c_char_p, c_char_p, _P, _P, _SZ, _P]),
    "bsnn_activation_create_foreign": (_STATUS, [c_char_p, c_char_p, c_char_p, _P, _SZ, _P]),
    "bsnn_activation_create_callback": (_STATUS, [c_char_p, SCALAR_FN, SCALAR_FN, _P, _P]),
    "bsnn_activation_normalize": (_STATUS, [_P, c_int, _P]),
    "bsnn_activation_free": (None, [_P]),
    "bsnn_activation_constants": (_STATUS, [_P, POINTER(GPNConstants)]),
    "bsnn_activation_root": (_STATUS, [_P, POINTER(c_int)]),
    "bsnn_activation_source": (_STATUS, [_P, POINTER(c_int32)]),
    "bsnn_activation_name": (_STATUS, [_P, _P, _SZ, _PSZ]),
    "bsnn_activation_param_count": (_STATUS, [_P, _PSZ]),
    "bsnn_activation_param": (_STATUS, [_P, _SZ, _P, _SZ, _PSZ, _PD]),
    "bsnn_activation_evaluate": (_STATUS, [_P, _P, _SZ, _P, _P]),
    # plugins
    "bsnn_plugin_load": (_STATUS, [c_char_p, _P]),
    "bsnn_plugin_free": (None, [_P]),
    "bsnn_plugin_name": (_STATUS, [_P, _P, _SZ, _PSZ]),
    "bsnn_plugin_activation_count": (_STATUS, [_P, _PSZ]),
    "bsnn_plugin_activation_name": (_STATUS, [_P, _SZ, _P, _SZ, _PSZ]),
    "bsnn_plugin_param_count": (_STATUS, [_P, _SZ, _PSZ]),
    "bsnn_plugin_param": (_STATUS, [_P, _SZ, _SZ, _P, _SZ, _PSZ, _PD]),
    "bsnn_plugin_create_activation": (_STATUS, [_P, c_char_p, _P, _P, _SZ, _P]),
    "bsnn_plugin_validate_isolated": (_STATUS, [c_char_p, c_char_p, _P, _P, _SZ, ctypes.c_uint32,
                                                POINTER(GPNConstants)]),
    "bsnn_foreign_validate_isolated": (_STATUS, [c_char_p, c_char_p, c_char_p, _P, _SZ,
                                                 ctypes.c_uint32, POINTER(GPNConstants)]),
    # datasets
    "bsnn_csv_options_init_defaults": (_STATUS, [POINTER(CSVOptions), _SZ]),
    "bsnn_dataset_create": (_STATUS, [_P, _P, _SZ, _SZ, _SZ, _P]),
    "bsnn_dataset_create_regression": (_STATUS, [_P, _P, _SZ, _SZ, _SZ, _P]),
    "bsnn_dataset_load_idx": (_STATUS, [c_char_p, c_char_p, _SZ, c_int, _P]),
    "bsnn_dataset_load_fashion_mnist": (_STATUS, [c_char_p, c_int, _SZ, c_int, _P]),
    "bsnn_dataset_load_csv": (_STATUS, [c_char_p, POINTER(CSVOptions), _P]),
    "bsnn_dataset_prefix": (_STATUS, [_P, _SZ, _P]),
    "bsnn_dataset_free": (None, [_P]),
    "bsnn_dataset_info_get": (_STATUS, [_P, POINTER(DatasetInfo)]),
    "bsnn_dataset_features": (_STATUS, [_P, _P, _SZ]),
    "bsnn_dataset_labels": (_STATUS, [_P, _P, _SZ]),
    "bsnn_dataset_scaling": (_STATUS, [_P, POINTER(c_int32), _P, _P, _SZ]),
    "bsnn_dataset_scale": (_STATUS, [_P, c_int32, _P, _P, _SZ, _P]),
    "bsnn_scale_features": (_STATUS, [_P, _P, _SZ, _P, _SZ]),
    # models
    "bsnn_model_config_init_defaults": (_STATUS, [POINTER(ModelConfig), _SZ]),
    "bsnn_model_create": (_STATUS, [POINTER(ModelConfig), _P]),
    "bsnn_model_free": (None, [_P]),
    "bsnn_model_info_get": (_STATUS, [_P, POINTER(ModelInfo)]),
    "bsnn_model_parameter_count": (_STATUS, [_P, _PSZ]),
    "bsnn_model_normalization": (_STATUS, [_P, POINTER(c_int32), _PD, _PD]),
    "bsnn_model_layer_shape": (_STATUS, [_P, _SZ, _PSZ, _PSZ]),
    "bsnn_model_get_weights": (_STATUS, [_P, _SZ, _P, _SZ]),
    "bsnn_model_set_weights": (_STATUS, [_P, _SZ, _P, _SZ]),
    "bsnn_model_get_bias": (_STATUS, [_P, _SZ, _P, _SZ]),
    "bsnn_model_get_effective_weights": (_STATUS, [_P, _SZ, _P, _SZ]),
    "bsnn_model_activation": (_STATUS, [_P, POINTER(c_void_p)]),
    "bsnn_model_set_bias": (_STATUS, [_P, _SZ, _P, _SZ]),
    "bsnn_model_predict": (_STATUS, [_P, _P, _SZ, _SZ, _P, _SZ]),
    "bsnn_model_evaluate": (_STATUS, [_P, _P, c_int, POINTER(Evaluation)]),
    "bsnn_model_scaling": (_STATUS, [_P, POINTER(c_int32), _P, _P, _SZ]),
    "bsnn_model_get_regularization": (_STATUS, [_P, POINTER(c_int32), POINTER(c_double), POINTER(c_double)]),
    "bsnn_model_get_residual_scale": (_STATUS, [_P, _SZ, _P]),
    "bsnn_model_save": (_STATUS, [_P, c_char_p]),
    "bsnn_model_load": (_STATUS, [c_char_p, c_int32, _P]),
    # training
    "bsnn_training_config_init_defaults": (_STATUS, [POINTER(TrainingConfig), _SZ]),
    "bsnn_recipe_apply": (_STATUS, [c_char_p, _SZ, POINTER(ModelConfig), POINTER(TrainingConfig)]),
    "bsnn_trainer_create": (_STATUS, [_P, POINTER(TrainingConfig), _P]),
    "bsnn_trainer_free": (None, [_P]),
    "bsnn_trainer_set_config": (_STATUS, [_P, POINTER(TrainingConfig)]),
    "bsnn_trainer_model": (_STATUS, [_P, _P]),
    "bsnn_trainer_state_get": (_STATUS, [_P, POINTER(TrainerState)]),
    "bsnn_trainer_step": (_STATUS, [_P, _P, _SZ, _P, _SZ, POINTER(StepResult)]),
    "bsnn_trainer_set_gradient_exchange": (_STATUS, [_P, POINTER(GradientExchange)]),
    "bsnn_trainer_last_gradient_norm": (_STATUS, [_P, _PD, POINTER(c_int32)]),
    "bsnn_trainer_early_stopping_result": (_STATUS, [_P, _PSZ, _PD, POINTER(c_int32)]),
    "bsnn_trainer_monitor_count": (_STATUS, [_P, _PSZ, _PSZ]),
    "bsnn_trainer_monitor_values": (_STATUS, [_P, _SZ, c_int32, _PD, _SZ, _PSZ]),
    "bsnn_trainer_monitor_collapse": (_STATUS, [_P, _SZ, POINTER(c_int32), _PD]),
    "bsnn_trainer_monitor_clear": (_STATUS, [_P]),
    "bsnn_trainer_fit": (_STATUS, [_P, _P, _P, _SZ, PROGRESS_FN, _P]),
    "bsnn_trainer_fit_arrays": (_STATUS, [_P, _P, _SZ, _P, _SZ, _P, _SZ, _P, _SZ, _SZ, PROGRESS_FN, _P]),
    "bsnn_model_release_workspace": (_STATUS, [_P]),
    "bsnn_checkpoint_save": (_STATUS, [_P, c_char_p]),
    "bsnn_checkpoint_load": (_STATUS, [c_char_p, c_int32, _P]),
    # in-memory files (copies, pickling)
    "bsnn_model_save_buffer": (_STATUS, [_P, POINTER(c_void_p), _PSZ]),
    "bsnn_model_load_buffer": (_STATUS, [_P, _SZ, c_int32, _P]),
    "bsnn_checkpoint_save_buffer": (_STATUS, [_P, POINTER(c_void_p), _PSZ]),
    "bsnn_checkpoint_load_buffer": (_STATUS, [_P, _SZ, c_int32, _P]),
    "bsnn_buffer_free": (None, [_P]),
    # probe
    "bsnn_probe_config_init_defaults": (_STATUS, [POINTER(ProbeConfig), _SZ]),
    "bsnn_probe_run": (_STATUS, [_P, _P, _SZ, _SZ, POINTER(ProbeConfig), _P]),
    "bsnn_probe_free": (None, [_P]),
    "bsnn_probe_get": (_STATUS, [_P, c_int, _P, _SZ, _PSZ]),
    "bsnn_probe_histogram_range": (_STATUS, [_P, _PD, _PD]),
    # BLAS
    "bsnn_blas_set_threads": (_STATUS, [_SZ]),
    "bsnn_blas_threads": (c_size_t, []),
}


def _declare() -> None:
    missing = [name for name in _SIGNATURES if not hasattr(lib, name)]
    if missing:
        raise ImportError(f"{library_path} lacks {', '.join(missing)}: not a bsnn "
                          f"{HEADER_VERSION} library")
    for name, (restype, argtypes) in _SIGNATURES.items():
        fn = getattr(lib, name)
        fn.argtypes = argtypes
        if restype is _STATUS:
            fn.restype = c_int
            fn.errcheck = _errcheck
        else:
            fn.restype = restype


_declare()

# Versions: refuse a library whose ABI differs from the layouts above; a newer minor
# version only appends, so it is accepted.
library_version: str = lib.bsnn_version().decode()
if lib.bsnn_abi_version() != HEADER_ABI_VERSION:
    raise ImportError(f"{library_path} has ABI {lib.bsnn_abi_version()}, these bindings "
                      f"need ABI {HEADER_ABI_VERSION} (bsnn {HEADER_VERSION})")
if lib.bsnn_version_number() < HEADER_VERSION_NUMBER:
    raise ImportError(f"{library_path} is bsnn {library_version}, older than the "
                      f"bindings' {HEADER_VERSION}")


_INIT = {CSVOptions: lib.bsnn_csv_options_init_defaults,
         ModelConfig: lib.bsnn_model_config_init_defaults,
         TrainingConfig: lib.bsnn_training_config_init_defaults,
         ProbeConfig: lib.bsnn_probe_config_init_defaults}


# ---------------------------------------------------------------- helpers
def out_handle() -> c_void_p:
    """An out-parameter for a handle: pass ``ctypes.byref(h)``."""
    return c_void_p()


def save_buffer(fn: Callable[..., int], handle: int) -> bytes:
    """Calls a *_save_buffer function and returns its bytes, freeing the C buffer."""
    data, size = c_void_p(), c_size_t()
    fn(handle, ctypes.byref(data), ctypes.byref(size))
    try:
        return ctypes.string_at(data.value or 0, size.value) if size.value else b""
    finally:
        lib.bsnn_buffer_free(data)


def read_string(fn: Callable[..., int], *args: Any) -> str:
    """Calls a (buffer, capacity, out_length) getter twice: length query, then copy."""
    length = c_size_t()
    fn(*args, None, 0, ctypes.byref(length))
    buffer = ctypes.create_string_buffer(length.value + 1)
    fn(*args, buffer, length.value + 1, ctypes.byref(length))
    return buffer.value.decode("utf-8", "replace")


def read_string_with(fn: Callable[..., int], *args: Any, tail: tuple = ()) -> str:
    """Like read_string for getters with extra out-arguments after out_length."""
    length = c_size_t()
    fn(*args, None, 0, ctypes.byref(length), *tail)
    buffer = ctypes.create_string_buffer(length.value + 1)
    fn(*args, buffer, length.value + 1, ctypes.byref(length), *tail)
    return buffer.value.decode("utf-8", "replace")


def name_array(params: dict[str, float]) -> tuple[Any, Any, int, list]:
    """(param_names, param_values, count, keepalive) for the create_* calls."""
    if not params:
        return None, None, 0, []
    encoded = [str(k).encode() for k in params]
    names = (c_char_p * len(encoded))(*encoded)
    try:
        values = (c_double * len(params))(*[float(v) for v in params.values()])
    except (TypeError, ValueError) as error:
        from .errors import InvalidArgument
        raise InvalidArgument(f"activation parameters must be numbers: {error}") from None
    return ctypes.cast(names, c_void_p), ctypes.cast(values, c_void_p), len(encoded), [names, values]


# ---------------------------------------------------------------- owned handles
_FREE = {
    "activation": lib.bsnn_activation_free,
    "plugin": lib.bsnn_plugin_free,
    "dataset": lib.bsnn_dataset_free,
    "model": lib.bsnn_model_free,
    "trainer": lib.bsnn_trainer_free,
    "probe": lib.bsnn_probe_free,
}
_live: dict[str, int] = {kind: 0 for kind in _FREE}
_live_lock = threading.Lock()


def _release(kind: str, address: int) -> None:
    _FREE[kind](address)
    with _live_lock:
        _live[kind] -= 1


class Handle:
    """Owns one C handle. Freed exactly once: by ``close()`` or, failing that, when the
    owner is garbage-collected (``weakref.finalize`` guarantees at most one call, also
    at interpreter exit)."""

    __slots__ = ("kind", "_address", "_finalizer", "__weakref__")

    def __init__(self, kind: str, pointer: c_void_p | int) -> None:
        address = pointer.value if isinstance(pointer, c_void_p) else pointer
        if not address:
            raise BSNNError(f"bsnn returned a NULL {kind} handle")
        self.kind = kind
        self._address: int | None = address
        with _live_lock:
            _live[kind] += 1
        self._finalizer = weakref.finalize(self, _release, kind, address)

    @property
    def address(self) -> int:
        if self._address is None:
            from .errors import InvalidArgument
            raise InvalidArgument(f"this {self.kind} was closed")
        return self._address

    @property
    def closed(self) -> bool:
        return self._address is None

    def close(self) -> None:
        self._address = None
        self._finalizer()


def live_handles(kind: str | None = None) -> int:
    """Number of C handles the bindings currently own (all kinds, or one kind): a debug
    counter for leak tests."""
    with _live_lock:
        return _live[kind] if kind else sum(_live.values())
