"""Keras-style callbacks for ``MLP.fit`` / ``Trainer.fit(callbacks=[...])``.

A callback sees the training from Python between optimizer steps: ``on_train_begin``,
``on_epoch_begin``, ``on_train_batch_end`` (after every step), ``on_epoch_end`` (with the
epoch's metrics: loss, accuracy and, with validation data, val_loss, val_accuracy) and
``on_train_end``. Setting ``self.model.stop_training = True`` stops the fit after the
current step (the History then has ``stopped_early``). ``on_train_end`` runs once the
library has returned, so a callback may change the weights there (EarlyStopping's
``restore_best_weights``); during training the network is the library's.

    model.fit(X, y, epochs=50, validation_split=0.1,
              callbacks=[bsnn.callbacks.EarlyStopping(patience=3, restore_best_weights=True),
                         bsnn.callbacks.CSVLogger("log.csv")])
"""
from __future__ import annotations

import csv
import math
import os
from typing import TYPE_CHECKING, Any, Literal, Mapping, Sequence

import numpy as np

from .errors import InvalidArgument

if TYPE_CHECKING:
    from .model import MLP, Trainer

Logs = Mapping[str, float]


class Callback:
    """Base class: override the hooks you need; each receives the metrics so far as
    `logs` (a dict of floats).

    Attributes
    ----------
    model : MLP
        The network being trained (set before ``on_train_begin``).
    trainer : Trainer
        The trainer running the fit (its ``state``, ``save_checkpoint``).
    params : dict
        ``epochs`` (the total), ``initial_epoch``, ``samples``, ``validation_samples``,
        ``metrics`` (the keys ``on_epoch_end`` receives).
    """

    model: "MLP"
    trainer: "Trainer"
    params: dict[str, Any]

    def set_model(self, model: "MLP", trainer: "Trainer") -> None:
        """Called by fit before training starts.

        Parameters
        ----------
        model : MLP
        trainer : Trainer
        """
        self.model = model
        self.trainer = trainer

    def set_params(self, params: dict[str, Any]) -> None:
        """Called by fit before training starts.

        Parameters
        ----------
        params : dict
            See the class's `params`.
        """
        self.params = params

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Before the first step."""

    def on_train_end(self, logs: Logs | None = None) -> None:
        """After the library returned (training completed or stopped)."""

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Before the first step of an epoch.

        Parameters
        ----------
        epoch : int
            Counting from 0 over the trainer's life.
        logs : dict, optional
        """

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """After an epoch.

        Parameters
        ----------
        epoch : int
            Counting from 0 over the trainer's life.
        logs : dict
            loss, accuracy, samples_per_second and (with validation data) val_loss,
            val_accuracy of this epoch.
        """

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """After every optimizer step.

        Parameters
        ----------
        batch : int
            The step, counting from 0 within the epoch.
        logs : dict
            loss and accuracy of the batch.
        """


