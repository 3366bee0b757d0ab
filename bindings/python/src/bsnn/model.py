"""Networks (MLP), trainers, checkpoints and data sets made from numpy arrays."""
from __future__ import annotations

import contextlib
import ctypes
import json
import math
import os
import signal
import math
import threading
import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Literal, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _arrays, _ffi, monitor as _monitor
from ._ffi import lib
from ._progress import ProgressInfo, Reporter
from .activation import Activation, root_code
from .callbacks import Callback, CallbackList
from .errors import Cancelled, InvalidArgument, PluginError, WrongState
from .scaling import FeatureScaling, read as _read_scaling
from . import recipes
from .types import (ActivationName, ConstraintName, InitName, LossName, NormName, OptimizerName,
                    ProgressKind, RecipeName, RootName)


def _path(path: str | os.PathLike) -> bytes:
    return os.fsencode(os.fspath(path))


def _enum(table: dict[str, int], value: str, what: str) -> int:
    try:
        return table[value]
    except (KeyError, TypeError):
        raise InvalidArgument(f"{what} must be one of {sorted(table)}, got {value!r}") from None


class Dataset:
    """A data set owned by the library: copied from arrays (`from_arrays` for class
    labels, `from_targets` for regression) or loaded (``bsnn.datasets``). ``fit`` makes
    these itself; use them directly to hand the same data to several calls.
    """

    def __init__(self, handle: _ffi.Handle) -> None:
        self._handle = handle

    @classmethod
    def from_arrays(cls, X: ArrayLike, y: ArrayLike, classes: int, inputs: int | None = None) -> "Dataset":
        """A classification data set (copied).

        Parameters
        ----------
        X : array_like, shape (count, inputs)
            Features (must be finite).
        y : array_like, shape (count,)
            Class labels in 0..classes-1.
        classes : int
            Number of classes.
        inputs : int, optional
            Features per sample (default: X's last dimension).

        Returns
        -------
        Dataset

        Raises
        ------
        ShapeError
            X or y of the wrong shape.
        InvalidArgument
            Labels outside 0..classes-1; NumericError: NaN or infinity in X.
        """
        x = _arrays.features(X, inputs if inputs is not None else np.asarray(X).shape[-1])
        labels = _arrays.labels(y, x.shape[0], classes)
        out = _ffi.out_handle()
        lib.bsnn_dataset_create(x.ctypes.data, labels.ctypes.data, x.shape[0], x.shape[1],
                                classes, ctypes.byref(out))
        return cls(_ffi.Handle("dataset", out))

    @classmethod
    def from_targets(cls, X: ArrayLike, targets: ArrayLike, inputs: int | None = None) -> "Dataset":
        """A regression data set (copied).

        Parameters
        ----------
        X : array_like, shape (count, inputs)
        targets : array_like, shape (count, k)
            Float targets.
        inputs : int, optional
            Features per sample (default: X's last dimension).

        Returns
        -------
        Dataset

        Raises
        ------
        ShapeError
            Targets not of shape (count, k).
        NumericError
            NaN or infinity in the targets.
        """
        x = _arrays.features(X, inputs if inputs is not None else np.asarray(X).shape[-1])
        t = _arrays.features(targets, np.asarray(targets).shape[-1], what="targets")
        if t.shape[0] != x.shape[0]:
            raise _shape_error(f"targets must have {x.shape[0]} rows like X, got {t.shape[0]}")
        out = _ffi.out_handle()
        lib.bsnn_dataset_create_regression(x.ctypes.data, t.ctypes.data, x.shape[0], x.shape[1],
                                           t.shape[1], ctypes.byref(out))
        return cls(_ffi.Handle("dataset", out))

    @property
    def _ptr(self) -> int:
        return self._handle.address

    def info(self) -> _ffi.DatasetInfo:
        """Sizes: count, feature_count, class_count (0 for regression), target_count."""
        info = _ffi.DatasetInfo()
        lib.bsnn_dataset_info_get(self._ptr, ctypes.byref(info))
        return info

    def arrays(self) -> tuple[NDArray[np.float32], NDArray[np.int32]]:
        """Copies of the data.

        Returns
        -------
        (ndarray of float32, shape (count, features), ndarray of int32, shape (count,))
            Features and class labels.
        """
        info = self.info()
        x = np.empty((info.count, info.feature_count), np.float32)
        y = np.empty(info.count, np.int32)
        lib.bsnn_dataset_features(self._ptr, x.ctypes.data, x.size)
        lib.bsnn_dataset_labels(self._ptr, y.ctypes.data, y.size)
        return x, y

    def close(self) -> None:
        """Frees the library's copy (idempotent)."""
        self._handle.close()

    def __repr__(self) -> str:
        if self._handle.closed:
            return "<bsnn.Dataset (closed)>"
        i = self.info()
        kind = f"{i.class_count} classes" if i.class_count else f"{i.target_count} targets"
        return f"<bsnn.Dataset {i.count} samples × {i.feature_count} features, {kind}>"

    def __enter__(self) -> "Dataset":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


@dataclass
class ProbeResult:
    """Per-layer signal norms of one forward + backward pass (see bsnn_probe_array).

    Attributes
    ----------
    forward_norms : ndarray
        depth + 2 values ‖x⁽ˡ⁾‖/√d.
    backward_norms : ndarray
        depth + 1 values ‖∂E/∂h⁽ˡ⁾‖.
    weight_gradient_norms, batch_weight_gradient_norms : ndarray
        depth + 1 values: per-sample mean and minibatch gradient norms.
    derivative_histogram : ndarray
        Counts of a·φ'(h) over `histogram_range`.
    histogram_range : (float, float)
        The histogram's [lower, upper).
    input_gradient_norms : ndarray
        depth + 1 values ‖∂E/∂x⁽ˡ⁾‖/√width for l = 1 … depth + 1: the backward signal
        along a residual net's stream (its ∂E/∂h⁽ˡ⁾ carries the factor α).
    """
    forward_norms: np.ndarray            # depth + 2 values ‖x⁽ˡ⁾‖/√d
    backward_norms: np.ndarray           # depth + 1 values ‖∂E/∂h⁽ˡ⁾‖
    weight_gradient_norms: np.ndarray    # depth + 1, per-sample mean
    batch_weight_gradient_norms: np.ndarray  # depth + 1, minibatch gradient
    derivative_histogram: np.ndarray     # counts of a·φ'(h)
    histogram_range: tuple[float, float]
    input_gradient_norms: np.ndarray     # depth + 1 values ‖∂E/∂x⁽ˡ⁾‖/√width


class History(dict):
    """Per-epoch metrics of one fit, a dict of lists (as before) with Keras' attributes.

    Keys: loss, accuracy, samples_per_second and, with validation data, val_loss,
    val_accuracy; one value per epoch the fit ran.

    Attributes
    ----------
    history : dict
        The metrics (this very dict, as Keras' ``History.history``).
    epoch : list of int
        The epochs the values belong to, counting from 0 over the trainer's life.
    params : dict
        ``epochs`` (the total asked for), ``initial_epoch``, ``samples``,
        ``validation_samples``, ``steps`` (per epoch), ``metrics``.
    stopped_early : bool
        True when a callback (or ``callback=`` returning True) or the library's early
        stopping (``early_stopping=``) stopped the fit.
    best_epoch : int or None
        With ``early_stopping=``: the epoch whose parameters the model holds after fit
        (counting from 0 over the trainer's life); None otherwise.
    monitor : dict or None
        With ``monitor_every=N``: the records this fit added (``bsnn.monitor.records``:
        ``step`` and one (records, depth + 1) array per quantity, ``collapse``); None
        otherwise.
    """

    stopped_early: bool = False
    best_epoch: int | None = None
    monitor: dict[str, Any] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.epoch: list[int] = []
        self.params: dict[str, Any] = {}

    @property
    def history(self) -> "History":
        """This dict of metric lists (Keras' ``History.history``)."""
        return self

    def __repr__(self) -> str:
        last = ", ".join(f"{k} {v[-1]:.4g}" for k, v in self.items()
                         if v and k != "samples_per_second")
        stopped = ", stopped early" if self.stopped_early else ""
        return f"<bsnn.History {len(self.epoch)} epoch(s){': ' + last if last else ''}{stopped}>"


