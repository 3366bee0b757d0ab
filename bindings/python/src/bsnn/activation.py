"""Activations: builtins, plugins, foreign C symbols and Python callables, and their
Gaussian-Poincaré normalization (GPN) a·φ+b."""
from __future__ import annotations

import ctypes
import math
from collections import namedtuple
from typing import Any, Callable, Iterable, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _ffi
from ._ffi import lib
from .errors import InvalidArgument
from .types import ActivationName, RootName

Moments = namedtuple("Moments", ["mean", "mean_square", "derivative_mean_square"])
Moments.__doc__ = "Gaussian moments of the base φ over x ~ N(0,1): E[φ], E[φ²], E[φ'²]."
Roots = namedtuple("Roots", ["b_plus", "b_minus"])
Roots.__doc__ = "The two GPN offsets: b+ (non-negative mean) and b- (non-positive mean)."

_ROOTS = {"b+": _ffi.GPN_B_PLUS, "b-": _ffi.GPN_B_MINUS, "default": _ffi.GPN_DEFAULT,
          None: _ffi.GPN_NONE, "none": _ffi.GPN_NONE}
_ROOT_NAMES = {_ffi.GPN_NONE: None, _ffi.GPN_B_PLUS: "b+", _ffi.GPN_B_MINUS: "b-"}


def root_code(root: str | None) -> int:
    """'b+' / 'b-' / None → bsnn_gpn_root."""
    try:
        return _ROOTS[root]
    except (KeyError, TypeError):
        raise InvalidArgument(f"root must be 'b+', 'b-', 'default' or None, got {root!r}") from None


PluginValidation = namedtuple("PluginValidation", ["a", "roots", "moments"])
PluginValidation.__doc__ = "GPN constants of a plugin activation, computed in a child process."


def _timeout_ms(timeout: float) -> int:
    try:
        ms = math.ceil(float(timeout) * 1000)
    except (TypeError, ValueError, OverflowError):
        raise InvalidArgument(f"timeout must be a number of seconds, got {timeout!r}") from None
    if not 1 <= ms <= 86_400_000:
        raise InvalidArgument(f"timeout must be between 0.001 and 86400 seconds, got {timeout!r}")
    return ms


def _validation(c: _ffi.GPNConstants) -> PluginValidation:
    return PluginValidation(c.a, Roots(c.b_plus, c.b_minus),
                            Moments(c.mean, c.mean_square, c.derivative_mean_square))


def validate_foreign(library: str, symbol: str, signature: str = "double(double)",
                     bound: Iterable[float] = (), timeout: float = 10.0) -> PluginValidation:
    """``validate_plugin`` for ``Activation.from_symbol``: creates and evaluates the C
    function in a forked child, so a symbol that is not such a function (a data symbol
    such as ``libc.so.6:environ``) raises :class:`PluginError` instead of crashing the
    interpreter.

    Parameters
    ----------
    library, symbol, signature, bound
        As in ``Activation.from_symbol``.
    timeout : float
        Seconds the child may take.

    Returns
    -------
    PluginValidation
        (a, roots, moments) computed in the child.

    Raises
    ------
    PluginError
        The child crashed (the signal is named), timed out, or the symbol is invalid.
    """
    ms = _timeout_ms(timeout)
    values = [float(b) for b in bound]
    array = (ctypes.c_double * len(values))(*values) if values else None
    c = _ffi.GPNConstants()
    lib.bsnn_foreign_validate_isolated(str(library).encode(), str(symbol).encode(),
                                       str(signature).encode(),
                                       ctypes.cast(array, ctypes.c_void_p) if array else None,
                                       len(values), ms, ctypes.byref(c))
    return _validation(c)


