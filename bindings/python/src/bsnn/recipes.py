"""Training presets: the library's named settings of the optimizer, gradient clipping and
residual links (C ``bsnn_recipe_apply``, CLI ``bsnn train --recipe``).

    model = bsnn.MLP(784, 500, 200, 10, "tanh", recipe="deep")
    model.fit(X, y, epochs=3, recipe="deep")
    bsnn.recipe("deep", depth=200)    # the values, to read

A setting given explicitly (``lr=``, ``residual_scale=``, ...) overrides the preset's.
"""
from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass
from typing import Literal

from . import _ffi
from .errors import InvalidArgument
from .types import RecipeName

lib = _ffi.lib
_OPTIMIZER_NAMES = {v: k for k, v in _ffi.OPTIMIZER.items()}


@dataclass(frozen=True)
class Recipe:
    """What a preset sets for a net of `depth` square hidden layers (read from the library).

    Attributes
    ----------
    name : str
    depth : int
    optimizer : str
    lr, momentum : float
    clip_grad_norm : float or None
        None: no clipping.
    residual : bool
    residual_scale : float or "learnable"
        α of the residual links (the default 1 when `residual` is False).
    """
    name: str
    depth: int
    optimizer: str
    lr: float
    momentum: float
    clip_grad_norm: float | None
    residual: bool
    residual_scale: float | Literal["learnable"]


def apply(name: str, depth: int, model: _ffi.ModelConfig | None = None,
          training: _ffi.TrainingConfig | None = None) -> None:
    """Writes the preset into initialized config structs (the library validates the name)."""
    if not isinstance(name, str):
        raise InvalidArgument(f"recipe must be a name (str), got {type(name).__name__}")
    lib.bsnn_recipe_apply(name.encode(), _ffi.checked_int(depth, ctypes.c_size_t, "depth"),
                          None if model is None else ctypes.byref(model),
                          None if training is None else ctypes.byref(training))


def recipe(name: RecipeName, depth: int) -> Recipe:
    """The values of preset `name` for a net of `depth` square hidden layers.

    Parameters
    ----------
    name : {"paper", "deep"}
        The preset.
    depth : int
        Square hidden layers of the net (the deep preset's α is 1/√depth).

    Returns
    -------
    Recipe

    Raises
    ------
    InvalidArgument
        An unknown name (the message lists the presets).
    """
    m, t = _ffi.init_struct(_ffi.ModelConfig), _ffi.init_struct(_ffi.TrainingConfig)
    apply(name, depth, m, t)
    return Recipe(name=name, depth=depth, optimizer=_OPTIMIZER_NAMES[t.optimizer], lr=t.learning_rate,
                  momentum=t.momentum, clip_grad_norm=t.clip_grad_norm or None, residual=bool(m.residual),
                  residual_scale="learnable" if math.isnan(m.residual_scale) else m.residual_scale)


__all__ = ["Recipe", "recipe"]