def _training_config(batch_size: int | None, optimizer: str | None, lr: float | None,
                     momentum: float | None, seed: int | None, loss: str | None = None,
                     weight_decay: float | None = None, update_mode: str | None = None,
                     shuffle: bool | None = None, recipe: str | None = None, depth: int = 0,
                     **extra: Any) -> _ffi.TrainingConfig:
    """The library's defaults (batch 64, momentum SGD with lr 0.01 and momentum 0.9,
    cross-entropy, seed 0, shuffled, checked updates) for every option left as None, or
    `recipe`'s values for a net of `depth` (explicit options override them)."""
    c = _ffi.init_struct(_ffi.TrainingConfig)
    if recipe is not None:
        recipes.apply(recipe, depth, training=c)
    if batch_size is not None:
        c.batch_size = _ffi.checked_int(batch_size, ctypes.c_size_t, "batch_size")
        if c.batch_size == 0:
            raise InvalidArgument(f"batch_size must be positive, got {batch_size}")
    if optimizer is not None:
        c.optimizer = _enum(_ffi.OPTIMIZER, optimizer, "optimizer")
    if loss is not None:
        c.loss = _enum(_ffi.LOSS, loss, "loss")
    if lr is not None:
        c.learning_rate = float(lr)
    if momentum is not None:
        c.momentum = float(momentum)
    if weight_decay is not None:
        c.weight_decay = float(weight_decay)
    if seed is not None:
        c.seed = _ffi.checked_int(seed, ctypes.c_uint64, "seed")
    if shuffle is not None:
        c.shuffle = 1 if shuffle else 0
    if update_mode is not None:
        c.update_mode = _enum(_ffi.UPDATE_MODE, update_mode, "update_mode")
    for key in ("beta1", "beta2", "epsilon", "schedule_factor"):
        if key in extra:
            setattr(c, key, float(extra.pop(key)))
    if "schedule" in extra:
        c.schedule = _enum(_ffi.SCHEDULE, extra.pop("schedule"), "schedule")
    if "schedule_steps" in extra:
        c.schedule_steps = _ffi.checked_int(extra.pop("schedule_steps"), ctypes.c_size_t, "schedule_steps")
    if "monitor_every" in extra:
        c.monitor_every = _ffi.checked_int(extra.pop("monitor_every"), ctypes.c_size_t, "monitor_every")
    clip = extra.pop("clip_grad_norm", None)
    if clip is not None:
        c.clip_grad_norm = float(clip)  # the library rejects negative and non-finite values
    _early_stopping_fields(c, extra.pop("early_stopping", None))
    if extra:
        raise InvalidArgument(f"unknown training options: {', '.join(sorted(extra))}")
    return c


def _early_stopping_fields(c: _ffi.TrainingConfig, rule: Any) -> None:
    """`early_stopping` as the C fields: None (off), a patience, or a mapping (or a
    dataclass instance) with ``patience`` and optionally ``monitor`` ("loss" or
    "accuracy", default "loss") and ``min_delta`` (default 0)."""
    if rule is None:
        return
    if dataclasses.is_dataclass(rule) and not isinstance(rule, type):
        rule = dataclasses.asdict(rule)
    if isinstance(rule, bool) or not isinstance(rule, (int, Mapping)):
        raise InvalidArgument(
            f"early_stopping must be None, a patience (int) or a dict with patience, monitor, min_delta; got {rule!r}")
    rule = {"patience": rule} if isinstance(rule, int) else dict(rule)
    unknown = sorted(set(rule) - {"patience", "monitor", "min_delta"})
    if unknown or "patience" not in rule:
        raise InvalidArgument(
            f"early_stopping: expected the keys patience (required), monitor, min_delta; got {sorted(rule)}")
    patience = _ffi.checked_int(rule["patience"], ctypes.c_size_t, "early_stopping patience")
    if patience == 0:
        raise InvalidArgument("early stopping patience: expected >= 1 epochs, got 0 (use early_stopping=None for off)")
    c.early_stopping_patience = patience
    if "monitor" in rule:
        c.early_stopping_monitor = _enum(
            {k.removeprefix("validation_"): v for k, v in _ffi.MONITOR.items()}, rule["monitor"], "early_stopping monitor")
    if "min_delta" in rule:
        c.early_stopping_min_delta = float(rule["min_delta"])


