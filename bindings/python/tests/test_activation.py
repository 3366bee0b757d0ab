"""Activations and GPN constants (the paper's Table 1), foreign and Python functions."""
from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

import bsnn

# Table 1 of the paper: a, b (b+ unless stated), to the printed precision.
TABLE1 = [("tanh", 1.4674, 0.3885), ("relu", 1.4142, 0.0), ("leaky_relu", 1.4141, 0.0),
          ("elu", 1.2234, 0.0742), ("selu", 0.9660, 0.2585)]


@pytest.mark.parametrize("name,a,b", TABLE1)
def test_table1_constants(name, a, b):
    act = bsnn.Activation(name)
    assert act.a == pytest.approx(a, abs=1.5e-4)
    assert act.roots.b_plus == pytest.approx(b, abs=1.5e-4)
    g = act.gpn("b+")
    assert g.root == "b+" and g.a == act.a and g.b == act.roots.b_plus


def test_selu_b_between_printed_values():
    assert 0.2584 <= bsnn.Activation("selu").roots.b_plus <= 0.2585


def test_gelu_b_minus():
    g = bsnn.Activation("gelu").gpn(root="b-")
    assert g.root == "b-"
    assert g.a == pytest.approx(1.4915, abs=1e-4)
    assert g.b == pytest.approx(-0.9097, abs=1e-4)


def test_gpn_unit_second_moment():
    for name in ("tanh", "elu", "gelu"):
        act = bsnn.Activation(name)
        m = act.moments
        for b in act.roots:
            assert act.a ** 2 * m.mean_square + 2 * act.a * b * m.mean + b * b == pytest.approx(1, abs=1e-9)
        assert act.a ** 2 * m.derivative_mean_square == pytest.approx(1, abs=1e-9)


def test_call_and_derivative_on_numpy():
    g = bsnn.Activation("tanh").gpn()
    x = np.linspace(-4, 4, 101).reshape(1, 101)
    assert g(x).shape == x.shape and g(x).dtype == np.float32
    np.testing.assert_allclose(g(x), g.a * np.tanh(x) + g.b, rtol=0, atol=2e-6)
    np.testing.assert_allclose(g.derivative(x), g.a * (1 - np.tanh(x) ** 2), rtol=0, atol=2e-6)
    assert bsnn.Activation("relu")([-1.0, 2.0]).tolist() == [0.0, 2.0]


def test_params_and_name():
    act = bsnn.Activation("elu", alpha=0.5)
    assert act.name == "elu" and act.params["alpha"] == 0.5
    with pytest.raises(bsnn.InvalidArgument):
        bsnn.Activation("elu", no_such_parameter=1.0)
    with pytest.raises(bsnn.InvalidArgument):
        bsnn.Activation("tanh").gpn(root="b0")


def test_from_symbol_erf_matches_closed_form():
    # For x ~ N(0,1): E[erf] = 0, E[erf²] = (2/π)·asin(2/3), E[erf'²] = 4/(π√5).
    erf = bsnn.Activation.from_symbol("libm.so.6", "erf", "double(double)")
    m = erf.moments
    assert m.mean == pytest.approx(0, abs=1e-7)
    assert m.mean_square == pytest.approx(2 / math.pi * math.asin(2 / 3), abs=1e-7)
    assert m.derivative_mean_square == pytest.approx(4 / (math.pi * math.sqrt(5)), abs=1e-7)
    a = 1 / math.sqrt(4 / (math.pi * math.sqrt(5)))
    assert erf.a == pytest.approx(a, abs=1e-7)
    assert erf.roots.b_plus == pytest.approx(math.sqrt(1 - a * a * m.mean_square), abs=1e-7)


def test_from_symbol_with_bound_argument():
    # pow(x, 1) through "double(double,double)" is the identity.
    ident = bsnn.Activation.from_symbol("libm.so.6", "pow", "double(double,double)", bound=(1.0,))
    np.testing.assert_array_equal(ident([0.5, 2.0]), np.float32([0.5, 2.0]))


def test_from_python_matches_builtin():
    builtin = bsnn.Activation("tanh")
    py = bsnn.Activation.from_python(math.tanh, lambda x: 1 - math.tanh(x) ** 2)
    for got, want in zip((py.a, *py.roots, *py.moments), (builtin.a, *builtin.roots, *builtin.moments)):
        assert got == pytest.approx(want, abs=1e-7)
    # without a derivative the library differentiates numerically
    numeric = bsnn.Activation.from_python(math.tanh)
    assert numeric.a == pytest.approx(builtin.a, abs=1e-7)
    x = np.linspace(-3, 3, 50, dtype=np.float32)
    np.testing.assert_allclose(py.gpn()(x), builtin.gpn()(x), atol=1e-6)


