"""Regenerates the model and checkpoint seeds of fuzz/corpus/safetensors with bsnn
itself (small networks, so each seed stays a few kB). Run: python3 fuzz/make_corpus.py"""
from pathlib import Path

import numpy as np

import bsnn

out = Path(__file__).resolve().parent / "corpus" / "safetensors"
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(0)
X = rng.standard_normal((32, 4)).astype(np.float32)
y = (np.arange(32) % 3).astype(np.int32)
for name, act, gpn, opt, constraint, bias in [
        ("tanh", "tanh", True, "momentum", "row_norm", True),
        ("relu_nobias", "relu", "b-", "adam", "orthogonal", False),
        ("elu_plain", "elu", False, "sgd", "none", True)]:
    m = bsnn.MLP(4, 6, 2, 3, act, gpn=gpn, constraint=constraint, bias=bias, seed=1)
    t = bsnn.Trainer(m, batch_size=8, optimizer=opt, lr=0.01, seed=2)
    t.fit(X, y, epochs=1, progress=None)
    m.save(out / f"model_{name}.safetensors")
    t.save_checkpoint(out / f"checkpoint_{name}.safetensors")
