"""Data-parallel training over MPI: N processes, each training on its slice of every
global batch, make the model one process would make with the same ``batch_size``.

Run the script under mpirun; every process builds the same model (same seed) and
trainer, joins the exchange, and fits the whole data set (each takes its own slice)::

    from mpi4py import MPI          # optional: without it, MPI_COMM_WORLD is used
    import bsnn, bsnn.distributed

    with bsnn.distributed.MPIExchange(MPI.COMM_WORLD) as exchange:
        model = bsnn.MLP(784, 256, 20, 10, seed=1)
        trainer = bsnn.Trainer(model, batch_size=64 * exchange.size)   # the global batch
        trainer.set_gradient_exchange(exchange)
        trainer.fit(X, y, epochs=5)
        if exchange.rank == 0:
            model.save("model.safetensors")

The exchange is ``libbsnn_mpi.so`` (built by ``make -C mpi`` and installed by
``scripts/install.sh`` where MPI is present), found through ``$BSNN_MPI_LIBRARY`` or
the loader's path. docs/DISTRIBUTED.md has the protocol, guarantees and costs.
"""
from __future__ import annotations

import ctypes
import os
from ctypes import POINTER, byref, c_char_p, c_double, c_int, c_int32, c_uint64, c_void_p
from typing import Any

from . import _ffi
from .errors import BSNNIOError

__all__ = ["MPIExchange"]


def _load(path: str) -> ctypes.CDLL:
    try:
        lib = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
    except OSError as e:
        raise BSNNIOError(
            f"bsnn.distributed: cannot load {path} ({e}); build it with `make -C mpi` where MPI "
            "is installed and set BSNN_MPI_LIBRARY to it, or install bsnn with "
            "scripts/install.sh on such a machine") from None
    for name, restype, argtypes in [
        ("bsnn_mpi_create_world", c_int, [c_void_p, c_void_p, POINTER(c_void_p)]),
        ("bsnn_mpi_create_fortran", c_int, [c_int, POINTER(c_void_p)]),
        ("bsnn_mpi_exchange", None, [c_void_p, POINTER(_ffi.GradientExchange)]),
        ("bsnn_mpi_rank", c_int, [c_void_p]),
        ("bsnn_mpi_size", c_int, [c_void_p]),
        ("bsnn_mpi_error_message", c_char_p, [c_void_p]),
        ("bsnn_mpi_stats", None, [c_void_p, POINTER(c_double), POINTER(c_uint64), POINTER(c_uint64)]),
        ("bsnn_mpi_barrier", c_int, [c_void_p]),
        ("bsnn_mpi_free", None, [c_void_p]),
    ]:
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


class MPIExchange:
    """The MPI gradient exchange of one process.

    Parameters
    ----------
    comm : mpi4py.MPI.Comm, optional
        The communicator of the run (its Fortran handle, ``comm.py2f()``, crosses to C,
        so no MPI types cross ctypes). None: ``MPI_COMM_WORLD``, initializing MPI if no
        one did (and finalizing it on ``close``).
    library : str, optional
        The path of ``libbsnn_mpi.so`` (default: ``$BSNN_MPI_LIBRARY``, else the
        loader's path).

    Raises
    ------
    BSNNIOError
        The library cannot be loaded, or MPI fails.
    """

    def __init__(self, comm: Any = None, library: str | None = None) -> None:
        self._lib = _load(library or os.environ.get("BSNN_MPI_LIBRARY") or "libbsnn_mpi.so")
        handle = c_void_p()
        if comm is None:
            rc = self._lib.bsnn_mpi_create_world(None, None, byref(handle))
        else:
            rc = self._lib.bsnn_mpi_create_fortran(int(comm.py2f()), byref(handle))
        if rc != 0 or not handle.value:
            raise BSNNIOError(f"bsnn.distributed: creating the MPI exchange failed (MPI error {rc})")
        self._handle: int | None = handle.value
        self._callbacks = _ffi.GradientExchange()
        self._lib.bsnn_mpi_exchange(self._handle, byref(self._callbacks))

    @property
    def rank(self) -> int:
        """This process's rank: its slice of every global batch; rank 0 should save."""
        return int(self._callbacks.rank)

    @property
    def size(self) -> int:
        """The number of processes."""
        return int(self._callbacks.process_count)

    def stats(self) -> dict[str, float]:
        """Seconds waited for gradient sums (communication not hidden behind the
        backward pass), bytes summed and steps, since creation."""
        wait, nbytes, steps = c_double(), c_uint64(), c_uint64()
        self._lib.bsnn_mpi_stats(self._live(), byref(wait), byref(nbytes), byref(steps))
        return {"wait_seconds": wait.value, "bytes": float(nbytes.value), "steps": float(steps.value)}

    def barrier(self) -> None:
        """Waits until every process gets here."""
        if self._lib.bsnn_mpi_barrier(self._live()) != 0:
            raise BSNNIOError(self._lib.bsnn_mpi_error_message(self._handle).decode())

    def close(self) -> None:
        """Frees the exchange (MPI_Finalize if it initialized MPI). A trainer that still
        uses it must have been given ``set_gradient_exchange(None)`` or be done."""
        if self._handle is not None:
            self._lib.bsnn_mpi_free(self._handle)
            self._handle = None

    def _live(self) -> int:
        if self._handle is None:
            raise BSNNIOError("bsnn.distributed: the exchange is closed")
        return self._handle

    def __enter__(self) -> "MPIExchange":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # No MPI_Finalize from a garbage collector: only an explicit close ends MPI.
        pass
