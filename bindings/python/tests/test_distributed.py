"""bsnn.distributed: 2 processes under mpirun train the model one process trains with the
same global batch (within 1e-5 relative), bit-identical on both ranks; a NaN on one rank
fails the step on both with NumericError; through mpi4py's communicator and without it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import bsnn.distributed

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def mpi_library(repo, tmp_path_factory) -> str:
    if not (shutil.which("mpicc") and shutil.which("mpirun")):
        pytest.skip("mpicc/mpirun not found (Debian: openmpi-bin libopenmpi-dev)")
    out = tmp_path_factory.mktemp("mpi")
    subprocess.run(["make", "-s", "-C", str(repo / "mpi"), f"OUT={out}"], check=True)
    return str(out / "libbsnn_mpi.so")


def mpi4py_available() -> bool:
    try:
        import mpi4py  # noqa: F401
        return True
    except ImportError:
        return False


@pytest.mark.parametrize("communicator", ["world", "mpi4py"])
def test_two_processes_train_the_single_process_model(mpi_library, tmp_path, communicator):
    if communicator == "mpi4py" and not mpi4py_available():
        pytest.skip("mpi4py is not installed")
    env = dict(os.environ, BSNN_MPI_LIBRARY=mpi_library)
    out = tmp_path / "w"
    run = subprocess.run(
        ["mpirun", "--allow-run-as-root", "--oversubscribe", "--mca", "btl", "self,vader", "-np", "2",
         sys.executable, str(HERE / "mpi_worker.py"), communicator, str(out)],
        capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    reports = sorted((json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")),
                     key=lambda r: r["rank"])
    assert [r["rank"] for r in reports] == [0, 1] and all(r["size"] == 2 for r in reports)
    w0, w1 = np.load(f"{out}.0.npy"), np.load(f"{out}.1.npy")
    single = np.load(f"{out}.single.npy")
    assert np.array_equal(w0, w1), "ranks differ"
    rel = np.linalg.norm(w0 - single) / np.linalg.norm(single)
    assert rel < 1e-5, rel
    for r in reports:
        assert len(r["errors"]) == 1 and r["unchanged"], r
        assert r["bytes"] > 0 and r["steps"] == 21  # 2 epochs of ceil(300 / 32) steps, then the NaN step
    assert "NaN" in reports[1]["errors"][0] and "another process" in reports[0]["errors"][0]


def test_a_missing_library_is_a_clear_error(tmp_path):
    with pytest.raises(bsnn.BSNNIOError, match="make -C mpi"):
        bsnn.distributed.MPIExchange(library=str(tmp_path / "nope.so"))
