"""scikit-learn estimators: `BSNNClassifier` and `BSNNRegressor`.

scikit-learn is an optional dependency: it is imported here only, so ``import bsnn``
works without it and ``import bsnn.sklearn`` raises ImportError naming the package.

    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from bsnn.sklearn import BSNNClassifier

    clf = make_pipeline(StandardScaler(), BSNNClassifier(width=64, depth=4, epochs=20))
    clf.fit(X_train, y_train).score(X_test, y_test)

The constructor's parameters are the hyper-parameters (``get_params``/``set_params``/
``clone``); every one left as None takes the library's default, as ``MLP`` and
``MLP.fit`` do. ``fit`` trains a fresh network from scratch; ``partial_fit`` trains one
more epoch on the data given, continuing the optimizer state.
"""
from __future__ import annotations

import numbers
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin  # type: ignore[import-untyped, unused-ignore]
    from sklearn.utils.multiclass import check_classification_targets  # type: ignore[import-untyped, unused-ignore]
    from sklearn.utils.validation import (  # type: ignore[import-untyped, unused-ignore]
        check_is_fitted, check_random_state, validate_data)
except ImportError as error:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError("bsnn.sklearn needs scikit-learn >= 1.6 (pip install scikit-learn)") from error

from .model import MLP, History
from .types import ActivationName, ConstraintName, InitName, OptimizerName

__all__ = ["BSNNClassifier", "BSNNRegressor"]