def validate_plugin(path: str, name: str, timeout: float = 10.0,
                    **params: float) -> PluginValidation:
    """Loads the plugin at `path` in a forked child process, evaluates activation `name`
    there (validation grid and GPN quadrature) and returns its constants.

    Raises :class:`PluginError` with "crashed with SIGSEGV" (or the signal's name) when
    the child dies (also when SIGCHLD is ignored), or "timed out after N s" when it runs
    longer than `timeout` seconds (it and what it forked are killed); an invalid plugin
    raises what ``Activation.from_plugin`` would.

    Parameters
    ----------
    path : str
        The plugin shared object.
    name : str
        The activation's name in the plugin.
    timeout : float
        Seconds the child may take.
    **params : float
        The activation's parameters.

    Returns
    -------
    PluginValidation
        (a, roots, moments) computed in the child.

    Raises
    ------
    PluginError
        Crash, timeout or invalid plugin.
    """
    ms = _timeout_ms(timeout)
    names, values, count, keep = _ffi.name_array(params)
    c = _ffi.GPNConstants()
    lib.bsnn_plugin_validate_isolated(str(path).encode(), str(name).encode(), names, values,
                                      count, ms, ctypes.byref(c))
    del keep
    return _validation(c)


def builtin_names() -> list[str]:
    """Names accepted by ``Activation(name)`` (``bsnn.types.ActivationName``).

    Returns
    -------
    list of str
    """
    return [lib.bsnn_builtin_name(i).decode() for i in range(lib.bsnn_builtin_count())]