def _mode_of(monitor: str, mode: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise InvalidArgument(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    return "max" if "acc" in monitor else "min"


def _improved(value: float, best: float, mode: str, min_delta: float) -> bool:
    if math.isnan(value):
        return False
    return value < best - min_delta if mode == "min" else value > best + min_delta


def _check_monitor(monitor: str, params: Mapping[str, Any], who: str) -> None:
    metrics = params.get("metrics", [])
    if monitor not in metrics:
        hint = " (pass validation=, validation_data= or validation_split=)" \
            if monitor.startswith("val_") else ""
        raise InvalidArgument(f"{who}: monitor {monitor!r} is not among this fit's metrics "
                              f"{list(metrics)}{hint}")


class EarlyStopping(Callback):
    """Stops training when the monitored metric has stopped improving.

    Parameters
    ----------
    monitor : str
        A key of the epoch metrics: "val_loss" (default), "val_accuracy", "loss",
        "accuracy".
    min_delta : float
        An improvement smaller than this counts as none.
    patience : int
        Epochs without improvement after which training stops (0 and 1: the first).
    mode : {"auto", "min", "max"}
        Whether smaller or larger is better; "auto": larger for accuracies.
    baseline : float, optional
        Stop unless the metric beats this within `patience` epochs.
    restore_best_weights : bool
        At the end of training, put back the weights (and biases) of the best epoch.
        The optimizer state and position stay those of the last step.

    Attributes
    ----------
    best : float
        The best value seen.
    best_epoch : int
        Its epoch (counting from 0), -1 before the first.
    stopped_epoch : int
        The epoch after which it stopped training, -1 when it did not.

    Raises
    ------
    InvalidArgument
        At the start of fit when `monitor` is not among the fit's metrics (e.g.
        "val_loss" without validation data).
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 mode: Literal["auto", "min", "max"] = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False) -> None:
        if patience < 0:
            raise InvalidArgument(f"patience must be >= 0, got {patience}")
        self.monitor = monitor
        self.min_delta = abs(float(min_delta))
        self.patience = int(patience)
        self.mode = _mode_of(monitor, mode)
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.stopped_epoch = -1
        self.best_epoch = -1
        self.best = math.inf if self.mode == "min" else -math.inf
        if self.baseline is not None:
            self.best = float(self.baseline)
        self._best_weights: list[tuple[np.ndarray, np.ndarray | None]] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        _check_monitor(self.monitor, self.params, "EarlyStopping")
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        value = float((logs or {})[self.monitor])
        if _improved(value, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self._best_weights = _snapshot(self.model)
            return
        self.wait += 1
        if self.wait >= max(self.patience, 1):  # Keras: 0 and 1 both stop at the first miss
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.restore_best_weights and self._best_weights is not None:
            _restore(self.model, self._best_weights)

    def __repr__(self) -> str:
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"mode={self.mode!r}, restore_best_weights={self.restore_best_weights})")


def _snapshot(model: "MLP") -> list[tuple[np.ndarray, np.ndarray | None]]:
    has_bias = bool(model.info.bias)
    return [(model.weights(l), model.bias(l) if has_bias else None)
            for l in range(model.layer_count)]


def _restore(model: "MLP", saved: Sequence[tuple[np.ndarray, np.ndarray | None]]) -> None:
    for layer, (w, b) in enumerate(saved):
        model.set_weights(layer, w)
        if b is not None:
            model.set_bias(layer, b)


class ModelCheckpoint(Callback):
    """Saves the model (or a resumable training checkpoint) every few epochs.

    Parameters
    ----------
    filepath : str or PathLike
        Where to write; may hold ``str.format`` fields ``{epoch}`` (counting from 1, as
        Keras) and any epoch metric, e.g. ``"m-{epoch:03d}-{val_loss:.3f}.bsnn"``.
        Every write is atomic.
    every : int
        Save after every `every`-th epoch (1: each epoch).
    save_best_only : bool
        Save only when `monitor` improved on the best so far.
    monitor : str
        The metric for `save_best_only` (default "val_loss").
    mode : {"auto", "min", "max"}
        As in EarlyStopping.
    checkpoint : bool
        Write a training checkpoint (``Trainer.save_checkpoint``: model, optimizer state,
        position; resume with ``Trainer.load_checkpoint``) instead of a model file.

    Attributes
    ----------
    saved : list of str
        The paths written, in order.
    """

    def __init__(self, filepath: str | os.PathLike, every: int = 1, save_best_only: bool = False,
                 monitor: str = "val_loss", mode: Literal["auto", "min", "max"] = "auto",
                 checkpoint: bool = False) -> None:
        if int(every) < 1:
            raise InvalidArgument(f"every must be >= 1, got {every}")
        self.filepath = os.fspath(filepath)
        self.every = int(every)
        self.save_best_only = save_best_only
        self.monitor = monitor
        self.mode = _mode_of(monitor, mode)
        self.checkpoint = checkpoint
        self.best = math.inf if self.mode == "min" else -math.inf
        self.saved: list[str] = []

    def on_train_begin(self, logs: Logs | None = None) -> None:
        if self.save_best_only:
            _check_monitor(self.monitor, self.params, "ModelCheckpoint")

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = dict(logs or {})
        if (epoch + 1) % self.every != 0:
            return
        if self.save_best_only:
            value = float(logs[self.monitor])
            if not _improved(value, self.best, self.mode, 0.0):
                return
            self.best = value
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.checkpoint:
            self.trainer.save_checkpoint(path)
        else:
            self.model.save(path)
        self.saved.append(path)

    def __repr__(self) -> str:
        return f"ModelCheckpoint({self.filepath!r}, every={self.every}, checkpoint={self.checkpoint})"


class CSVLogger(Callback):
    """Writes one CSV row per epoch: ``epoch`` (counting from 0) and the epoch metrics.

    Parameters
    ----------
    filename : str or PathLike
        The CSV file; each row is written and flushed when its epoch ends, so the file
        is readable while training runs.
    separator : str
        Field separator.
    append : bool
        Append to an existing file (a header only if it is empty) instead of replacing it.
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False) -> None:
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = append
        self._keys: list[str] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._keys = ["epoch"] + list(self.params.get("metrics", []))
        exists = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        with open(self.filename, "a" if self.append else "w", newline="") as f:
            if not exists:
                csv.writer(f, delimiter=self.separator).writerow(self._keys)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = dict(logs or {}, epoch=epoch)
        with open(self.filename, "a", newline="") as f:
            csv.writer(f, delimiter=self.separator).writerow(
                [repr(logs[k]) if isinstance(logs.get(k), float) else logs.get(k, "")
                 for k in self._keys or []])

    def __repr__(self) -> str:
        return f"CSVLogger({self.filename!r})"


class CallbackList:
    """The callbacks of one fit, called in order (internal to fit)."""

    def __init__(self, callbacks: Sequence[Callback] | None, model: "MLP", trainer: "Trainer",
                 params: dict[str, Any]) -> None:
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise InvalidArgument(f"callbacks must be bsnn.callbacks.Callback objects, got "
                                      f"{type(cb).__name__} (a plain function goes to callback=)")
            cb.set_model(model, trainer)
            cb.set_params(params)
        self._epoch_open = False

    def train_begin(self) -> None:
        for cb in self.callbacks:
            cb.on_train_begin({})

    def step(self, epoch: int, batch: int, logs: Logs) -> None:
        if not self._epoch_open:
            self._epoch_open = True
            for cb in self.callbacks:
                cb.on_epoch_begin(epoch, {})
        for cb in self.callbacks:
            cb.on_train_batch_end(batch, logs)

    def epoch_end(self, epoch: int, logs: Logs) -> None:
        self._epoch_open = False
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    def train_end(self, logs: Logs) -> None:
        for cb in self.callbacks:
            cb.on_train_end(logs)


__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "CSVLogger"]
