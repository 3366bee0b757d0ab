"""One request, four doors: the same network asked for with the library's defaults
through Python, C and the CLI (the Swift door's defaults are checked by
DoorDefaultsTests.swift) must be built bit-identically and, trained on the same data with
the same seed, stay bit-identical: a replay of the same computation, with BLAS on one
thread in every door. The request is a GELU network because its default root (b−, the
paper's Table 1) is the one the doors used to disagree on."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import bsnn

SEED = 5
INPUTS, WIDTH, DEPTH, OUTPUTS = 6, 12, 3, 3


def data() -> tuple[np.ndarray, np.ndarray]:
    # Multiples of 1/8: the CSV text parses to exactly these float32 values.
    rng = np.random.default_rng(11)
    X = (rng.integers(-16, 17, size=(40, INPUTS)) / 8).astype(np.float32)
    y = (np.arange(40) % OUTPUTS).astype(np.int32)
    return X, y


def write_csv(path: Path, X: np.ndarray, y: np.ndarray) -> None:
    with open(path, "w") as f:
        for row, label in zip(X, y):
            f.write(",".join([str(int(label))] + [repr(float(v)) for v in row]) + "\n")


def tensors(path: Path) -> list[np.ndarray]:
    with bsnn.load(path) as m:
        assert m.info.gpn_root == bsnn._ffi.GPN_B_MINUS  # the default root for gelu
        out = []
        for layer in range(m.info.layer_count):
            out += [m.weights(layer), m.bias(layer)]
        return out


def assert_identical(a: list[np.ndarray], b: list[np.ndarray], what: str) -> None:
    assert len(a) == len(b)
    for i, (x, z) in enumerate(zip(a, b)):
        assert x.shape == z.shape and np.array_equal(x, z), f"{what}: tensor {i} differs"


@pytest.fixture
def blas_one_thread():
    before = bsnn.blas_threads()
    bsnn.set_blas_threads(1)
    yield
    bsnn.set_blas_threads(before)


def test_same_request_same_network_through_every_door(tmp_path, repo, cc, blas_one_thread):
    X, y = data()
    csv = tmp_path / "data.csv"
    write_csv(csv, X, y)

    # Python
    model = bsnn.MLP(INPUTS, WIDTH, DEPTH, OUTPUTS, "gelu", seed=SEED)
    model.save(tmp_path / "py-created.safetensors")
    model.fit(X, y, epochs=2, batch_size=8, lr=0.05, seed=SEED, progress=None)
    model.save(tmp_path / "py-trained.safetensors")

    # the explicit request the defaults stand for
    explicit = bsnn.MLP(INPUTS, WIDTH, DEPTH, OUTPUTS, "gelu", gpn="b-", constraint="row_norm",
                        init="orthogonal", bias=True, seed=SEED)
    explicit.save(tmp_path / "explicit-created.safetensors")

    # C
    exe = cc(repo / "bindings" / "python" / "tests" / "c" / "doors.c", "doors")
    subprocess.run([str(exe), str(csv), str(SEED), str(tmp_path / "c-created.safetensors"),
                    str(tmp_path / "c-trained.safetensors")], check=True)

    created = tensors(tmp_path / "py-created.safetensors")
    assert_identical(created, tensors(tmp_path / "explicit-created.safetensors"), "explicit vs default")
    assert_identical(created, tensors(tmp_path / "c-created.safetensors"), "C vs Python, created")
    trained = tensors(tmp_path / "py-trained.safetensors")
    assert not all(np.array_equal(a, b) for a, b in zip(created, trained))  # training moved them
    assert_identical(trained, tensors(tmp_path / "c-trained.safetensors"), "C vs Python, trained")

    # CLI: the binary of the same build (env BSNN, as in tests/cli)
    cli = os.environ.get("BSNN") or next(
        (str(p) for p in (repo / ".build" / "release" / "bsnn-cli", repo / ".build" / "debug" / "bsnn-cli")
         if p.is_file()), None)
    if cli is None:
        pytest.skip("no bsnn CLI binary (set BSNN): the Python and C doors agreed")
    out = tmp_path / "cli-trained.safetensors"
    subprocess.run([cli, "train", "--data", str(csv), "--depth", str(DEPTH), "--width", str(WIDTH),
                    "--activation", "gelu", "--lr", "0.05", "--batch", "8", "--epochs", "2",
                    "--seed", str(SEED), "--threads", "1", "--out", str(out)],
                   check=True, capture_output=True)
    assert_identical(trained, tensors(out), "CLI vs Python, trained")


def test_residual_and_dropout_request_is_the_same_through_python_and_the_cli(tmp_path, repo, blas_one_thread):
    """Learnable residual scales and dropout: the Python and CLI doors build and train the
    same network bit for bit (the dropout masks come from the training seed in both)."""
    X, y = data()
    csv = tmp_path / "data.csv"
    write_csv(csv, X, y)
    model = bsnn.MLP(INPUTS, WIDTH, DEPTH, OUTPUTS, "gelu", seed=SEED, residual=True,
                     residual_scale="learnable", dropout=0.25)
    model.fit(X, y, epochs=2, batch_size=8, lr=0.05, seed=SEED, progress=None)
    model.save(tmp_path / "py.safetensors")
    assert np.all(model.residual_scales() != 0)
    cli = os.environ.get("BSNN") or next(
        (str(p) for p in (repo / ".build" / "release" / "bsnn-cli", repo / ".build" / "debug" / "bsnn-cli")
         if p.is_file()), None)
    if cli is None:
        pytest.skip("no bsnn CLI binary (set BSNN)")
    out = tmp_path / "cli.safetensors"
    subprocess.run([cli, "train", "--data", str(csv), "--depth", str(DEPTH), "--width", str(WIDTH),
                    "--activation", "gelu", "--lr", "0.05", "--batch", "8", "--epochs", "2",
                    "--seed", str(SEED), "--threads", "1", "--residual", "--residual-scale", "learnable",
                    "--dropout", "0.25", "--no-test", "--out", str(out)],
                   check=True, capture_output=True)
    assert_identical(tensors(tmp_path / "py.safetensors"), tensors(out), "CLI vs Python, trained")
    with bsnn.load(out) as m:
        assert np.array_equal(m.residual_scales(), model.residual_scales())
        assert (m.residual, m.residual_scale, m.dropout) == (True, "learnable", 0.25)