class Activation:
    """An activation φ, optionally GPN-normalized to a·φ+b.

    ``Activation("tanh")`` or ``Activation("elu", alpha=1.0)`` makes a builtin;
    ``.gpn(root="b+")`` returns the normalized copy. Calling it on an array evaluates it
    elementwise in float32. Free the C handle with ``close()`` or a ``with`` block;
    models made from it keep their own copy.

    Parameters
    ----------
    name : str
        A builtin function (see `builtin_names`; ``bsnn.types.ActivationName``).
    **params : float
        Its named parameters (e.g. ``alpha`` of "elu", "leaky_relu").

    Raises
    ------
    InvalidArgument
        An unknown name or parameter.
    """

    def __init__(self, name: ActivationName, **params: float) -> None:
        names, values, count, keep = _ffi.name_array(params)
        out = _ffi.out_handle()
        lib.bsnn_activation_create_builtin(str(name).encode(), names, values, count,
                                           ctypes.byref(out))
        del keep
        self._init_handle(out)

    # Constructors bypassing __init__ share this.
    def _init_handle(self, out: ctypes.c_void_p, keepalive: Any = None) -> None:
        self._handle = _ffi.Handle("activation", out)
        # CFUNCTYPE objects (from_python) must outlive every C object that may call
        # them: this activation and the models made from it, which reference `self`.
        self._keepalive = keepalive
        self._constants: _ffi.GPNConstants | None = None

    @classmethod
    def _wrap(cls, out: ctypes.c_void_p, keepalive: Any = None) -> "Activation":
        self = cls.__new__(cls)
        self._init_handle(out, keepalive)
        return self

    @classmethod
    def from_plugin(cls, path: str, name: str, *, isolated: bool = False,
                    timeout: float = 10.0, **params: float) -> "Activation":
        """Activation `name` of the plugin shared object at `path` (see docs/PLUGINS.md).

        With ``isolated=True`` the plugin is first validated in a child process (see
        :func:`validate_plugin`): a plugin that crashes or hangs while being evaluated
        raises :class:`PluginError` instead of killing Python. Only that first contact
        is protected; a plugin that passes and crashes later, in training, still takes
        the process down.

        Parameters
        ----------
        path : str
            The plugin shared object.
        name : str
            The activation's name in the plugin.
        isolated : bool
            Validate in a child process first.
        timeout : float
            Seconds the isolated validation may take.
        **params : float
            The activation's parameters.

        Returns
        -------
        Activation

        Raises
        ------
        PluginError
            The plugin cannot be loaded, lacks `name`, or fails validation.
        """
        if isolated:
            validate_plugin(path, name, timeout=timeout, **params)
        names, values, count, keep = _ffi.name_array(params)
        out = _ffi.out_handle()
        lib.bsnn_activation_create_plugin(str(path).encode(), str(name).encode(), names,
                                          values, count, ctypes.byref(out))
        del keep
        return cls._wrap(out)

    @classmethod
    def from_symbol(cls, library: str, symbol: str, signature: str = "double(double)",
                    bound: Iterable[float] = ()) -> "Activation":
        """A plain C function called through libffi, e.g.
        ``from_symbol("libm.so.6", "erf", "double(double)")``.

        Parameters
        ----------
        library : str
            The shared library (a path or a soname).
        symbol : str
            The function's symbol.
        signature : str
            Its C signature, x first: "double(double)", "float(float)",
            "double(double, double)", ...
        bound : iterable of float
            The values of the arguments after x.

        Returns
        -------
        Activation

        Raises
        ------
        PluginError
            The library or symbol cannot be loaded, or the signature is not supported.
        """
        bound = [float(b) for b in bound]
        array = (ctypes.c_double * len(bound))(*bound) if bound else None
        out = _ffi.out_handle()
        lib.bsnn_activation_create_foreign(str(library).encode(), str(symbol).encode(),
                                           str(signature).encode(),
                                           ctypes.cast(array, ctypes.c_void_p) if array else None,
                                           len(bound), ctypes.byref(out))
        return cls._wrap(out)

    @classmethod
    def from_python(cls, fn: Callable[[float], float],
                    dfn: Callable[[float], float] | None = None,
                    name: str | None = None) -> "Activation":
        """An activation computed by the Python callable `fn` (and its derivative `dfn`,
        else differentiated numerically by the library).

        Each evaluation is one C→Python call (~0.5–1 µs, see the README): fine for GPN
        constants and experiments, ~100× slower than a builtin in training. An exception
        raised by `fn` makes the callback return NaN to C and re-raises from the bsnn
        call that evaluated it. Models made from it cannot be saved (nor pickled).

        Parameters
        ----------
        fn : callable float -> float
        dfn : callable float -> float, optional
            The derivative.
        name : str, optional
            Default: ``fn.__name__``.

        Returns
        -------
        Activation

        Raises
        ------
        InvalidArgument
            `fn` or `dfn` not callable; what `fn` raises during validation.
        """
        if not callable(fn) or (dfn is not None and not callable(dfn)):
            raise InvalidArgument("from_python needs callables fn and dfn")

        def trampoline(f: Callable[[float], float]) -> Any:
            def call(x: float, _user: Any) -> float:
                try:
                    return float(f(x))
                except BaseException as error:  # noqa: BLE001 — re-raised after the C call
                    _ffi.park_exception(error)
                    return math.nan
            return _ffi.SCALAR_FN(call)

        c_fn = trampoline(fn)
        # A NULL function pointer (ctypes rejects None for a CFUNCTYPE argument).
        c_dfn = trampoline(dfn) if dfn is not None else _ffi.SCALAR_FN()
        label = str(name or getattr(fn, "__name__", "python"))
        out = _ffi.out_handle()
        lib.bsnn_activation_create_callback(label.encode(), c_fn, c_dfn, None,
                                            ctypes.byref(out))
        return cls._wrap(out, keepalive=(c_fn, c_dfn, fn, dfn))

    # ------------------------------------------------------------ normalization
    def gpn(self, root: RootName | Literal["default"] = "default") -> "Activation":
        """The GPN-normalized activation a·φ+b.

        Parameters
        ----------
        root : {"default", "b+", "b-"}
            The offset root; "default" is the library's (b- for gelu, b+ otherwise, as
            the paper's Table 1).

        Returns
        -------
        Activation
            A new handle; this one is unchanged.
        """
        code = root_code(root)
        out = _ffi.out_handle()
        lib.bsnn_activation_normalize(self._ptr, code, ctypes.byref(out))
        return Activation._wrap(out, keepalive=self._keepalive)

    @property
    def _ptr(self) -> int:
        return self._handle.address

    def _get_constants(self) -> _ffi.GPNConstants:
        if self._constants is None:
            c = _ffi.GPNConstants()
            lib.bsnn_activation_constants(self._ptr, ctypes.byref(c))
            self._constants = c
        return self._constants

    @property
    def root(self) -> str | None:
        """'b+', 'b-', or None for a plain (not normalized) activation."""
        r = ctypes.c_int()
        lib.bsnn_activation_root(self._ptr, ctypes.byref(r))
        return _ROOT_NAMES.get(r.value)

    @property
    def a(self) -> float:
        """GPN scale a = 1/sqrt(E[φ'²])."""
        return self._get_constants().a

    @property
    def b(self) -> float:
        """GPN offset for this handle's root (b+ for plain activations)."""
        c = self._get_constants()
        return c.b_minus if self.root == "b-" else c.b_plus

    @property
    def roots(self) -> Roots:
        """Both GPN offset roots (b_plus, b_minus)."""
        c = self._get_constants()
        return Roots(c.b_plus, c.b_minus)

    @property
    def moments(self) -> Moments:
        """Gaussian moments of φ: E[φ], E[φ²], E[φ'²] under N(0, 1)."""
        c = self._get_constants()
        return Moments(c.mean, c.mean_square, c.derivative_mean_square)

    @property
    def source(self) -> str:
        """Where the base function comes from: 'builtin', 'plugin', 'foreign' (a C
        symbol through libffi) or 'callback' (from_python)."""
        kind = ctypes.c_int32()
        lib.bsnn_activation_source(self._ptr, ctypes.byref(kind))
        return _ffi.SOURCE[kind.value]

    @property
    def name(self) -> str:
        """The base function's name."""
        return _ffi.read_string(lib.bsnn_activation_name, self._ptr)

    @property
    def params(self) -> dict[str, float]:
        """The base function's named parameters and their values."""
        n = ctypes.c_size_t()
        lib.bsnn_activation_param_count(self._ptr, ctypes.byref(n))
        out: dict[str, float] = {}
        for i in range(n.value):
            value = ctypes.c_double()
            key = _ffi.read_string_with(lib.bsnn_activation_param, self._ptr, i,
                                        tail=(ctypes.byref(value),))
            out[key] = value.value
        return out

    # ------------------------------------------------------------ evaluation
    def _evaluate(self, x: Any, derivative: bool) -> tuple[np.ndarray, np.ndarray | None]:
        a = np.asarray(x)
        if a.dtype.kind not in "fiub":
            raise InvalidArgument(f"x must be numeric, got dtype {a.dtype}")
        flat = np.ascontiguousarray(a, dtype=np.float32).reshape(-1)
        if flat.size == 0:
            empty = np.empty(a.shape, np.float32)
            return empty, (empty.copy() if derivative else None)
        value = np.empty_like(flat)
        deriv = np.empty_like(flat) if derivative else None
        lib.bsnn_activation_evaluate(self._ptr, flat.ctypes.data, flat.size, value.ctypes.data,
                                     deriv.ctypes.data if deriv is not None else None)
        return value.reshape(a.shape), (deriv.reshape(a.shape) if deriv is not None else None)

    def __call__(self, x: ArrayLike) -> NDArray[np.float32]:
        """ψ(x) elementwise (float32, x's shape), ψ = a·φ+b when normalized.

        Parameters
        ----------
        x : array_like
        """
        return self._evaluate(x, False)[0]

    def derivative(self, x: ArrayLike) -> NDArray[np.float32]:
        """ψ'(x) elementwise (float32, x's shape).

        Parameters
        ----------
        x : array_like
        """
        return self._evaluate(x, True)[1]  # type: ignore[return-value]

    # ------------------------------------------------------------ lifetime
    def close(self) -> None:
        """Frees the C handle now (idempotent); models made from it are unaffected."""
        self._handle.close()

    def __enter__(self) -> "Activation":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._handle.closed:
            return "<bsnn.Activation (closed)>"
        root = self.root
        return f"<bsnn.Activation {self.name}{' gpn ' + root if root else ''}>"