class MLP:
    """A bidirectionally self-normalizing multilayer perceptron.

    ``MLP(784, 128, 8, 10, "tanh")`` builds inputs → width (depth square hidden layers)
    → outputs with the GPN-normalized activation, row-normalized weights and orthogonal
    initialization. Copies (``pickle``, ``copy.copy``, ``copy.deepcopy``) copy the
    network; they share nothing with the original.

    Parameters
    ----------
    inputs, width, depth, outputs : int
        Features in; units of every hidden layer; hidden width × width layers between
        the input layer (inputs → width) and the output layer (width → outputs); outputs.
    activation : str or Activation
        A builtin name (see ``bsnn.types.ActivationName``) or an `Activation` (plugin,
        foreign symbol, Python function, or one already GPN-normalized).
    gpn : bool or {"b+", "b-"}
        Gaussian-Poincaré normalization a·φ+b: True (default) takes the library's
        default root (b− for "gelu", b+ otherwise, the paper's Table 1); False trains
        the plain function.
    constraint : {"none", "row_norm", "orthogonal"}, optional
        None: the library's default (row_norm).
    init : {"orthogonal", "xavier", "he"}, optional
        None: the library's default (orthogonal).
    bias : bool, optional
        None: the library's default (True).
    seed : int, optional
        Initialization seed; None: the library's default (0).
    feature_scaling : FeatureScaling, optional
        The training data's scaling (from the loaders' ``return_scaling=True``),
        recorded in the saved file and read back as `feature_scaling`, so raw features
        can be mapped the same way: ``model.predict(model.feature_scaling.apply(X))``.
    norm : {"batch", "layer", "none"}, optional
        Normalization of every activated layer's pre-activation before φ (not the output
        layer), with learnable γ, β. "batch": per unit over the batch in training
        (``fit``, ``Trainer.step``, ``probe``; a training batch needs at least 2 samples,
        and ``fit`` skips an epoch's last batch of one), with the running statistics in
        ``predict`` and ``evaluate``. "layer": per sample over the units, the same in
        training and evaluation. None: the library's default ("none").
    norm_momentum : float, optional
        Batch normalization's running-statistics momentum m in [0, 1],
        r ← (1−m)·r + m·batch; None: the library's default (0.1).
    norm_epsilon : float, optional
        ε > 0 of 1/√(σ²+ε); None: the library's default (1e-5).
    residual : bool, optional
        Residual links on the square hidden layers (not the input or output layer):
        x + α·φ(W x + b). None: the library's default (False).
    residual_scale : float or "learnable", optional
        α of the residual links. None: the library's default (1.0). 1/sqrt(depth) keeps
        the backward signal bounded at any depth (1.0 lets it grow with depth).
        "learnable": one α per hidden layer, initialized to 0 (ReZero) and trained like
        a bias (a NaN float means the same, as in C).
    dropout : float, optional
        Inverted-dropout probability in [0, 1) on the hidden activations during
        training only (never in `predict`/`evaluate`), seeded from the training seed.
        None: the library's default (0.0).
    recipe : {"paper", "deep"}, optional
        A training preset's architecture part for this depth ("deep": residual links
        with α = 1/sqrt(depth); "paper": none); `residual` and `residual_scale` given
        explicitly override it. Pass the same recipe to `fit` for its optimizer.

    Raises
    ------
    InvalidArgument
        A size of 0, an unknown name, an activation that is not an `Activation`, a
        momentum outside [0, 1], an epsilon ≤ 0, dropout outside [0, 1), an infinite
        residual_scale.
    ShapeError
        `feature_scaling` for another number of inputs.

    Attributes
    ----------
    inputs, width, depth, outputs, layer_count : int
        The architecture (layer_count = depth + 2).
    residual : bool
    residual_scale : float or "learnable"
    dropout : float
        As created (or read from the model's file).
    """

    def __init__(self, inputs: int, width: int, depth: int, outputs: int,
                 activation: ActivationName | Activation = "tanh", gpn: bool | RootName = True,
                 constraint: ConstraintName | None = None, init: InitName | None = None,
                 bias: bool | None = None, seed: int | None = None,
                 feature_scaling: FeatureScaling | None = None, norm: NormName | None = None,
                 norm_momentum: float | None = None, norm_epsilon: float | None = None,
                 residual: bool | None = None,
                 residual_scale: float | Literal["learnable"] | None = None,
                 dropout: float | None = None, recipe: RecipeName | None = None) -> None:
        act = Activation(activation) if isinstance(activation, str) else activation
        if not isinstance(act, Activation):
            raise InvalidArgument(f"activation must be a name or bsnn.Activation, got {type(activation).__name__}")
        existing = act.root
        if existing is not None:
            root = root_code(existing)  # an already normalized handle is used as is
        elif gpn is True:
            root = _ffi.GPN_DEFAULT
        elif gpn is False or gpn is None:
            root = _ffi.GPN_NONE
        else:
            root = root_code(gpn)
        c = _ffi.init_struct(_ffi.ModelConfig)
        for value, what in ((inputs, "inputs"), (width, "width"), (depth, "depth"), (outputs, "outputs")):
            setattr(c, what, _ffi.checked_int(value, ctypes.c_size_t, what))
        if recipe is not None:
            recipes.apply(recipe, c.depth, model=c)
        c.activation = act._ptr
        c.gpn_root = root
        if constraint is not None:
            c.constraint = _enum(_ffi.CONSTRAINT, constraint, "constraint")
        if init is not None:
            c.init = _enum(_ffi.INIT, init, "init")
        if bias is not None:
            c.bias = 1 if bias else 0
        if seed is not None:
            c.seed = _ffi.checked_int(seed, ctypes.c_uint64, "seed")
        if norm is not None:
            c.norm = _enum(_ffi.NORM, norm, "norm")
        if norm_momentum is not None:
            c.norm_momentum = float(norm_momentum)
        if norm_epsilon is not None:
            c.norm_epsilon = float(norm_epsilon)
        if feature_scaling is not None:
            if not isinstance(feature_scaling, FeatureScaling):
                raise InvalidArgument(f"feature_scaling must be a bsnn.FeatureScaling, got {type(feature_scaling).__name__}")
            if feature_scaling.offsets.size != c.inputs:
                raise _shape_error(f"feature_scaling has {feature_scaling.offsets.size} features, the model {c.inputs} inputs")
            c.scaling = feature_scaling.code
            c.scaling_offsets = feature_scaling.offsets.ctypes.data
            c.scaling_scales = feature_scaling.scales.ctypes.data
        if residual is not None:
            c.residual = 1 if residual else 0
        if isinstance(residual_scale, str) and residual_scale != "learnable":
            raise InvalidArgument(f'residual_scale must be a number or "learnable", got {residual_scale!r}')
        if residual_scale is not None:
            c.residual_scale = math.nan if residual_scale == "learnable" else float(residual_scale)
        if dropout is not None:
            c.dropout = float(dropout)
        names = (act.name, _CONSTRAINT_NAMES.get(c.constraint, str(c.constraint)))
        out = _ffi.out_handle()
        try:
            lib.bsnn_model_create(ctypes.byref(c), ctypes.byref(out))
        finally:
            if isinstance(activation, str):
                act.close()  # the model keeps its own copy; nothing calls back into Python
        self._setup(_ffi.Handle("model", out), None if isinstance(activation, str) else act, names)

    def _setup(self, handle: _ffi.Handle, activation: Activation | None,
               names: tuple[str, str] | None = None) -> None:
        self._handle = handle
        # (activation name, constraint) for repr; None when unknown.
        self._names = names
        self.stop_training = False
        # Python-callback activations must outlive the model that calls them.
        self._activation = activation
        self._trainer: Trainer | None = None
        info = self.info
        self.inputs, self.width, self.depth, self.outputs = (info.inputs, info.width,
                                                             info.depth, info.outputs)
        self.layer_count = info.layer_count
        residual, scale, dropout = ctypes.c_int32(), ctypes.c_double(), ctypes.c_double()
        lib.bsnn_model_get_regularization(self._ptr, ctypes.byref(residual), ctypes.byref(scale),
                                          ctypes.byref(dropout))
        self.residual = bool(residual.value)
        self.residual_scale: float | str = "learnable" if math.isnan(scale.value) else scale.value
        self.dropout = dropout.value

    @classmethod
    def _wrap(cls, out: ctypes.c_void_p, activation: Activation | None = None,
              names: tuple[str, str] | None = None) -> "MLP":
        self = cls.__new__(cls)
        self._setup(_ffi.Handle("model", out), activation, names)
        return self

    @property
    def _ptr(self) -> int:
        return self._handle.address

    @property
    def info(self) -> _ffi.ModelInfo:
        """The library's bsnn_model_info: sizes, parameter_count, bias, gpn_root."""
        info = _ffi.ModelInfo()
        lib.bsnn_model_info_get(self._ptr, ctypes.byref(info))
        return info

    @property
    def parameter_count(self) -> int:
        """Weights and biases in all layers, and γ, β of normalized layers."""
        return int(self.info.parameter_count)

    def residual_scales(self) -> NDArray[np.float32]:
        """α of hidden layers 1...depth as trained (learnable) or configured (fixed);
        empty without residual links."""
        if not self.residual or self.depth == 0:
            return np.zeros(0, dtype=np.float32)
        out, a = np.empty(self.depth, dtype=np.float32), ctypes.c_float()
        for layer in range(1, self.depth + 1):
            lib.bsnn_model_get_residual_scale(self._ptr, layer, ctypes.byref(a))
            out[layer - 1] = a.value
        return out

    @property
    def norm(self) -> NormName:
        """The normalization before φ: "none", "batch" or "layer"."""
        return self._normalization()[0]

    @property
    def norm_momentum(self) -> float:
        """Batch normalization's running-statistics momentum (recorded for every model)."""
        return self._normalization()[1]

    @property
    def norm_epsilon(self) -> float:
        """ε of the normalization (recorded for every model)."""
        return self._normalization()[2]

    def _normalization(self) -> tuple[NormName, float, float]:
        code, momentum, epsilon = ctypes.c_int32(), ctypes.c_double(), ctypes.c_double()
        lib.bsnn_model_normalization(self._ptr, ctypes.byref(code), ctypes.byref(momentum), ctypes.byref(epsilon))
        name = _NORM_NAMES[code.value]
        return name, momentum.value, epsilon.value

    @property
    def feature_scaling(self) -> FeatureScaling | None:
        """The feature scaling the model records (given at creation or read from its
        file); None when it was trained on features as given."""
        return _read_scaling(lib.bsnn_model_scaling, self._ptr, self.inputs)

    # ------------------------------------------------------------ inference
    def predict(self, X: ArrayLike, check_finite: bool = False) -> NDArray[np.float32]:
        """The network's outputs (logits).

        Parameters
        ----------
        X : array_like, shape (count, inputs) or (inputs,)
            Features; float32 C-contiguous arrays are passed without a copy.
        check_finite : bool
            Raise NumericError on NaN or infinity in X (else they give NaN outputs).

        Returns
        -------
        ndarray of float32, shape (count, outputs)

        Raises
        ------
        ShapeError
            X of the wrong shape.
        """
        x = _arrays.features(X, self.inputs, check_finite=check_finite)
        out = np.empty((x.shape[0], self.outputs), np.float32)
        lib.bsnn_model_predict(self._ptr, x.ctypes.data, x.size, x.shape[0],
                               out.ctypes.data, out.size)
        return out

    def evaluate(self, X: ArrayLike, y: ArrayLike, loss: LossName = "cross_entropy") -> tuple[float, float]:
        """Mean loss and accuracy over labelled data.

        Parameters
        ----------
        X : array_like, shape (count, inputs)
        y : array_like, shape (count,)
            Class labels in 0..outputs-1.
        loss : {"cross_entropy", "mse", "binary_logistic", "huber"}

        Returns
        -------
        (float, float)
            (mean loss, accuracy).
        """
        with Dataset.from_arrays(X, y, self.outputs, self.inputs) as data:
            ev = _ffi.Evaluation()
            lib.bsnn_model_evaluate(self._ptr, data._ptr, _enum(_ffi.LOSS, loss, "loss"),
                                    ctypes.byref(ev))
        return ev.loss, ev.accuracy

    def probe(self, X: ArrayLike, seed: int = 0, labels: ArrayLike | None = None,
              loss: LossName = "cross_entropy", histogram_bins: int = 60) -> ProbeResult:
        """Forward/backward signal norms per layer, without changing weights.

        Parameters
        ----------
        X : array_like, shape (count, inputs)
        seed : int
            Seed of the N(0, 1) upstream gradient (when `labels` is None).
        labels : array_like, optional
            Use the gradient of `loss` at these labels instead.
        loss : {"cross_entropy", "mse", "binary_logistic", "huber"}
        histogram_bins : int
            Bins of the a·φ'(h) histogram.

        Returns
        -------
        ProbeResult
        """
        x = _arrays.features(X, self.inputs)
        c = _ffi.init_struct(_ffi.ProbeConfig)
        c.seed = _ffi.checked_int(seed, ctypes.c_uint64, "seed")
        c.loss = _enum(_ffi.LOSS, loss, "loss")
        c.histogram_bins = _ffi.checked_int(histogram_bins, ctypes.c_size_t, "histogram_bins")
        y = None
        if labels is not None:
            y = _arrays.labels(labels, x.shape[0], self.outputs)
            c.upstream = _ffi.UPSTREAM["labels"]
            c.labels = y.ctypes.data
            c.label_count = y.size
        out = _ffi.out_handle()
        lib.bsnn_probe_run(self._ptr, x.ctypes.data, x.size, x.shape[0], ctypes.byref(c),
                           ctypes.byref(out))
        handle = _ffi.Handle("probe", out)
        try:
            def get(which: int) -> np.ndarray:
                n = ctypes.c_size_t()
                lib.bsnn_probe_get(handle.address, which, None, 0, ctypes.byref(n))
                a = np.empty(n.value, np.float64)
                lib.bsnn_probe_get(handle.address, which, a.ctypes.data, a.size, ctypes.byref(n))
                return a
            lo, hi = ctypes.c_double(), ctypes.c_double()
            lib.bsnn_probe_histogram_range(handle.address, ctypes.byref(lo), ctypes.byref(hi))
            return ProbeResult(get(_ffi.PROBE_FORWARD_NORMS), get(_ffi.PROBE_BACKWARD_NORMS),
                               get(_ffi.PROBE_WEIGHT_GRADIENT_NORMS),
                               get(_ffi.PROBE_BATCH_WEIGHT_GRADIENT_NORMS),
                               get(_ffi.PROBE_DERIVATIVE_HISTOGRAM), (lo.value, hi.value),
                               get(_ffi.PROBE_INPUT_GRADIENT_NORMS))
        finally:
            handle.close()

    # ------------------------------------------------------------ parameters
    def layer_shape(self, layer: int) -> tuple[int, int]:
        """(outputs, inputs) of layer `layer`.

        Parameters
        ----------
        layer : int
            0 = input layer … depth+1 = output layer.

        Raises
        ------
        InvalidArgument
            `layer` outside 0..depth+1.
        """
        o, i = ctypes.c_size_t(), ctypes.c_size_t()
        lib.bsnn_model_layer_shape(self._ptr, _ffi.checked_int(layer, ctypes.c_size_t, "layer"), ctypes.byref(o), ctypes.byref(i))
        return o.value, i.value

    def weights(self, layer: int) -> NDArray[np.float32]:
        """A copy of the layer's stored weights (V for row-normalized layers, whose
        applied weight is V with unit rows), shape (outputs, inputs): the tensor
        ``layers.{layer}.weight`` of a saved file.

        Parameters
        ----------
        layer : int
            0 = input layer … depth+1 = output layer.

        Returns
        -------
        ndarray of float32, shape (outputs, inputs)
        """
        shape = self.layer_shape(layer)
        w = np.empty(shape, np.float32)
        lib.bsnn_model_get_weights(self._ptr, _ffi.checked_int(layer, ctypes.c_size_t, "layer"), w.ctypes.data, w.size)
        return w

    def effective_weights(self, layer: int) -> np.ndarray:
        """The weight the layer applies: W = diag(1/‖vᵢ‖)·V for row-normalized layers
        (``weights`` returns V), the stored weight otherwise.

        ``h = x @ W.T + bias`` is the layer's pre-activation (see docs/FORMAT.md).

        Parameters
        ----------
        layer : int
            0 = input layer … depth+1 = output layer.

        Returns
        -------
        numpy.ndarray
            float32, shape (outputs, inputs).

        Raises
        ------
        InvalidArgument
            `layer` beyond the output layer.
        """
        w = np.empty(self.layer_shape(layer), np.float32)
        lib.bsnn_model_get_effective_weights(
            self._ptr, _ffi.checked_int(layer, ctypes.c_size_t, "layer"), w.ctypes.data, w.size)
        return w

    def to_torch(self) -> Any:
        """A ``torch.nn.Module`` computing the same logits as ``predict`` (needs torch;
        builtin activations only). See ``bsnn.export.to_torch``."""
        from .export import to_torch
        return to_torch(self)

    def set_weights(self, layer: int, values: ArrayLike) -> None:
        """Replaces the stored weights of `layer`.

        Parameters
        ----------
        layer : int
            0 = input layer … depth+1 = output layer.
        values : array_like, shape (outputs, inputs)

        Raises
        ------
        ShapeError
            `values` of another shape.
        WrongState
            While the network is being trained.
        """
        shape = self.layer_shape(layer)
        v = np.ascontiguousarray(values, dtype=np.float32)
        if v.shape != shape:
            raise _shape_error(f"layer {layer} weights must have shape {shape}, got {v.shape}")
        lib.bsnn_model_set_weights(self._ptr, _ffi.checked_int(layer, ctypes.c_size_t, "layer"), v.ctypes.data, v.size)

    def bias(self, layer: int) -> NDArray[np.float32]:
        """A copy of the bias of `layer`, shape (outputs,).

        Parameters
        ----------
        layer : int
            0 = input layer … depth+1 = output layer.

        Raises
        ------
        WrongState
            The model has no biases (``bias=False``).
        """
        b = np.empty(self.layer_shape(layer)[0], np.float32)
        lib.bsnn_model_get_bias(self._ptr, _ffi.checked_int(layer, ctypes.c_size_t, "layer"), b.ctypes.data, b.size)
        return b

    def set_bias(self, layer: int, values: ArrayLike) -> None:
        """Replaces the bias of `layer`.

        Parameters
        ----------
        layer : int
            0 = input layer … depth+1 = output layer.
        values : array_like, shape (outputs,)

        Raises
        ------
        ShapeError
            `values` of another shape.
        WrongState
            No biases, or while the network is being trained.
        """
        n = self.layer_shape(layer)[0]
        v = np.ascontiguousarray(values, dtype=np.float32)
        if v.shape != (n,):
            raise _shape_error(f"layer {layer} bias must have shape ({n},), got {v.shape}")
        lib.bsnn_model_set_bias(self._ptr, _ffi.checked_int(layer, ctypes.c_size_t, "layer"), v.ctypes.data, v.size)

    def release_workspace(self) -> None:
        """Frees the training buffers cached on the network (each layer's input and
        activation derivative for the batch size). ``fit`` frees them when it returns; a
        loop of ``Trainer.step`` keeps them until this call. Raises WrongState while the
        network is being trained."""
        lib.bsnn_model_release_workspace(self._ptr)

    # ------------------------------------------------------------ files
    def save(self, path: str | os.PathLike) -> None:
        """Writes the model file (safetensors with bsnn metadata and checksum) atomically.

        Parameters
        ----------
        path : str or PathLike

        Raises
        ------
        BSNNIOError
            The file cannot be written.
        WrongState
            The activation is a Python callback, which no file can hold.
        """
        lib.bsnn_model_save(self._ptr, _path(path))

    # ------------------------------------------------------------ training
    def fit(self, X: ArrayLike, y: ArrayLike, epochs: int = 1, batch_size: int | None = None,
            optimizer: OptimizerName | None = None, lr: float | None = None,
            momentum: float | None = None,
            validation: tuple[ArrayLike, ArrayLike] | None = None,
            callback: Callable[[ProgressInfo], Any] | None = None,
            progress: ProgressKind | None = "auto", seed: int | None = None, *,
            validation_data: tuple[ArrayLike, ArrayLike] | None = None,
            validation_split: float = 0.0, callbacks: Sequence[Callback] | None = None,
            loss: LossName | None = None, clip_grad_norm: float | None = None,
            early_stopping: int | Mapping[str, Any] | None = None,
            recipe: RecipeName | None = None, **options: Any) -> History:
        """Trains on (X, y) until `epochs` epochs are completed in total.

        `epochs` is the total, as in C and the CLI, not a number of further epochs: the
        trainer (and its optimizer state) is kept between calls, so ``fit(epochs=1)``
        then ``fit(epochs=3)`` trains three epochs in all, and asking for no more than
        are completed raises WrongState; changing `optimizer` starts a fresh trainer
        (its count starts at 0). Ctrl-C stops after the current step and raises
        KeyboardInterrupt; the model keeps the weights of that step.

        Parameters
        ----------
        X, y, epochs, validation, validation_data, validation_split, callback, callbacks, progress
            As in `Trainer.fit`.
        batch_size : int, optional
            Samples per step (library default 64).
        optimizer : {"sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad"}, optional
            Library default "momentum". "rmsprop" uses ``beta2`` as its decay (default
            0.999; PyTorch's is 0.99) and ``epsilon``; "adagrad" uses ``epsilon``
            (default 1e-8; PyTorch's is 1e-10).
        lr, momentum : float, optional
            Learning rate (default 0.01) and momentum (default 0.9).
        seed : int, optional
            Shuffling seed (default 0).
        loss : {"cross_entropy", "mse", "binary_logistic", "huber"}, optional
            Library default "cross_entropy"; "mse"/"huber" with float targets train
            regression.
        clip_grad_norm : float, optional
            Gradient-norm clipping: when the global L2 norm of all parameters' gradients
            exceeds it, every gradient is scaled by exactly clip_grad_norm / norm before
            the optimizer (PyTorch's clip_grad_norm_ adds 1e-6 to the norm). None or 0:
            off. The history then has ``gradient_norm`` (each epoch's mean norm before
            clipping) and ``clipped_steps``. With update_mode="fused" the steps run the
            checked path (the norm is needed before any layer is updated).
        early_stopping : int or dict, optional
            Early stopping inside the library: a patience (epochs without improvement of
            the validation loss), or ``{"patience": n, "monitor": "loss" | "accuracy",
            "min_delta": d}`` (or a dataclass instance with those fields). Needs validation data; at the end of fit the best epoch's
            parameters are restored, and the history reports ``stopped_early`` and
            ``best_epoch``. A resumed fit starts the patience afresh. Unlike the callback
            ``bsnn.callbacks.EarlyStopping`` this runs in the library (the same rule as
            C's and the CLI's) and snapshots the weights without leaving C.
        recipe : {"paper", "deep"}, optional
            A training preset (``bsnn.recipe(name, depth)`` shows its values): its
            optimizer, lr, momentum and clip_grad_norm for this model's depth, each
            overridden by the option when given. Pair "deep" with ``MLP(recipe="deep")``
            for its residual links.
        **options
            weight_decay, update_mode ("checked"/"fused"), shuffle, beta1, beta2,
            epsilon, schedule ("constant", "step", "cosine"), schedule_steps,
            schedule_factor, monitor_every (record per-layer signal statistics every N
            steps into ``History.monitor``; 0, the default: off; a collapse issues a
            ``bsnn.monitor.SignalCollapseWarning``).

        Returns
        -------
        History
            The metrics of the epochs this call ran.

        Raises
        ------
        InvalidArgument
            An unknown option or name, a value out of range.
        WrongState
            `epochs` not more than the epochs completed.

        Notes
        -----
        Every option left as None takes the library's default, the same as C's
        bsnn_training_config_init_defaults and the CLI's.
        """
        config = _training_config(batch_size, optimizer, lr, momentum, seed, loss=loss,
                                  clip_grad_norm=clip_grad_norm, early_stopping=early_stopping,
                                  recipe=recipe, depth=self.info.depth, **options)
        if self._trainer is None or self._trainer._optimizer != config.optimizer:
            if self._trainer is not None:
                self._trainer.close()
            self._trainer = Trainer._from_config(self, config)
        else:
            self._trainer._set_config(config)
        return self._trainer.fit(X, y, epochs, validation=validation, callback=callback,
                                 progress=progress, validation_data=validation_data,
                                 validation_split=validation_split, callbacks=callbacks)

    # ------------------------------------------------------------ copies
    def to_bytes(self) -> bytes:
        """The model file's bytes (exactly what `save` writes), made in memory.

        Returns
        -------
        bytes
            A complete, checksummed bsnn model file.

        Raises
        ------
        WrongState
            The activation is a Python callback (``Activation.from_python``), which no
            file can hold.
        """
        return _ffi.save_buffer(lib.bsnn_model_save_buffer, self._ptr)

    @classmethod
    def from_bytes(cls, data: bytes, allow_plugins: bool = False, unverified: bool = False) -> "MLP":
        """A new model from a model file's bytes (see `to_bytes`), validated exactly as
        `bsnn.load` validates a file.

        Parameters
        ----------
        data : bytes
            The bytes of a bsnn model file.
        allow_plugins, unverified : bool
            As in `bsnn.load`.

        Returns
        -------
        MLP

        Raises
        ------
        FormatError
            The bytes are not an intact bsnn model file.
        PluginError
            The activation is a plugin/foreign one and `allow_plugins` is False.
        """
        data = bytes(data)
        out = _ffi.out_handle()
        lib.bsnn_model_load_buffer(data, len(data), _load_flags(allow_plugins, unverified), ctypes.byref(out))
        return cls._wrap(out, names=_names_from_file_bytes(data))

    def __reduce__(self) -> tuple:
        # A pickle carries the network, and with it the trainer `fit` keeps (optimizer
        # state and position), so the copy continues training exactly as the original.
        if self._trainer is not None and not self._trainer._handle.closed:
            return (_unpickle_model, (self._trainer.to_bytes(), True, self._trainer._optimizer))
        return (_unpickle_model, (self.to_bytes(), False, None))

    def __copy__(self) -> "MLP":
        # A copy shares nothing with the original: aliasing the C handle would make
        # training the "copy" train the original.
        return _copy_of(self)

    def __deepcopy__(self, memo: dict) -> "MLP":
        return _copy_of(self)

    # ------------------------------------------------------------ lifetime
    def close(self) -> None:
        """Frees this handle (idempotent); a trainer using the network keeps it alive."""
        if self._trainer is not None:
            self._trainer.close()
            self._trainer = None
        self._handle.close()

    def __enter__(self) -> "MLP":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._handle.closed:
            return "<bsnn.MLP (closed)>"
        info = self.info
        described = ""
        if self._names is not None:
            activation, constraint = self._names
            root = _ROOT_NAMES.get(info.gpn_root)
            described = f" {activation}-GPN({root})" if root else f" {activation}"
            described += f" {constraint}"
        if self.norm != "none":
            described += f" {self.norm}-norm"
        return (f"<bsnn.MLP {self.inputs}→{self.width}×{self.depth}→{self.outputs}{described}, "
                f"{'bias' if info.bias else 'no bias'}, {info.parameter_count} parameters>")


