"""Model and checkpoint files against a stock safetensors writer: the checksum covers
the canonical content, so the `safetensors` package writing the same tensors and
metadata back still verifies; any change of meaning is a FormatError."""
from __future__ import annotations

import json

import numpy as np
import pytest

import bsnn

st_numpy = pytest.importorskip("safetensors.numpy")
safetensors = pytest.importorskip("safetensors")


def read_stock(path):
    """Tensors and metadata as the `safetensors` package sees them."""
    with safetensors.safe_open(str(path), framework="numpy") as f:
        metadata = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    return tensors, metadata


def test_stock_writer_round_trip_of_a_model_still_verifies(tmp_path):
    model = bsnn.MLP(7, 6, 12, 3, "tanh", gpn="b+", seed=5)  # depth 12: layers.10 sorts before layers.2
    model.save(tmp_path / "m.bsnn")
    tensors, metadata = read_stock(tmp_path / "m.bsnn")
    assert "bsnn.checksum" in metadata
    st_numpy.save_file(tensors, str(tmp_path / "stock.bsnn"), metadata=metadata)
    assert (tmp_path / "stock.bsnn").read_bytes() != (tmp_path / "m.bsnn").read_bytes()
    loaded = bsnn.load(tmp_path / "stock.bsnn")
    x = np.random.default_rng(1).standard_normal((5, 7)).astype(np.float32)
    assert np.array_equal(loaded.predict(x), model.predict(x))
    for layer in range(model.layer_count):
        assert np.array_equal(loaded.weights(layer), model.weights(layer))
    # Saving again gives bsnn's own layout back, byte for byte.
    loaded.save(tmp_path / "again.bsnn")
    assert (tmp_path / "again.bsnn").read_bytes() == (tmp_path / "m.bsnn").read_bytes()


def test_stock_writer_round_trip_of_a_checkpoint_still_verifies(tmp_path):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((40, 5)).astype(np.float32)
    y = (np.arange(40) % 3).astype(np.int32)
    trainer = bsnn.Trainer(bsnn.MLP(5, 8, 2, 3, "elu", seed=1), batch_size=8, lr=0.01, optimizer="adam", seed=3)
    trainer.fit(X, y, epochs=1, progress=None)
    trainer.save_checkpoint(tmp_path / "ck.bsnn")
    tensors, metadata = read_stock(tmp_path / "ck.bsnn")
    st_numpy.save_file(tensors, str(tmp_path / "stock.bsnn"), metadata=metadata)
    resumed = bsnn.Trainer.load_checkpoint(tmp_path / "stock.bsnn")
    assert resumed.state == trainer.state
    trainer.fit(X, y, epochs=2, progress=None)  # epochs: the total to reach
    resumed.fit(X, y, epochs=2, progress=None)
    assert np.array_equal(resumed.model.predict(X), trainer.model.predict(X))


def test_metadata_edited_by_a_stock_writer_is_a_format_error(tmp_path):
    rng = np.random.default_rng(3)
    trainer = bsnn.Trainer(bsnn.MLP(4, 6, 1, 2, "tanh", seed=1), batch_size=4, lr=0.01, seed=3)
    trainer.fit(rng.standard_normal((8, 4)).astype(np.float32), np.array([0, 1] * 4, np.int32), epochs=1, progress=None)
    trainer.save_checkpoint(tmp_path / "ck.bsnn")
    tensors, metadata = read_stock(tmp_path / "ck.bsnn")
    training = json.loads(metadata["bsnn.training"])
    training["optimizer"]["learning_rate"] = "8.01"  # the report's silent 0.01 -> 8.01
    edited = dict(metadata, **{"bsnn.training": json.dumps(training)})
    st_numpy.save_file(tensors, str(tmp_path / "lr.bsnn"), metadata=edited)
    with pytest.raises(bsnn.FormatError, match=r"lr\.bsnn.*checksum mismatch"):
        bsnn.Trainer.load_checkpoint(tmp_path / "lr.bsnn")
    # A changed tensor value is caught the same way.
    tensors["layers.0.weight"][0, 0] += 1
    st_numpy.save_file(tensors, str(tmp_path / "w.bsnn"), metadata=metadata)
    with pytest.raises(bsnn.FormatError, match="checksum mismatch"):
        bsnn.Trainer.load_checkpoint(tmp_path / "w.bsnn")


def test_file_without_checksum_loads_only_unverified(tmp_path):
    model = bsnn.MLP(3, 4, 1, 2, "relu", seed=7)
    model.save(tmp_path / "m.bsnn")
    tensors, metadata = read_stock(tmp_path / "m.bsnn")
    del metadata["bsnn.checksum"]
    st_numpy.save_file(tensors, str(tmp_path / "plain.bsnn"), metadata=metadata)
    with pytest.raises(bsnn.FormatError, match="unverified=True"):
        bsnn.load(tmp_path / "plain.bsnn")
    loaded = bsnn.load(tmp_path / "plain.bsnn", unverified=True)
    x = np.ones((2, 3), np.float32)
    assert np.array_equal(loaded.predict(x), model.predict(x))


def test_negative_depth_without_tensors_is_a_format_error(tmp_path):
    """Issue 12 item 1: depth = -2 with no tensors trapped every loader (exit 132)."""
    model = bsnn.MLP(3, 4, 1, 2, "tanh", seed=7)
    model.save(tmp_path / "m.bsnn")
    _, metadata = read_stock(tmp_path / "m.bsnn")
    arch = json.loads(metadata["bsnn.architecture"])
    arch["depth"] = -2
    metadata["bsnn.architecture"] = json.dumps(arch)
    del metadata["bsnn.checksum"]
    st_numpy.save_file({}, str(tmp_path / "depth.bsnn"), metadata=metadata)
    for load in (lambda p: bsnn.load(p, unverified=True), lambda p: bsnn.Trainer.load_checkpoint(p, unverified=True)):
        with pytest.raises(bsnn.FormatError, match=r"depth\.bsnn"):
            load(tmp_path / "depth.bsnn")
    with pytest.raises(bsnn.FormatError, match=r"bsnn\.architecture\.depth"):
        bsnn.load(tmp_path / "depth.bsnn", unverified=True)
