"""Small synthetic data sets shared by the tests (a module, not a fixture, so that
parametrize lists can call them too)."""
from __future__ import annotations

import numpy as np


def blobs(n: int = 128, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three well-separated classes in 6 dimensions: class c adds 2 to feature c."""
    r = np.random.default_rng(seed)
    y = np.arange(n, dtype=np.int32) % 3
    X = r.normal(0, 0.7, (n, 6)).astype(np.float32)
    X[np.arange(n), y] += 2
    return X, y
