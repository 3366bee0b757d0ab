"""The ctypes layer: declarations cover the header, versions, loader errors, zero-copy."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import bsnn
from bsnn import _arrays, _ffi


def header_functions(repo: Path) -> set[str]:
    text = re.sub(r"/\*.*?\*/", "", (repo / "include" / "bsnn.h").read_text(), flags=re.S)
    return set(re.findall(r"BSNN_API[^;]*?\b(bsnn_[a-z0-9_]+)\s*\(", text))


def test_every_header_function_is_declared_once(repo):
    declared = header_functions(repo)
    # 72 in 0.1 + bsnn_foreign_validate_isolated + the 4 feature-scaling calls of ABI 2
    # + the 3 export accessors (effective weights, model activation, activation source)
    # + bsnn_model_release_workspace of ABI 3 + the 5 in-memory file calls
    # + bsnn_model_normalization, bsnn_trainer_last_gradient_norm,
    # bsnn_trainer_early_stopping_result, bsnn_model_get_regularization and
    # bsnn_model_get_residual_scale, bsnn_recipe_apply, the 4 monitor calls and
    # bsnn_trainer_set_gradient_exchange (0.2)
    assert len(declared) == 97
    assert declared == set(_ffi._SIGNATURES)
    for name in declared:
        fn = getattr(_ffi.lib, name)
        assert fn.argtypes is not None, name


def test_status_functions_have_errcheck(repo):
    text = re.sub(r"/\*.*?\*/", "", (repo / "include" / "bsnn.h").read_text(), flags=re.S)
    for name in re.findall(r"BSNN_API bsnn_status (bsnn_[a-z0-9_]+)\(", text):
        assert getattr(_ffi.lib, name).errcheck is _ffi._errcheck, name


def test_version_matches_header_and_pyproject(repo):
    header = (repo / "include" / "bsnn.h").read_text()
    version = re.search(r'#define BSNN_VERSION_STRING "(.*)"', header).group(1)
    assert bsnn.__version__ == version == _ffi.HEADER_VERSION
    pyproject = (repo / "bindings" / "python" / "pyproject.toml").read_text()
    assert f'version = "{version}"' in pyproject
    abi = int(re.search(r"#define BSNN_ABI_VERSION (\d+)", header).group(1))
    assert _ffi.lib.bsnn_abi_version() == abi == _ffi.HEADER_ABI_VERSION


def test_python_m_bsnn_prints_version_and_path():
    out = subprocess.run([sys.executable, "-m", "bsnn"], capture_output=True, text=True,
                         check=True).stdout
    assert f"bsnn {bsnn.__version__}" in out
    assert bsnn.library_path in out


def test_loader_reports_every_path_tried(tmp_path):
    bogus = tmp_path / "nope" / "libbsnn.so"
    env = dict(os.environ, BSNN_LIBRARY=str(bogus))
    r = subprocess.run([sys.executable, "-c", "import bsnn"], capture_output=True, text=True,
                       env=env)
    assert r.returncode != 0
    assert str(bogus) in r.stderr and "does not exist" in r.stderr
    assert "BSNN_LIBRARY" in r.stderr


def test_loader_honours_bsnn_library(tmp_path):
    env = dict(os.environ, BSNN_LIBRARY=bsnn.library_path)
    out = subprocess.run([sys.executable, "-c", "import bsnn; print(bsnn.library_path)"],
                         capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == bsnn.library_path


def test_loader_candidate_order(monkeypatch):
    from bsnn import _libpath
    monkeypatch.setenv("BSNN_LIBRARY", "/x/libbsnn.so")
    origins = [origin for _, origin in _libpath.candidates()]
    assert origins[:2] == ["$BSNN_LIBRARY", "package directory"]
    assert origins.index("/usr/local/lib") > origins.index("package directory")


def test_contiguous_float32_is_not_copied():
    x = np.ones((5, 3), np.float32)
    assert _arrays.features(x, 3) is x
    y = np.arange(5, dtype=np.int32)
    assert _arrays.labels(y, 5, 10) is y
    # other dtypes / layouts: converted once, to the right thing
    converted = _arrays.features(np.ones((5, 3), np.float64), 3)
    assert converted.dtype == np.float32 and converted.flags.c_contiguous
    strided = _arrays.features(np.ones((3, 5), np.float32).T, 3)
    assert strided.flags.c_contiguous and strided.shape == (5, 3)


def test_array_validation_errors():
    with pytest.raises(bsnn.ShapeError, match=r"\(count, 3\)"):
        _arrays.features(np.ones((5, 4), np.float32), 3)
    with pytest.raises(bsnn.InvalidArgument, match="numeric"):
        _arrays.features(np.array([["a", "b", "c"]]), 3)
    with pytest.raises(bsnn.NumericError, match="sample 1"):
        _arrays.features(np.array([[0, 0, 0], [0, np.nan, 0]], np.float32), 3, check_finite=True)
    with pytest.raises(bsnn.InvalidArgument, match=r"0\.\.9"):
        _arrays.labels(np.array([0, 10]), 2, 10)
    with pytest.raises(bsnn.ShapeError):
        _arrays.labels(np.array([0, 1, 2]), 2, 10)


def test_features_bitmask():
    f = bsnn.features()
    assert set(f) == {"plugins", "ffi", "threaded_blas"}
    assert f["ffi"]


def test_blas_threads_roundtrip():
    before = bsnn.blas_threads()
    bsnn.set_blas_threads(1)
    assert bsnn.blas_threads() == 1
    bsnn.set_blas_threads(before)
    with pytest.raises(bsnn.InvalidArgument):
        bsnn.set_blas_threads(0)


def test_changes_from_inside_fit_are_refused():
    """One change at a time per network: fit and set_weights called from fit's own
    callback raise WrongState (they used to corrupt the heap or trap), and the model
    trains normally afterwards."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((32, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int32)
    model = bsnn.MLP(4, 8, 2, 2, "tanh", seed=1)
    trainer = bsnn.Trainer(model, batch_size=8)
    seen = []

    def nested(_info):
        if not seen:
            for attempt in (lambda: trainer.fit(X, y, progress=None),
                            lambda: model.set_weights(1, model.weights(1))):
                try:
                    attempt()
                    seen.append("accepted")
                except bsnn.WrongState as error:
                    seen.append(str(error))
        return False

    trainer.fit(X, y, callback=nested, progress=None)
    assert len(seen) == 2 and all("re-entrantly" in s for s in seen), seen
    before = model.weights(1)
    trainer.fit(X, y, epochs=2, progress=None)  # epochs is the total to reach
    assert not np.array_equal(before, model.weights(1))
