"""Reading the API: Literal names that mypy checks (and that match the library's
lists), numpydoc sections on every public function, a mypy-clean package."""
from __future__ import annotations

import importlib
import inspect
import os
import site
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

import bsnn
import bsnn.callbacks
import bsnn.datasets
from bsnn import _ffi, types


def test_literal_names_are_the_librarys():
    assert list(get_args(types.ActivationName)) == bsnn.builtin_names()
    assert set(get_args(types.ConstraintName)) == set(_ffi.CONSTRAINT)
    assert set(get_args(types.InitName)) == set(_ffi.INIT)
    assert set(get_args(types.OptimizerName)) == set(_ffi.OPTIMIZER)
    assert set(get_args(types.LossName)) == set(_ffi.LOSS)
    assert set(get_args(types.ScheduleName)) == set(_ffi.SCHEDULE)
    assert set(get_args(types.UpdateModeName)) == set(_ffi.UPDATE_MODE)
    assert set(get_args(types.NormName)) == set(_ffi.NORM)
    from bsnn.scaling import METHODS
    assert set(get_args(types.ScalingName)) == set(METHODS)


def _public_functions():
    modules = [bsnn, bsnn.callbacks, bsnn.datasets]
    try:
        modules.append(importlib.import_module("bsnn.sklearn"))
    except ImportError:  # scikit-learn not installed: test_sklearn says so
        pass
    for mod in modules:
        for name in getattr(mod, "__all__", [n for n in dir(mod) if not n.startswith("_")]):
            obj = getattr(mod, name)
            if inspect.ismodule(obj) or getattr(obj, "__module__", "").split(".")[0] != "bsnn":
                continue
            yield f"{mod.__name__}.{name}", obj
            if inspect.isclass(obj):
                for key, value in vars(obj).items():
                    fn = getattr(value, "__func__", value)
                    fn = fn.fget if isinstance(fn, property) else fn
                    if not key.startswith("_") and (inspect.isfunction(fn)):
                        yield f"{mod.__name__}.{name}.{key}", fn


def test_every_public_function_and_class_is_documented():
    undocumented, no_parameters = [], []
    for name, obj in _public_functions():
        doc = inspect.getdoc(obj) or ""
        if not doc:
            undocumented.append(name)
        if inspect.isfunction(obj):
            params = [p for p in inspect.signature(obj).parameters if p not in ("self", "cls", "logs")]
            if params and "Parameters\n" not in doc and "As in" not in doc:
                no_parameters.append(name)
    assert undocumented == [] and no_parameters == []


def _mypy(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    pytest.importorskip("mypy", reason="mypy is not installed (pip install mypy)")
    package_root = str(Path(bsnn.__file__).resolve().parent.parent)
    installed = {str(Path(p).resolve()) for p in site.getsitepackages() + [site.getusersitepackages()]}
    env = dict(os.environ)
    # An installed package is found through site-packages (it ships py.typed); a checkout
    # on PYTHONPATH through MYPYPATH (mypy refuses site-packages there). The working
    # directory is the test's own: in site-packages, mypy would take its neighbours
    # (typing_extensions.py, ...) for files that shadow library modules.
    if package_root not in installed:
        env["MYPYPATH"] = package_root
    return subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"),
                           "--no-color-output", *args], capture_output=True, text=True,
                          cwd=tmp_path, env=env)


def test_mypy_catches_a_misspelt_name(tmp_path: Path):
    snippet = tmp_path / "typo.py"
    snippet.write_text(
        "import bsnn\n"
        "m = bsnn.MLP(4, 8, 2, 3, 'tahn')\n"                      # line 2
        "m2 = bsnn.MLP(4, 8, 2, 3, 'tanh', constraint='row_norms')\n"  # line 3
        "t = bsnn.Trainer(m, optimizer='adamw')\n"                # line 4
        "m.fit([[0.0] * 4], [0], epochs=1, progress='bar')\n"     # line 5
        "a = bsnn.Activation('gelu').gpn('b0')\n")                # line 6
    r = _mypy(tmp_path, str(snippet))
    assert r.returncode == 1, r.stdout + r.stderr
    lines = {int(l.split(":")[1]) for l in r.stdout.splitlines() if ": error:" in l}
    assert lines == {2, 3, 4, 5, 6}, r.stdout
    assert "'tahn'" in r.stdout


def test_mypy_accepts_correct_use(tmp_path: Path):
    snippet = tmp_path / "ok.py"
    snippet.write_text(
        "import numpy as np\n"
        "import bsnn\n"
        "from bsnn.callbacks import EarlyStopping\n"
        "m = bsnn.MLP(4, 8, 2, 3, 'gelu', gpn='b-', constraint='orthogonal', init='he')\n"
        "h: bsnn.History = m.fit(np.zeros((8, 4), np.float32), np.zeros(8, np.int32), epochs=2,\n"
        "                        optimizer='adam', loss='cross_entropy', validation_split=0.25,\n"
        "                        callbacks=[EarlyStopping(patience=1)], progress=None)\n"
        "p: np.ndarray = m.predict(np.zeros((1, 4)))\n"
        "t = bsnn.Trainer(m, optimizer='nesterov')\n")
    r = _mypy(tmp_path, str(snippet))
    assert r.returncode == 0, r.stdout + r.stderr


def test_package_is_mypy_clean(tmp_path: Path):
    r = _mypy(tmp_path, "-p", "bsnn")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Success" in r.stdout
