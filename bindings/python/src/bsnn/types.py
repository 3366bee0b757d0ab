"""The names the API accepts, as ``Literal`` types, so that a type checker catches a
misspelt name (``MLP(..., "tahn")``) before the library would reject it at run time.

The library decides what is valid; these mirror it, and a test keeps them equal to the
library's own lists (``bsnn.builtin_names()`` and the C enums).
"""
from __future__ import annotations

from typing import Literal

#: Builtin activation functions (``bsnn.builtin_names()``).
ActivationName = Literal["tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "gelu_erf",
                         "sigmoid", "softplus", "silu", "identity"]
#: Gaussian-Poincaré normalization roots.
RootName = Literal["b+", "b-"]
#: Weight constraints (bsnn_constraint).
ConstraintName = Literal["none", "row_norm", "orthogonal"]
#: Weight initializations (bsnn_init).
InitName = Literal["orthogonal", "xavier", "he"]
#: Normalizations before φ (bsnn_norm); ``MLP(norm=None)`` means "none".
NormName = Literal["none", "batch", "layer"]
#: Optimizers (bsnn_optimizer).
OptimizerName = Literal["sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad"]
#: Losses (bsnn_loss).
LossName = Literal["cross_entropy", "mse", "binary_logistic", "huber"]
#: Learning-rate schedules (bsnn_schedule).
ScheduleName = Literal["constant", "step", "cosine"]
#: Parameter update modes (bsnn_update_mode).
UpdateModeName = Literal["checked", "fused"]
#: What fit(early_stopping={"monitor": ...}) watches on the validation data (bsnn_monitor).
MonitorName = Literal["loss", "accuracy"]
#: Feature scalings of the data loaders (bsnn_scaling).
ScalingName = Literal["unit", "standardize", "none"]
#: Training presets (bsnn_recipe_apply; ``bsnn train --recipe``).
RecipeName = Literal["paper", "deep"]
#: Progress reporting of fit (on stderr); None reports nothing.
ProgressKind = Literal["auto", "tqdm", "text"]

__all__ = ["ActivationName", "RootName", "ConstraintName", "InitName", "NormName", "OptimizerName",
           "LossName", "ScheduleName", "UpdateModeName", "MonitorName", "ScalingName", "RecipeName", "ProgressKind"]