def test_from_python_exception_reraises():
    calls = []

    def fn(x: float) -> float:
        calls.append(x)
        if len(calls) > 5:
            raise KeyError("from inside φ")
        return math.tanh(x)
    with pytest.raises(KeyError, match="from inside"):
        bsnn.Activation.from_python(fn)
    ok = bsnn.Activation.from_python(lambda x: math.tanh(x) if x < 100 else 1 / 0)
    with pytest.raises(ZeroDivisionError):
        ok(np.array([0.0, 200.0]))
    # the failure does not stick: the next call works
    assert ok(np.array([0.0]))[0] == 0.0


def test_from_plugin(repo: Path):
    plugins = repo / "examples" / "plugins"
    if subprocess.run(["make", "-s", "-C", str(plugins)], capture_output=True).returncode != 0:
        pytest.skip("cannot build the example plugins")
    act = bsnn.Activation.from_plugin(str(plugins / "libsoftclip.so"), "softclip")
    assert act.name == "softclip"
    assert np.isfinite(act.gpn()(np.linspace(-2, 2, 9))).all()
    with pytest.raises(bsnn.InvalidArgument, match="has no activation"):
        bsnn.Activation.from_plugin(str(plugins / "libsoftclip.so"), "no_such_activation")
    with pytest.raises(bsnn.PluginError):
        bsnn.Activation.from_plugin(str(plugins / "missing.so"), "softclip")


def _build_fixture(repo: Path, out: Path, name: str) -> str:
    lib = out / f"lib{name}.so"
    if subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-I", str(repo / "include"), "-o", str(lib),
                       str(repo / "Tests" / "fixtures" / "broken_plugins" / f"{name}.c"), "-lm"],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot build the broken plugin fixtures")
    return str(lib)


def test_validate_plugin_with_sigchld_ignored(repo: Path, tmp_path: Path):
    """A host that ignores SIGCHLD (the kernel then reaps children itself) still gets
    "crashed with SIGSEGV" and early exits told apart, not "exited without a result"."""
    import signal
    segfault = _build_fixture(repo, tmp_path, "segfault")
    exits = _build_fixture(repo, tmp_path, "calls_exit")
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        with pytest.raises(bsnn.PluginError, match="crashed with SIGSEGV"):
            bsnn.validate_plugin(segfault, "segfault", timeout=30)
        with pytest.raises(bsnn.PluginError, match="without a result"):
            bsnn.validate_plugin(exits, "calls_exit", timeout=30)
        with pytest.raises(bsnn.PluginError, match="crashed with SIG"):
            bsnn.validate_foreign("libc.so.6", "environ", "double(double)", timeout=30)
    finally:
        signal.signal(signal.SIGCHLD, previous)


def _ended(pid: int) -> bool:
    """Gone or a zombie; waits up to 10 s for the kill to land (the state is checked)."""
    import time
    for _ in range(1000):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return True
        if stat[stat.rindex(")") + 2] in "ZX":
            return True
        time.sleep(0.01)
    return False


def test_validate_plugin_returns_while_forked_process_lingers(repo: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch):
    lib = _build_fixture(repo, tmp_path, "forks_lingering")
    pid_file = tmp_path / "pid"
    monkeypatch.setenv("BSNN_TEST_PID_FILE", str(pid_file))
    v = bsnn.validate_plugin(lib, "forks_lingering", timeout=30)
    assert v.a > 0 and math.isfinite(v.roots.b_plus)
    assert _ended(int(pid_file.read_text()))


def test_validate_foreign_matches_in_process_constants():
    v = bsnn.validate_foreign("libm.so.6", "erf", "double(double)", timeout=30)
    local = bsnn.Activation.from_symbol("libm.so.6", "erf", "double(double)")
    assert (v.a, v.roots, v.moments) == (local.a, local.roots, local.moments)
    with pytest.raises(bsnn.PluginError, match="no_such_symbol"):
        bsnn.validate_foreign("libm.so.6", "no_such_symbol", timeout=30)
    with pytest.raises(bsnn.InvalidArgument, match="timeout"):
        bsnn.validate_foreign("libm.so.6", "erf", timeout=0)
