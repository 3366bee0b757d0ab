"""Training-loop habits: validation_split / validation_data, Keras-style callbacks,
History attributes, regression targets."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

import bsnn
from bsnn.callbacks import Callback, CSVLogger, EarlyStopping, ModelCheckpoint


def data(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 10)).astype(np.float32)
    return X, (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int32)


def params(m: bsnn.MLP) -> list[np.ndarray]:
    return [m.weights(l) for l in range(m.layer_count)] + [m.bias(l) for l in range(m.layer_count)]


def test_validation_split_is_the_last_fraction():
    X, y = data()
    a = bsnn.MLP(10, 16, 2, 2, seed=1)
    b = bsnn.MLP(10, 16, 2, 2, seed=1)
    ha = a.fit(X, y, epochs=2, validation_split=0.2, progress=None)
    hb = b.fit(X[:240], y[:240], epochs=2, validation_data=(X[240:], y[240:]), progress=None)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert ha[key] == hb[key]  # the same numbers, bit for bit
    assert ha.params["samples"] == 240 and ha.params["validation_samples"] == 60
    for p, q in zip(params(a), params(b)):
        assert np.array_equal(p, q)
    with pytest.raises(bsnn.InvalidArgument, match="not both"):
        a.fit(X, y, epochs=3, validation=(X, y), validation_data=(X, y))
    with pytest.raises(bsnn.InvalidArgument, match="not both"):
        a.fit(X, y, epochs=3, validation=(X, y), validation_split=0.1)
    with pytest.raises(bsnn.InvalidArgument, match=r"\(0, 1\)"):
        a.fit(X, y, epochs=3, validation_split=1.5)
    with pytest.raises(bsnn.InvalidArgument, match="leaves"):
        a.fit(X[:3], y[:3], epochs=3, validation_split=0.1)


def test_history_is_a_dict_with_keras_attributes():
    X, y = data()
    m = bsnn.MLP(10, 16, 2, 2, seed=1)
    h = m.fit(X, y, epochs=2, batch_size=50, validation=(X[:40], y[:40]), progress=None)
    assert isinstance(h, dict) and h.history is h and h.epoch == [0, 1]
    assert h.params == {"epochs": 2, "initial_epoch": 0, "samples": 300, "validation_samples": 40,
                        "steps": 6, "metrics": ["loss", "accuracy", "val_loss", "val_accuracy"]}
    h2 = m.fit(X, y, epochs=3, progress=None)
    assert h2.epoch == [2] and h2.params["initial_epoch"] == 2 and "val_loss" not in h2
    assert repr(h).startswith("<bsnn.History 2 epoch(s): loss ")


def test_early_stopping_restores_the_best_epoch(tmp_path: Path):
    X, y = data()
    m = bsnn.MLP(10, 16, 2, 2, seed=1)
    es = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    every = ModelCheckpoint(tmp_path / "m-{epoch}.bsnn")
    # a large rate makes val_loss wander, so it stops well before 40 epochs
    h = m.fit(X, y, epochs=40, lr=0.8, validation_split=0.2, callbacks=[es, every], progress=None)
    losses = h["val_loss"]
    best = int(np.argmin(losses))
    assert h.stopped_early and es.stopped_epoch == len(losses) - 1 < 39
    assert es.best_epoch == best and es.best == losses[best]
    assert len(losses) - 1 - best == 2  # patience 2: two epochs without improvement
    assert all(losses[i] >= es.best for i in range(best + 1, len(losses)))
    # the weights put back are exactly those saved after the best epoch
    saved = bsnn.load(tmp_path / f"m-{best + 1}.bsnn")
    for p, q in zip(params(m), params(saved)):
        assert np.array_equal(p, q)
    assert every.saved == [str(tmp_path / f"m-{e + 1}.bsnn") for e in range(len(losses))]


def test_early_stopping_on_a_missing_metric_says_why():
    X, y = data()
    with pytest.raises(bsnn.InvalidArgument, match="val_loss.*validation_split"):
        bsnn.MLP(10, 8, 1, 2).fit(X, y, epochs=2, callbacks=[EarlyStopping()], progress=None)
    with pytest.raises(bsnn.InvalidArgument, match="Callback objects"):
        bsnn.MLP(10, 8, 1, 2).fit(X, y, epochs=2, callbacks=[lambda p: None], progress=None)


def test_model_checkpoint_every_and_resumable_checkpoints(tmp_path: Path):
    X, y = data()
    m = bsnn.MLP(10, 16, 2, 2, seed=1)
    ck = ModelCheckpoint(tmp_path / "c-{epoch}.ckpt", every=2, checkpoint=True)
    m.fit(X, y, epochs=4, optimizer="adam", lr=1e-2, seed=3, callbacks=[ck], progress=None)
    assert ck.saved == [str(tmp_path / "c-2.ckpt"), str(tmp_path / "c-4.ckpt")]
    resumed = bsnn.Trainer.load_checkpoint(tmp_path / "c-2.ckpt")
    assert resumed.state["epoch"] == 2
    resumed.fit(X, y, epochs=4, progress=None)
    for p, q in zip(params(m), params(resumed.model)):
        assert np.array_equal(p, q)


def test_csv_logger_rows_are_the_history(tmp_path: Path):
    X, y = data()
    m = bsnn.MLP(10, 16, 2, 2, seed=1)
    h = m.fit(X, y, epochs=3, validation_split=0.25, callbacks=[CSVLogger(tmp_path / "log.csv")],
              progress=None)
    rows = list(csv.DictReader(open(tmp_path / "log.csv")))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert [float(r[key]) for r in rows] == h[key]
    m.fit(X, y, epochs=4, validation_split=0.25, callbacks=[CSVLogger(tmp_path / "log.csv", append=True)],
          progress=None)
    assert [r["epoch"] for r in csv.DictReader(open(tmp_path / "log.csv"))] == ["0", "1", "2", "3"]


def test_a_callback_can_stop_training_after_a_step():
    X, y = data()
    seen: list[tuple[str, int]] = []

    class StopAtThird(Callback):
        def on_train_begin(self, logs=None):
            seen.append(("begin", self.params["epochs"]))

        def on_epoch_begin(self, epoch, logs=None):
            seen.append(("epoch", epoch))

        def on_train_batch_end(self, batch, logs=None):
            assert np.isfinite(logs["loss"])
            if batch == 2:
                self.model.stop_training = True

        def on_train_end(self, logs=None):
            seen.append(("end", self.trainer.state["global_step"]))

    m = bsnn.MLP(10, 8, 1, 2)
    h = m.fit(X, y, epochs=5, batch_size=10, callbacks=[StopAtThird()], progress=None)
    assert h.stopped_early and h["loss"] == [] and m._trainer.state["global_step"] == 3
    assert h.params["steps"] == 30 and h.epoch == []
    assert seen == [("begin", 5), ("epoch", 0), ("end", 3)]


def test_float_targets_train_regression_and_val_loss_is_the_mse():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(400, 6)).astype(np.float32)
    T = np.stack([0.5 * X[:, 0], X[:, 1] - X[:, 2]], axis=1).astype(np.float32)
    m = bsnn.MLP(6, 32, 2, 2, seed=2)
    h = m.fit(X, T, epochs=30, lr=0.01, loss="mse", validation_data=(X[:100], T[:100]), progress=None)
    assert h["loss"][-1] < 0.2 * h["loss"][0]
    mse = float(np.mean((m.predict(X[:100]).astype(np.float64) - T[:100]) ** 2))
    assert h["val_loss"][-1] == pytest.approx(mse, rel=1e-5)