class _BSNNEstimator(BaseEstimator):  # type: ignore[misc, unused-ignore]
    """What both estimators share: the network's and the training's hyper-parameters."""

    model_: MLP
    n_epochs_: int
    history_: History
    _fit_seed: int

    def __init__(self, width: int = 64, depth: int = 2, activation: ActivationName = "tanh",
                 gpn: bool | Literal["b+", "b-"] = True, constraint: ConstraintName | None = None,
                 init: InitName | None = None, bias: bool | None = None, epochs: int = 30,
                 batch_size: int | None = None, optimizer: OptimizerName | None = None,
                 lr: float | None = None, momentum: float | None = None,
                 weight_decay: float | None = None, validation_split: float = 0.0,
                 random_state: int | np.random.RandomState | None = None,
                 verbose: bool = False) -> None:
        self.width = width
        self.depth = depth
        self.activation = activation
        self.gpn = gpn
        self.constraint = constraint
        self.init = init
        self.bias = bias
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.validation_split = validation_split
        self.random_state = random_state
        self.verbose = verbose

    # -- what subclasses provide
    def _loss(self) -> str | None:
        return None

    def _encode_targets(self, y: Any, fitting: bool, classes: Any = None) -> Any:
        raise NotImplementedError

    def _outputs(self) -> int:
        raise NotImplementedError

    # -- training
    def _seed(self) -> int:
        # None keeps the library's seed (0), so an estimator is reproducible by default.
        if self.random_state is None:
            return 0
        if isinstance(self.random_state, numbers.Integral) and int(self.random_state) >= 0:
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(2 ** 31))

    def _new_model(self, inputs: int) -> None:
        if not isinstance(self.epochs, numbers.Integral) or self.epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {self.epochs!r}")
        # One draw per fit: a RandomState must not reseed the shuffling at every partial_fit.
        self._fit_seed = self._seed()
        self.model_ = MLP(inputs, self.width, self.depth, self._outputs(), self.activation,
                          gpn=self.gpn, constraint=self.constraint, init=self.init,
                          bias=self.bias, seed=self._fit_seed)
        self.n_epochs_ = 0

    def _train(self, X: NDArray[np.float32], targets: Any, epochs: int) -> History:
        options: dict[str, Any] = {}
        if self.weight_decay is not None:
            options["weight_decay"] = self.weight_decay
        if self._loss() is not None:
            options["loss"] = self._loss()
        history = self.model_.fit(
            X, targets, epochs=self.n_epochs_ + epochs, batch_size=self.batch_size,
            optimizer=self.optimizer, lr=self.lr, momentum=self.momentum, seed=self._fit_seed,
            validation_split=self.validation_split, progress="text" if self.verbose else None,
            **options)
        self.n_epochs_ += epochs
        self.history_ = history
        return history

    def _fit(self, X: Any, y: Any, partial: bool, classes: Any = None) -> "_BSNNEstimator":
        first = not partial or not hasattr(self, "model_")
        X, y = validate_data(self, X, y, reset=first, dtype=np.float32, order="C",
                             multi_output=self._multi_output, y_numeric=not self._is_classifier)
        targets = self._encode_targets(y, fitting=first, classes=classes)
        if first:
            self._new_model(X.shape[1])
        self._train(X, targets, 1 if partial else int(self.epochs))
        return self

    def _logits(self, X: Any) -> NDArray[np.float32]:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=np.float32, order="C")
        return self.model_.predict(X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags

    def _expected_failed_checks(self) -> dict[str, str]:
        """The `check_estimator` checks this estimator may fail by design, check name →
        reason, for ``check_estimator(est, expected_failed_checks=...)``."""
        why = ("the network computes in float32 with batched OpenBLAS products, so a "
               "sample's outputs can differ by rounding (about 1e-7 relative, e.g. with "
               "OPENBLAS_CORETYPE=Haswell) with its position in the batch; the check "
               "demands rtol 1e-7 and atol 1e-9, and the predicted labels do not change")
        return {"check_methods_sample_order_invariance": why,
                "check_methods_subset_invariance": why}


class BSNNClassifier(ClassifierMixin, _BSNNEstimator):  # type: ignore[misc, unused-ignore]
    """A bidirectionally self-normalizing MLP classifier (softmax outputs, cross-entropy).

    Parameters
    ----------
    width : int
        Units of every hidden layer.
    depth : int
        Hidden (width × width) layers between the input and output layers.
    activation : str
        A builtin activation name ("tanh", "selu", "gelu", ...; see
        ``bsnn.builtin_names()``).
    gpn : bool or {"b+", "b-"}
        Gaussian-Poincaré normalization: True takes the library's default root.
    constraint : {"none", "row_norm", "orthogonal"}, optional
        Weight constraint; None: the library's default (row_norm).
    init : {"orthogonal", "xavier", "he"}, optional
        Weight initialization; None: the library's default (orthogonal).
    bias : bool, optional
        Bias terms; None: the library's default (True).
    epochs : int
        Epochs `fit` trains (from scratch).
    batch_size, optimizer, lr, momentum, weight_decay : optional
        As in ``MLP.fit``; None: the library's defaults.
    validation_split : float
        Fraction of the training data held out for val_loss/val_accuracy in `history_`.
    random_state : int, RandomState or None
        Seeds initialization and shuffling; None: the library's seed 0 (reproducible).
    verbose : bool
        One line per epoch on stderr.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels seen by fit (any sortable values: strings, 1..K, ...).
    n_features_in_ : int
        Features seen by fit.
    model_ : bsnn.MLP
        The trained network (outputs: one logit per class, in `classes_` order).
    history_ : bsnn.History
        The metrics of the last fit / partial_fit call.
    n_epochs_ : int
        Epochs trained in total.
    """

    _is_classifier = True
    _multi_output = False

    def _outputs(self) -> int:
        return len(self.classes_)

    def _encode_targets(self, y: Any, fitting: bool, classes: Any = None) -> NDArray[np.int32]:
        check_classification_targets(y)
        if fitting:
            self.classes_ = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(f"{type(self).__name__} needs at least 2 classes to train, got "
                                 f"1 class ({self.classes_[0]!r})")
        codes = np.searchsorted(self.classes_, y)
        unseen = (codes >= len(self.classes_)) | (self.classes_[np.minimum(codes, len(self.classes_) - 1)] != y)
        if unseen.any():
            raise ValueError(f"y contains labels not in classes_ {list(self.classes_)}: "
                             f"{sorted(set(np.asarray(y)[unseen].tolist()))[:5]}")
        return codes.astype(np.int32)

    def fit(self, X: ArrayLike, y: ArrayLike) -> "BSNNClassifier":
        """Trains a new network for `epochs` epochs.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
            Class labels of any sortable kind.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Invalid X or y (NaN, wrong shapes, fewer than 2 classes).
        """
        self._fit(X, y, partial=False)
        return self

    def partial_fit(self, X: ArrayLike, y: ArrayLike, classes: ArrayLike | None = None) -> "BSNNClassifier":
        """Trains one more epoch on (X, y), continuing the optimizer state.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
        classes : array_like, optional
            All the labels there will be; needed on the first call (as in scikit-learn),
            when a batch may not show every class. Without it the first call's labels
            are taken.

        Returns
        -------
        self
        """
        self._fit(X, y, partial=True, classes=classes)
        return self

    def decision_function(self, X: ArrayLike) -> NDArray[np.float64]:
        """The logits, shape (n_samples, n_classes); for 2 classes, the margin of class 1
        (shape (n_samples,)) as scikit-learn expects.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        """
        z = self._logits(X).astype(np.float64)
        return z[:, 1] - z[:, 0] if len(self.classes_) == 2 else z

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Softmax probabilities, columns in `classes_` order.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        z = self._logits(X).astype(np.float64)
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Log of `predict_proba`, computed stably.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        """
        z = self._logits(X).astype(np.float64)
        z -= z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """The most probable label per sample (from `classes_`).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)

        Raises
        ------
        NotFittedError
            Before fit.
        """
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]


class BSNNRegressor(RegressorMixin, _BSNNEstimator):  # type: ignore[misc, unused-ignore]
    """A bidirectionally self-normalizing MLP regressor (linear outputs).

    The targets are standardized for training (mean 0, variance 1 per column, undone by
    `predict`), so the network sees targets of the scale it is normalized for.

    Parameters
    ----------
    loss : {"mse", "huber"}
        The training loss (on the standardized targets).
    width, depth, activation, gpn, constraint, init, bias, epochs, batch_size, optimizer, lr, momentum, weight_decay, validation_split, random_state, verbose
        As in `BSNNClassifier`.

    Attributes
    ----------
    n_features_in_ : int
    n_outputs_ : int
        Target columns (1 for a 1-D y, which `predict` returns 1-D).
    model_ : bsnn.MLP
        The trained network (on standardized targets).
    history_ : bsnn.History
    n_epochs_ : int
    """

    _is_classifier = False
    _multi_output = True

    def __init__(self, loss: Literal["mse", "huber"] = "mse", width: int = 64, depth: int = 2,
                 activation: ActivationName = "tanh", gpn: bool | Literal["b+", "b-"] = True,
                 constraint: ConstraintName | None = None, init: InitName | None = None,
                 bias: bool | None = None, epochs: int = 30, batch_size: int | None = None,
                 optimizer: OptimizerName | None = None, lr: float | None = None,
                 momentum: float | None = None, weight_decay: float | None = None,
                 validation_split: float = 0.0,
                 random_state: int | np.random.RandomState | None = None,
                 verbose: bool = False) -> None:
        super().__init__(width=width, depth=depth, activation=activation, gpn=gpn,
                         constraint=constraint, init=init, bias=bias, epochs=epochs,
                         batch_size=batch_size, optimizer=optimizer, lr=lr, momentum=momentum,
                         weight_decay=weight_decay, validation_split=validation_split,
                         random_state=random_state, verbose=verbose)
        self.loss = loss

    def _loss(self) -> str:
        if self.loss not in ("mse", "huber"):
            raise ValueError(f"loss must be 'mse' or 'huber', got {self.loss!r}")
        return self.loss

    def _outputs(self) -> int:
        return self.n_outputs_

    def _encode_targets(self, y: Any, fitting: bool, classes: Any = None) -> NDArray[np.float32]:
        y = np.asarray(y, dtype=np.float64)
        column = y.reshape(len(y), -1)
        if fitting:
            self._one_d = y.ndim == 1
            self.n_outputs_ = column.shape[1]
            self._y_mean = column.mean(axis=0)
            spread = column.std(axis=0)
            self._y_scale = np.where(spread > 0, spread, 1.0)
        elif column.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {column.shape[1]} target columns, the model {self.n_outputs_}")
        return np.ascontiguousarray((column - self._y_mean) / self._y_scale, dtype=np.float32)

    def fit(self, X: ArrayLike, y: ArrayLike) -> "BSNNRegressor":
        """Trains a new network for `epochs` epochs.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Invalid X or y (NaN, wrong shapes).
        """
        self._fit(X, y, partial=False)
        return self

    def partial_fit(self, X: ArrayLike, y: ArrayLike) -> "BSNNRegressor":
        """Trains one more epoch on (X, y), continuing the optimizer state (the target
        standardization is the first call's).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        self
        """
        self._fit(X, y, partial=True)
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:
        """Predicted targets, shape (n_samples,) for a 1-D training y, else
        (n_samples, n_outputs).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        """
        out = self._logits(X).astype(np.float64) * self._y_scale + self._y_mean
        return out[:, 0] if self._one_d else out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
