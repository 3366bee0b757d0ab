"""Prints ‖A − B‖/‖B‖ over every layer's weights of two bsnn model files and exits 1
when it is above the bound: `python3 compare_models.py A B BOUND`."""
import sys

import numpy as np

import bsnn

a, b = bsnn.load(sys.argv[1]), bsnn.load(sys.argv[2])
bound = float(sys.argv[3])
wa = np.concatenate([a.weights(l).ravel() for l in range(a.layer_count)])
wb = np.concatenate([b.weights(l).ravel() for l in range(b.layer_count)])
rel = float(np.linalg.norm(wa - wb) / np.linalg.norm(wb))
print(f"||A-B||/||B|| = {rel:.3g} (bound {bound:g})")
sys.exit(0 if rel <= bound else 1)
