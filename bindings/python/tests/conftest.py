"""Shared fixtures: the repository, a C compiler line against the library the package
loaded (so C and Python use the same build), Fashion-MNIST subsets."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import bsnn

REPO = Path(__file__).resolve().parents[3]
FASHION = Path("/usr/share/datasets/fashion-mnist")


def _lib_dir() -> str:
    return str(Path(bsnn.library_path).resolve().parent)


@pytest.fixture(scope="session")
def repo() -> Path:
    if not (REPO / "include" / "bsnn.h").is_file():
        pytest.skip("tests need the bsnn repository (include/bsnn.h)")
    return REPO


@pytest.fixture(scope="session")
def cc(repo: Path, tmp_path_factory: pytest.TempPathFactory):
    """compile(source, name) -> executable path, linked against the loaded libbsnn.so."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler")
    out = tmp_path_factory.mktemp("cbin")
    libdir = _lib_dir()

    # The executable records the library's SONAME (libbsnn.so.0 in release builds), so
    # that name must resolve to the very file the package loaded: a link beside them.
    soname = out / "libbsnn.so.0"
    if not soname.exists():
        soname.symlink_to(Path(bsnn.library_path).resolve())

    def compile(source: Path, name: str) -> Path:
        exe = out / name
        # The library the Python package loaded, by path: same build on both sides.
        subprocess.run([compiler, "-std=c11", "-O1", "-I", str(repo / "include"), "-o",
                        str(exe), str(source), bsnn.library_path,
                        f"-Wl,-rpath,{out}", f"-Wl,-rpath,{libdir}", "-lm"], check=True)
        return exe
    return compile


@pytest.fixture(scope="session")
def fashion_small():
    if not FASHION.is_dir():
        pytest.skip("Fashion-MNIST not installed (dataset-fashion-mnist)")
    X, y = bsnn.datasets.fashion_mnist("train", limit=2000)
    return X, y
