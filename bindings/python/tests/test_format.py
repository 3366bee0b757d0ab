"""docs/FORMAT.md is enough to rebuild a network: its recipe (the fenced block after
`<!-- format-recipe -->`, executed as written, plain numpy) reads saved models and must
give MLP.predict's logits, for every builtin activation, GPN or plain, each
constraint, with and without biases, trained or not."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import bsnn

DOC = Path(__file__).resolve().parents[3] / "docs" / "FORMAT.md"


@pytest.fixture(scope="module")
def recipe() -> dict:
    if not DOC.is_file():
        pytest.skip("tests need the repository's docs/FORMAT.md")
    block = re.search(r"<!-- format-recipe -->\s*```python\n(.*?)```", DOC.read_text(), re.S)
    assert block, "docs/FORMAT.md lost its recipe block"
    namespace: dict = {}
    exec(compile(block.group(1), str(DOC), "exec"), namespace)
    return namespace


def agree(ours: np.ndarray, reference: np.ndarray) -> float:
    """Largest difference relative to the logits' magnitude (bsnn runs in float32)."""
    return float(np.abs(ours - reference).max() / max(1.0, np.abs(reference).max()))


@pytest.mark.parametrize("activation", bsnn.builtin_names())
@pytest.mark.parametrize("gpn", [True, False])
def test_recipe_matches_predict_for_every_builtin(recipe, tmp_path, activation, gpn):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((64, 9)).astype(np.float32)
    model = bsnn.MLP(9, 16, 3, 4, activation, gpn=gpn, seed=4)
    # Rows of V far from unit norm, so reading V as W would be caught.
    for l in range(1, 4):
        model.set_weights(l, model.weights(l) * rng.uniform(0.2, 5.0, (16, 1)).astype(np.float32))
    path = tmp_path / "m.bsnn"
    model.save(path)
    net = recipe["load_network"](str(path))
    assert agree(recipe["logits"](net, X), model.predict(X)) < 1e-5


@pytest.mark.parametrize("constraint", ["row_norm", "orthogonal", "none"])
@pytest.mark.parametrize("bias", [True, False])
def test_recipe_on_a_trained_model(recipe, tmp_path, fashion_small, constraint, bias):
    X, y = fashion_small
    model = bsnn.MLP(784, 32, 4, 10, "tanh", constraint=constraint, bias=bias, seed=2)
    model.fit(X[:1000], y[:1000], epochs=1, batch_size=50, lr=0.02, seed=1, progress=None)
    path = tmp_path / "m.bsnn"
    model.save(path)
    net = recipe["load_network"](str(path))
    assert agree(recipe["logits"](net, X[1000:1500]), model.predict(X[1000:1500])) < 1e-5
    if constraint == "row_norm":
        v = model.weights(2)
        assert not np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-3), "training left V on the unit sphere"


def test_recipe_applies_the_recorded_feature_scaling(recipe, tmp_path):
    rng = np.random.default_rng(5)
    raw = (rng.standard_normal((40, 6)) * 3 + 7).astype(np.float32)
    scaling = bsnn.FeatureScaling("standardize", raw.mean(0), 1 / raw.std(0))
    model = bsnn.MLP(6, 8, 2, 3, "selu", seed=9, feature_scaling=scaling)
    model.save(tmp_path / "m.bsnn")
    net = recipe["load_network"](str(tmp_path / "m.bsnn"))
    expected = model.predict(model.feature_scaling.apply(raw))
    assert agree(recipe["logits"](net, raw, raw_features=True), expected) < 1e-5


def test_recipe_checksum_is_the_files_and_catches_a_flipped_bit(recipe, tmp_path):
    model = bsnn.MLP(5, 6, 1, 2, "relu", seed=1)
    path = tmp_path / "m.bsnn"
    model.save(path)
    meta, _, header, buf = recipe["read_safetensors"](str(path))
    assert re.fullmatch(r"[0-9a-f]{8}", meta["bsnn.checksum"])
    assert recipe["canonical_checksum"](meta, header, buf) == meta["bsnn.checksum"]
    damaged = bytearray(buf)
    damaged[len(damaged) // 2] ^= 0x01
    assert recipe["canonical_checksum"](meta, header, bytes(damaged)) != meta["bsnn.checksum"]
    with open(path, "r+b") as f:  # and bsnn agrees that such a file is corrupted
        f.seek(-len(buf) + len(buf) // 2, 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0x01]))
    with pytest.raises(bsnn.FormatError, match="checksum mismatch"):
        bsnn.load(path)


@pytest.mark.parametrize("residual_scale", [0.5, "learnable"])
def test_recipe_follows_residual_links_and_ignores_dropout(recipe, tmp_path, residual_scale):
    X, y = np.random.default_rng(3).standard_normal((96, 9)).astype(np.float32), np.arange(96, dtype=np.int32) % 4
    model = bsnn.MLP(9, 16, 3, 4, "tanh", seed=4, residual=True, residual_scale=residual_scale, dropout=0.2)
    model.fit(X, y, epochs=2, batch_size=16, lr=0.05, seed=1, progress=None)  # moves learnable α off 0
    path = tmp_path / "m.bsnn"
    model.save(path)
    net = recipe["load_network"](str(path))
    assert agree(recipe["logits"](net, X), model.predict(X)) < 1e-5
