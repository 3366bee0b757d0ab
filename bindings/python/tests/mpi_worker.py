"""One process of tests/test_distributed.py's mpirun: every rank fits the same model on
the same data through bsnn.distributed (through mpi4py's COMM_WORLD when mpi4py is
importable and argv[1] is "mpi4py", else the library's own MPI_COMM_WORLD) and writes its
weights to argv[2].RANK.npy; rank 0 also trains the single-process reference into
argv[2].single.npy and a NaN step is checked on every rank."""
import json
import sys

import numpy as np

import bsnn
import bsnn.distributed

comm = None
if sys.argv[1] == "mpi4py":
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
out = sys.argv[2]

rng = np.random.default_rng(5)
X = rng.standard_normal((300, 8)).astype(np.float32)
y = ((X[:, 0] > 0).astype(np.int32) + (X[:, 1] > 0.4)).astype(np.int32)


def weights(model):
    return np.concatenate([model.weights(l).ravel() for l in range(model.layer_count)])


with bsnn.distributed.MPIExchange(comm) as exchange:
    model = bsnn.MLP(8, 24, 12, 3, seed=2)
    trainer = bsnn.Trainer(model, batch_size=16 * exchange.size, lr=0.05)
    trainer.set_gradient_exchange(exchange)
    history = trainer.fit(X, y, epochs=2)
    np.save(f"{out}.{exchange.rank}.npy", weights(model))
    # A NaN feature on rank 1 only: every rank's step fails, no weights change.
    before = weights(model)
    Xb = X[:16].copy()
    if exchange.rank == 1:
        Xb[0, 0] = np.nan
    errors = []
    try:
        trainer.step(Xb, y[:16])
    except bsnn.NumericError as e:
        errors.append(str(e))
    unchanged = bool(np.array_equal(before, weights(model)))
    stats = exchange.stats()
    if exchange.rank == 0:
        single = bsnn.MLP(8, 24, 12, 3, seed=2)
        bsnn.Trainer(single, batch_size=16 * exchange.size, lr=0.05).fit(X, y, epochs=2)
        np.save(f"{out}.single.npy", weights(single))
    print(json.dumps({"rank": exchange.rank, "size": exchange.size, "errors": errors, "unchanged": unchanged,
                      "bytes": stats["bytes"], "steps": stats["steps"]}))