_unpickle_policy = threading.local()


@contextlib.contextmanager
def allow_plugins_on_unpickle() -> Iterator[None]:
    """Lets ``pickle.load`` (in this thread, inside the ``with``) re-load the plugin or
    foreign activations that pickled models name.

    A pickled model with a plugin activation records the plugin's path, not its code;
    unpickling it loads that library, which runs its code. Like ``bsnn.load(...,
    allow_plugins=True)``, that needs an explicit opt-in; without it unpickling such a
    model raises `PluginError`. ``copy.copy``/``copy.deepcopy`` in the process that
    already runs the plugin need no opt-in.

    Examples
    --------
    >>> with bsnn.allow_plugins_on_unpickle():          # doctest: +SKIP
    ...     model = pickle.loads(blob)
    """
    previous = getattr(_unpickle_policy, "allow", False)
    _unpickle_policy.allow = True
    try:
        yield
    finally:
        _unpickle_policy.allow = previous


def _restore(data: bytes, checkpoint: bool, allow_plugins: bool) -> Any:
    try:
        if checkpoint:
            return Trainer.from_bytes(data, allow_plugins=allow_plugins)
        return MLP.from_bytes(data, allow_plugins=allow_plugins)
    except PluginError as error:
        if allow_plugins:
            raise
        raise PluginError(f"{error} — the pickled model's activation is a plugin or foreign "
                          "function; unpickle it inside `with bsnn.allow_plugins_on_unpickle():` "
                          "if you trust the library it names", error.status) from None


def _unpickle_model(data: bytes, checkpoint: bool, optimizer: int | None) -> "MLP":
    allow = getattr(_unpickle_policy, "allow", False)
    if not checkpoint:
        return _restore(data, False, allow)
    trainer = _restore(data, True, allow)
    model = trainer.model
    trainer._optimizer = optimizer if optimizer is not None else -1
    model._trainer = trainer
    return model


def _unpickle_trainer(data: bytes, optimizer: int) -> "Trainer":
    trainer = _restore(data, True, getattr(_unpickle_policy, "allow", False))
    trainer._optimizer = optimizer
    return trainer


def _copy_of(obj: Any) -> Any:
    """A pickle round trip in memory; the plugin (if any) is loaded in this process
    already, by the caller's own choice."""
    previous = getattr(_unpickle_policy, "allow", False)
    _unpickle_policy.allow = True
    try:
        function, arguments = obj.__reduce__()
        return function(*arguments)
    finally:
        _unpickle_policy.allow = previous


def _split_validation(X: Any, y: Any, validation: Any, split: float) -> tuple[Any, Any, Any]:
    """(X, y, validation) with the last `split` fraction of (X, y) held out, as Keras'
    validation_split (before shuffling, so the same samples every call)."""
    if not split:
        return X, y, validation
    if validation is not None:
        raise InvalidArgument("give validation data or validation_split, not both")
    if not 0.0 < float(split) < 1.0:
        raise InvalidArgument(f"validation_split must lie in (0, 1), got {split}")
    X, y = np.asarray(X), np.asarray(y)
    n = X.shape[0] if X.ndim else 0
    held = int(n * float(split))
    if held < 1 or held >= n:
        raise InvalidArgument(f"validation_split={split} of {n} samples leaves "
                              f"{n - held} to train on and {held} to validate")
    if y.shape[:1] != (n,):
        raise _shape_error(f"y must have {n} rows like X, got shape {y.shape}")
    return X[:n - held], y[:n - held], (X[n - held:], y[n - held:])


def _regression_targets(y: Any, outputs: int) -> np.ndarray | None:
    """Float targets of shape (count, outputs) mean regression; anything else is class
    labels. (A float (count, 1) column is labels only for outputs > 1; with one output
    there is a single class, so it can only be a target.)"""
    a = np.asarray(y)
    if a.dtype.kind == "f" and a.ndim == 2 and a.shape[1] == outputs:
        return a
    return None


_OPTIMIZER_NAMES = {code: name for name, code in _ffi.OPTIMIZER.items()}
_CONSTRAINT_NAMES = {code: name for name, code in _ffi.CONSTRAINT.items()}
_NORM_NAMES: dict[int, NormName] = {0: "none", 1: "batch", 2: "layer"}
_ROOT_NAMES = {_ffi.GPN_B_PLUS: "b+", _ffi.GPN_B_MINUS: "b-"}


def _names_from_header(header: bytes) -> tuple[str, str] | None:
    """(activation name, constraint) from a model file's safetensors header, for repr
    only: the library has validated the file already, so anything odd just means
    "not shown"."""
    try:
        meta = json.loads(header)["__metadata__"]
        name = json.loads(meta["bsnn.activation"])["name"]
        constraint = json.loads(meta["bsnn.architecture"])["constraint"]
        return str(name), str(constraint)
    except (ValueError, KeyError, TypeError):
        return None


def _names_from_file_bytes(data: bytes) -> tuple[str, str] | None:
    length = int.from_bytes(data[:8], "little")
    return _names_from_header(data[8:8 + length]) if len(data) >= 8 + length else None


def _names_from_path(path: str | os.PathLike) -> tuple[str, str] | None:
    try:
        with open(path, "rb") as f:
            length = int.from_bytes(f.read(8), "little")
            return _names_from_header(f.read(length)) if length <= 100_000_000 else None
    except OSError:
        return None


def _shape_error(message: str) -> Exception:
    from .errors import ShapeError
    return ShapeError(message)


def _load_flags(allow_plugins: bool, unverified: bool) -> int:
    # BSNN_LOAD_ALLOW_PLUGINS = 1, BSNN_LOAD_UNVERIFIED = 2 (bsnn.h)
    return (1 if allow_plugins else 0) | (2 if unverified else 0)


def load(path: str | os.PathLike, allow_plugins: bool = False, unverified: bool = False) -> MLP:
    """Loads a model file.

    Parameters
    ----------
    path : str or PathLike
    allow_plugins : bool
        Re-load plugin/foreign activations, which runs code from the paths the file names.
    unverified : bool
        Accept a file without bsnn's checksum (written by another tool from scratch, or
        by bsnn 0.1).

    Returns
    -------
    MLP

    Raises
    ------
    FormatError
        A damaged file, or no checksum without `unverified`.
    PluginError
        A plugin/foreign activation without `allow_plugins`.
    BSNNIOError
        The file cannot be read.
    """
    out = _ffi.out_handle()
    lib.bsnn_model_load(_path(path), _load_flags(allow_plugins, unverified), ctypes.byref(out))
    return MLP._wrap(out, names=_names_from_path(path))


@dataclass(frozen=True)
class StepResult:
    """One optimizer step: the batch's mean loss, correct predictions and samples; with
    clip_grad_norm on, the global gradient norm before clipping and whether it clipped
    (None and False otherwise)."""
    loss: float
    correct: int
    count: int
    gradient_norm: float | None = None
    clipped: bool = False


class _Interrupt:
    """Ctrl-C during a C call that runs Python callbacks. Python runs its SIGINT handler
    between bytecodes, i.e. at the entry of the next callback, where a raised
    KeyboardInterrupt cannot cross the C frames (ctypes prints "Exception ignored" and
    the call goes on). While active in the main thread, a handler that only records the
    signal replaces the default one; the callback then cancels the C call, and the
    caller raises KeyboardInterrupt once C has returned and the model is consistent."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def _handler(self, _signum: int, _frame: Any) -> None:
        self.requested = True

    def __enter__(self) -> "_Interrupt":
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


class Trainer:
    """Trains an MLP: single steps, whole fits, checkpoints that resume exactly.

    Copies (``pickle``, ``copy.copy``, ``copy.deepcopy``) carry the model, the optimizer
    state and the position, and resume bit-identically to the original.

    Parameters
    ----------
    model : MLP
        The network to train (shared: training changes it).
    batch_size, optimizer, lr, momentum, seed, loss
        As in ``MLP.fit``; any left as None takes the library's default (batch 64,
        "momentum" with lr 0.01 and momentum 0.9, seed 0, cross-entropy).
    **options
        The other options of ``MLP.fit`` (``recipe`` included, for the model's depth).

    Raises
    ------
    InvalidArgument
        An unknown option or name, a value out of range.
    """

    def __init__(self, model: MLP, batch_size: int | None = None,
                 optimizer: OptimizerName | None = None, lr: float | None = None,
                 momentum: float | None = None, seed: int | None = None,
                 loss: LossName | None = None, **options: Any) -> None:
        config = _training_config(batch_size, optimizer, lr, momentum, seed, loss=loss,
                                  depth=model.info.depth, **options)
        self._create(model, config)

    @classmethod
    def _from_config(cls, model: MLP, config: _ffi.TrainingConfig) -> "Trainer":
        self = cls.__new__(cls)
        self._create(model, config)
        return self

    def _create(self, model: MLP, config: _ffi.TrainingConfig) -> None:
        out = _ffi.out_handle()
        lib.bsnn_trainer_create(model._ptr, ctypes.byref(config), ctypes.byref(out))
        self._handle = _ffi.Handle("trainer", out)
        self._model: MLP | None = model
        self._names = model._names
        self._optimizer = config.optimizer

    def _set_config(self, config: _ffi.TrainingConfig) -> None:
        lib.bsnn_trainer_set_config(self._ptr, ctypes.byref(config))

    @property
    def _ptr(self) -> int:
        return self._handle.address

    @property
    def model(self) -> MLP:
        """The network being trained (shared: it changes as training proceeds)."""
        if self._model is None:
            out = _ffi.out_handle()
            lib.bsnn_trainer_model(self._ptr, ctypes.byref(out))
            self._model = MLP._wrap(out, names=self._names)
        return self._model

    @property
    def state(self) -> dict[str, int]:
        """The position: epoch (completed), step_in_epoch, global_step."""
        s = _ffi.TrainerState()
        lib.bsnn_trainer_state_get(self._ptr, ctypes.byref(s))
        return {"epoch": s.epoch, "step_in_epoch": s.step_in_epoch, "global_step": s.global_step}

    def set_gradient_exchange(self, exchange: Any) -> None:
        """Makes this trainer one process of a data-parallel run (a collective call:
        every process makes it at the same point, and it checks that every process holds
        process 0's weights, optimizer state and configuration).

        Parameters
        ----------
        exchange : bsnn.distributed.MPIExchange or None
            The run's exchange (kept alive by the trainer); None returns to one process.
            ``batch_size`` is then the global batch: it must be a multiple of the
            process count, and ``fit`` trains each process on its slice of it.

        Raises
        ------
        InvalidArgument
            A process differs from process 0, the batch does not split evenly, or the
            monitor is on.
        """
        if exchange is None:
            lib.bsnn_trainer_set_gradient_exchange(self._ptr, None)
        else:
            exchange._live()
            lib.bsnn_trainer_set_gradient_exchange(self._ptr, ctypes.byref(exchange._callbacks))
        self._exchange = exchange

    def step(self, X: ArrayLike, y: ArrayLike) -> StepResult:
        """One optimizer step on a batch.

        Parameters
        ----------
        X : array_like, shape (count, inputs)
        y : array_like, shape (count,)
            Class labels in 0..outputs-1.

        Returns
        -------
        StepResult
        """
        m = self.model
        x = _arrays.features(X, m.inputs)
        labels = _arrays.labels(y, x.shape[0], m.outputs)
        r = _ffi.StepResult()
        lib.bsnn_trainer_step(self._ptr, x.ctypes.data, x.size, labels.ctypes.data,
                              labels.size, ctypes.byref(r))
        norm, clipped = ctypes.c_double(), ctypes.c_int32()
        lib.bsnn_trainer_last_gradient_norm(self._ptr, ctypes.byref(norm), ctypes.byref(clipped))
        return StepResult(r.loss, r.correct, r.count, None if math.isnan(norm.value) else norm.value,
                          bool(clipped.value))

    def fit(self, X: ArrayLike, y: ArrayLike, epochs: int = 1,
            validation: tuple[ArrayLike, ArrayLike] | None = None,
            callback: Callable[[ProgressInfo], Any] | None = None,
            progress: ProgressKind | None = "auto", *,
            validation_data: tuple[ArrayLike, ArrayLike] | None = None,
            validation_split: float = 0.0,
            callbacks: Sequence[Callback] | None = None) -> History:
        """Trains until `epochs` epochs are completed in total (counting those done
        before, also by a restored checkpoint).

        Parameters
        ----------
        X : array_like, shape (count, inputs)
            Features (float32 C-contiguous arrays are used without a copy).
        y : array_like
            Class labels in 0..outputs-1, shape (count,); or, for regression (loss "mse"
            or "huber"), float targets of shape (count, outputs).
        epochs : int
            The total number of epochs to have completed, not a number of further ones.
        validation, validation_data : (X, y), optional
            Held-out data evaluated after every epoch (val_loss, val_accuracy);
            `validation_data` is the Keras name of the same argument.
        validation_split : float
            In (0, 1): hold out this fraction of (X, y), the last samples as given
            (before shuffling), as the validation data.
        callback : callable, optional
            ``callback(ProgressInfo)`` after every step and epoch; True stops training.
        callbacks : sequence of bsnn.callbacks.Callback, optional
            Keras-style callbacks (EarlyStopping, ModelCheckpoint, CSVLogger, ...).
        progress : {"auto", "tqdm", "text", None}
            Progress on stderr: a tqdm bar, one line per epoch, or nothing.

        Returns
        -------
        History
            The metrics of the epochs this call ran.

        Raises
        ------
        InvalidArgument
            Bad sizes or options, `validation` given twice, a split leaving no samples.
        WrongState
            `epochs` is not more than the epochs already completed.
        KeyboardInterrupt
            Ctrl-C: training stops after the current step, the model keeps its weights.
        """
        m = self.model
        total = _ffi.checked_int(epochs, ctypes.c_size_t, "epochs")
        if total == 0:
            raise InvalidArgument(f"epochs must be positive, got {epochs}")
        if validation is not None and validation_data is not None:
            raise InvalidArgument("give validation= or validation_data= (the same argument), not both")
        validation = validation if validation is not None else validation_data
        X, y, validation = _split_validation(X, y, validation, validation_split)
        reporter = Reporter(progress)
        targets = _regression_targets(y, m.outputs)
        if validation is not None and (targets is None) != (_regression_targets(validation[1], m.outputs) is None):
            raise InvalidArgument("validation: labels and targets mixed (the training data and the validation data must both be class labels or both float targets)")
        owned: list[Dataset] = []
        if targets is None:
            # Passed to C in place (no copy for C-contiguous float32 X); C reads them during the call.
            train = _arrays.samples(X, y, m.inputs, m.outputs)
            val = _arrays.samples(validation[0], validation[1], m.inputs, m.outputs, "validation ") \
                if validation is not None else None
            counts = (train[0].shape[0], val[0].shape[0] if val is not None else 0)
        else:
            # Float targets: bsnn_trainer_fit_arrays takes class labels only, so regression
            # data goes through Datasets (one copy).
            owned.append(Dataset.from_targets(X, targets, m.inputs))
            val_targets = _regression_targets(validation[1], m.outputs) if validation is not None else None
            if validation is not None and val_targets is not None:
                owned.append(Dataset.from_targets(validation[0], val_targets, m.inputs))
            counts = tuple(d.info().count for d in owned) + (0,) * (2 - len(owned))
        history = History(loss=[], accuracy=[], samples_per_second=[])
        if validation is not None:
            history["val_loss"], history["val_accuracy"] = [], []
        start = self.state["epoch"]
        history.params = {"epochs": total, "initial_epoch": start, "samples": counts[0],
                          "validation_samples": counts[1],
                          "metrics": [k for k in history if k != "samples_per_second"]}
        m.stop_training = False
        hooks = CallbackList(callbacks, m, self, history.params)
        norms: list[float] = []  # this epoch's gradient norms (clipping on)
        clipped_steps = [0]
        stop = [False]
        interrupt = _Interrupt()

        def on_progress(p_ptr: Any, _user: Any) -> int:
            # Anything raised here would be lost in C: park it and cancel instead.
            try:
                if interrupt.requested:
                    return 1
                p = p_ptr.contents
                history.params["steps"] = p.steps_per_epoch
                if p.phase == _ffi.PHASE_EPOCH_END:
                    history["loss"].append(p.loss)
                    history["accuracy"].append(p.accuracy)
                    history["samples_per_second"].append(p.samples_per_second)
                    if p.has_validation:
                        history["val_loss"].append(p.validation_loss)
                        history["val_accuracy"].append(p.validation_accuracy)
                    if norms:
                        history.setdefault("gradient_norm", []).append(sum(norms) / len(norms))
                        history.setdefault("clipped_steps", []).append(clipped_steps[0])
                        norms.clear()
                        clipped_steps[0] = 0
                    history.epoch.append(p.epoch)
                    hooks.epoch_end(p.epoch, {k: v[-1] for k, v in history.items()})
                else:
                    if not math.isnan(p.gradient_norm):
                        norms.append(p.gradient_norm)
                        clipped_steps[0] += p.gradient_clipped
                    hooks.step(p.epoch, max(p.step_in_epoch - 1, 0),
                               {"loss": p.loss, "accuracy": p.accuracy})
                reporter.update(p)
                if callback is not None and callback(ProgressInfo.from_c(p)):
                    stop[0] = True
                    return 1
                if m.stop_training:
                    stop[0] = True
                    return 1
                return 1 if interrupt.requested else 0
            except BaseException as error:  # noqa: BLE001 — re-raised by the errcheck
                _ffi.park_exception(error)
                return 1

        c_progress = _ffi.PROGRESS_FN(on_progress)  # referenced until fit returns
        before = _monitor.count(self._ptr)
        try:
            hooks.train_begin()
            with interrupt:
                if targets is None:
                    vx, vy = val if val is not None else (None, None)
                    lib.bsnn_trainer_fit_arrays(self._ptr, train[0].ctypes.data, train[0].size, train[1].ctypes.data,
                                                train[1].size, _arrays.ptr(vx), 0 if vx is None else vx.size,
                                                _arrays.ptr(vy), 0 if vy is None else vy.size, total, c_progress, None)
                else:
                    lib.bsnn_trainer_fit(self._ptr, owned[0]._ptr, owned[1]._ptr if len(owned) > 1 else None,
                                         total, c_progress, None)
        except Cancelled:
            if interrupt.requested:
                raise KeyboardInterrupt from None
            if not stop[0]:
                raise
            history.stopped_early = True
        finally:
            reporter.close()
            for d in owned:
                d.close()
            # Also when the fit raised (a divergence): the records explain it.
            if before is not None:
                history.monitor = _monitor.records(self._ptr, start=before[0])
                _monitor.warn_first_collapse(history.monitor)
        if interrupt.requested:  # arrived during the last step: training completed
            raise KeyboardInterrupt
        best, stopped = ctypes.c_size_t(), ctypes.c_int32()
        try:  # WrongState: this fit ran without early stopping
            lib.bsnn_trainer_early_stopping_result(self._ptr, ctypes.byref(best), None, ctypes.byref(stopped))
            history.best_epoch = best.value
            history.stopped_early = history.stopped_early or bool(stopped.value)
        except WrongState:
            pass
        hooks.train_end({k: v[-1] for k, v in history.items() if v})
        return history

    def monitor(self) -> dict[str, Any] | None:
        """All of this trainer's monitor records (see `History.monitor`; also those of a
        fit that raised NumericError, up to its last good step), or None when
        monitor_every is 0.

        Returns
        -------
        dict or None
        """
        return _monitor.records(self._ptr)

    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Writes model + optimizer state + position atomically.

        Parameters
        ----------
        path : str or PathLike

        Raises
        ------
        BSNNIOError
            The file cannot be written.
        """
        lib.bsnn_checkpoint_save(self._ptr, _path(path))

    @classmethod
    def load_checkpoint(cls, path: str | os.PathLike, allow_plugins: bool = False,
                        unverified: bool = False) -> "Trainer":
        """Resumes from a checkpoint: a trainer with its own model (``.model``).

        Parameters
        ----------
        path : str or PathLike
        allow_plugins, unverified : bool
            As in `bsnn.load`.

        Returns
        -------
        Trainer

        Raises
        ------
        FormatError, PluginError, BSNNIOError
            As `bsnn.load`.
        """
        out = _ffi.out_handle()
        lib.bsnn_checkpoint_load(_path(path), _load_flags(allow_plugins, unverified), ctypes.byref(out))
        return cls._wrap(out, _names_from_path(path))

    @classmethod
    def _wrap(cls, out: ctypes.c_void_p, names: tuple[str, str] | None) -> "Trainer":
        self = cls.__new__(cls)
        self._handle = _ffi.Handle("trainer", out)
        self._model = None
        self._names = names
        cfg_unknown = -1
        self._optimizer = cfg_unknown
        return self

    def to_bytes(self) -> bytes:
        """The checkpoint's bytes (exactly what `save_checkpoint` writes: model,
        optimizer state, position), made in memory.

        Returns
        -------
        bytes

        Raises
        ------
        WrongState
            The model's activation is a Python callback.
        """
        return _ffi.save_buffer(lib.bsnn_checkpoint_save_buffer, self._ptr)

    @classmethod
    def from_bytes(cls, data: bytes, allow_plugins: bool = False, unverified: bool = False) -> "Trainer":
        """A trainer (with its own model) from a checkpoint's bytes (see `to_bytes`),
        validated exactly as `load_checkpoint` validates a file.

        Parameters
        ----------
        data : bytes
            The bytes of a bsnn checkpoint.
        allow_plugins, unverified : bool
            As in `bsnn.load`.

        Returns
        -------
        Trainer

        Raises
        ------
        FormatError
            Not an intact bsnn checkpoint.
        PluginError
            Plugin/foreign activation without `allow_plugins`.
        """
        data = bytes(data)
        out = _ffi.out_handle()
        lib.bsnn_checkpoint_load_buffer(data, len(data), _load_flags(allow_plugins, unverified),
                                        ctypes.byref(out))
        return cls._wrap(out, _names_from_file_bytes(data))

    def __reduce__(self) -> tuple:
        # The checkpoint carries model, optimizer state and position: the copy resumes
        # bit-identically to the original.
        return (_unpickle_trainer, (self.to_bytes(), self._optimizer))

    def __copy__(self) -> "Trainer":
        return _copy_of(self)

    def __deepcopy__(self, memo: dict) -> "Trainer":
        return _copy_of(self)

    def __repr__(self) -> str:
        if self._handle.closed:
            return "<bsnn.Trainer (closed)>"
        st = self.state
        optimizer = _OPTIMIZER_NAMES.get(self._optimizer, "restored")
        model = repr(self.model)[len("<bsnn.MLP "):-1]
        return (f"<bsnn.Trainer {optimizer} epoch {st['epoch']} step {st['global_step']} "
                f"of {model}>")

    def close(self) -> None:
        """Frees the trainer (idempotent); the model stays usable."""
        self._handle.close()

    def __enter__(self) -> "Trainer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
