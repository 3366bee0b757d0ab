"""Exports a trained ``bsnn.MLP`` to ONNX and PyTorch.

The network is read through the library (``MLP.effective_weights``, the bias, and the
model's activation handle), so the exported graph applies what bsnn applies:
for every layer l, ``h = x @ W_l.T + b_l``, then on every layer but the last
``x = scale·φ(h) + shift`` (GPN: scale = a, shift = b of the trained root; plain φ:
1 and 0). docs/FORMAT.md derives the same network from the model file alone.

Only builtin activations have an exact counterpart in ONNX and PyTorch; a plugin,
foreign (libffi) or Python-callback activation raises ``UnsupportedActivation``
naming it. onnx and torch are optional dependencies (``pip install bsnn[export]``).
"""
from __future__ import annotations

import ctypes
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _ffi
from ._ffi import lib
from .activation import Activation
from .errors import InvalidArgument
from .model import MLP

# φ of every builtin, as ONNX and PyTorch write it (docs/FORMAT.md has the formulas).
EXPORTABLE = ("tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "gelu_erf", "sigmoid",
              "softplus", "silu", "identity")
# The paper's GELU is x·σ(1.702x), not the erf form (that one is "gelu_erf").
GELU_SIGMOID_SCALE = 1.702


class UnsupportedActivation(InvalidArgument):
    """The model's activation cannot be written as ONNX / PyTorch operators."""


@dataclass(frozen=True)
class Network:
    """Everything the forward pass uses, as plain numpy: ``weights[l]`` (outputs,
    inputs) are the effective weights, ``biases[l]`` None for bias-free models."""
    weights: list[np.ndarray]
    biases: list[np.ndarray | None]
    activation: str
    params: dict[str, float]
    scale: float
    shift: float
    gpn_root: str | None


def model_activation(model: MLP) -> Activation:
    """A new handle of the activation the model's hidden layers apply."""
    out = _ffi.out_handle()
    lib.bsnn_model_activation(model._ptr, ctypes.byref(out))
    # A from_python activation's callbacks must outlive this handle too.
    return Activation._wrap(out, keepalive=getattr(model, "_activation", None))


def network(model: MLP) -> Network:
    """Reads the model's layers and activation; raises UnsupportedActivation for an
    activation that is not a builtin, InvalidArgument for residual links. Dropout is a
    training-time option: the exported graph is the evaluation network."""
    if not isinstance(model, MLP):
        raise InvalidArgument(f"model must be a bsnn.MLP, got {type(model).__name__}")
    if model.norm != "none":
        raise InvalidArgument(
            f"model uses norm={model.norm!r}; exporting normalized layers is not supported "
            "(the exported graph would leave out γ, β and the running statistics)")
    if model.residual and model.depth > 0:
        # The exported graphs are plain layer chains; a silent plain chain would be wrong.
        raise InvalidArgument("model has residual links, which the ONNX and PyTorch exports do not "
                              "write yet; export a model created without residual")
    with model_activation(model) as act:
        name, source, root, params = act.name, act.source, act.root, act.params
        if source != "builtin" or name not in EXPORTABLE:
            raise UnsupportedActivation(
                f"activation {name!r} is a {source} activation; only builtin activations can be "
                f"exported ({', '.join(EXPORTABLE)}), since the exported graph cannot call "
                "into its library")
        scale, shift = (act.a, act.b) if root is not None else (1.0, 0.0)
    bias = bool(model.info.bias)
    weights = [model.effective_weights(l) for l in range(model.layer_count)]
    biases = [model.bias(l) if bias else None for l in range(model.layer_count)]
    return Network(weights, biases, name, params, scale, shift, root)


# ------------------------------------------------------------------ ONNX
def to_onnx(model: MLP, path: str | os.PathLike | None = None, opset: int = 17,
            input_name: str = "features", output_name: str = "logits") -> Any:
    """Writes the model as an ONNX graph (``features`` float32 [N, inputs] → ``logits``
    [N, outputs]) to ``path`` and returns the ``onnx.ModelProto``. GPN is folded into
    a Mul and an Add after φ; the logits are pre-softmax, as ``MLP.predict``."""
    net = network(model)  # an unexportable activation is refused with or without onnx
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError as error:
        raise ImportError("bsnn.export.to_onnx needs the onnx package (pip install onnx)") from error
    nodes: list[Any] = []
    inits: list[Any] = []
    counter = [0]

    def fresh(stem: str) -> str:
        counter[0] += 1
        return f"{stem}_{counter[0]}"

    def const(name: str, value: np.ndarray | float) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value, np.float32), name))
        return name

    def op(kind: str, inputs: list[str], stem: str, **attrs: Any) -> str:
        out = fresh(stem)
        nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def phi(x: str, l: int) -> str:
        n, p = net.activation, net.params
        if n == "tanh":
            return op("Tanh", [x], f"tanh{l}")
        if n == "relu":
            return op("Relu", [x], f"relu{l}")
        if n == "leaky_relu":
            return op("LeakyRelu", [x], f"leaky_relu{l}", alpha=float(p["slope"]))
        if n == "elu":
            return op("Elu", [x], f"elu{l}", alpha=float(p["alpha"]))
        if n == "selu":
            return op("Selu", [x], f"selu{l}", alpha=float(p["alpha"]), gamma=float(p["lambda"]))
        if n == "sigmoid":
            return op("Sigmoid", [x], f"sigmoid{l}")
        if n == "softplus":
            return op("Softplus", [x], f"softplus{l}")
        if n == "identity":
            return op("Identity", [x], f"identity{l}")
        if n in ("gelu", "silu"):
            k = GELU_SIGMOID_SCALE if n == "gelu" else 1.0
            inner = x if k == 1.0 else op("Mul", [x, const(fresh("k"), k)], f"kx{l}")
            return op("Mul", [x, op("Sigmoid", [inner], f"sigmoid{l}")], f"{n}{l}")
        if n == "gelu_erf":  # x·Φ(x) = 0.5·x·(1 + erf(x/√2))
            e = op("Erf", [op("Mul", [x, const(fresh("rsqrt2"), 1 / math.sqrt(2))], f"xs{l}")], f"erf{l}")
            half = op("Mul", [x, const(fresh("half"), 0.5)], f"halfx{l}")
            return op("Mul", [half, op("Add", [e, const(fresh("one"), 1.0)], f"erf1{l}")], f"gelu_erf{l}")
        raise UnsupportedActivation(f"activation {n!r} has no ONNX form")  # EXPORTABLE guards this

    x = input_name
    last = len(net.weights) - 1
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        h = op("MatMul", [x, const(f"layers.{l}.weight_t", np.ascontiguousarray(w.T))], f"matmul{l}")
        if b is not None:
            h = op("Add", [h, const(f"layers.{l}.bias", b)], f"pre{l}")
        if l == last:
            nodes.append(helper.make_node("Identity", [h], [output_name]))
            break
        x = phi(h, l)
        if net.scale != 1.0:
            x = op("Mul", [x, const(f"gpn.a_{l}", net.scale)], f"gpn_scaled{l}")
        if net.shift != 0.0:
            x = op("Add", [x, const(f"gpn.b_{l}", net.shift)], f"gpn{l}")
    inputs, outputs = net.weights[0].shape[1], net.weights[-1].shape[0]
    graph = helper.make_graph(
        nodes, "bsnn_mlp",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["N", inputs])],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["N", outputs])],
        initializer=inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="bsnn", producer_version=_ffi.library_version)
    proto.doc_string = (f"bsnn MLP {inputs}→{net.weights[0].shape[0]}×{len(net.weights) - 2}→{outputs}, "
                        f"{net.activation}{'-GPN(' + net.gpn_root + ')' if net.gpn_root else ''}")
    onnx.checker.check_model(proto)
    if path is not None:
        onnx.save(proto, os.fspath(path))
    return proto


# ------------------------------------------------------------------ PyTorch
def to_torch(model: MLP) -> Any:
    """A ``torch.nn.Sequential`` of ``Linear`` layers (the effective weights) and
    ``bsnn.export`` activation modules computing scale·φ+shift, float32, in eval mode;
    its output equals ``model.predict`` up to float rounding."""
    net = network(model)  # an unexportable activation is refused with or without torch
    try:
        import torch
        from torch import nn
        import torch.nn.functional as F
    except ImportError as error:
        raise ImportError("bsnn.MLP.to_torch needs PyTorch (pip install torch)") from error

    class ScaledActivation(nn.Module):
        """x ↦ scale·φ(x) + shift for one of bsnn's builtin φ."""

        def __init__(self, name: str, params: dict[str, float], scale: float, shift: float) -> None:
            super().__init__()
            self.name, self.params, self.scale, self.shift = name, dict(params), scale, shift

        def phi(self, x: Any) -> Any:
            n, p = self.name, self.params
            if n == "tanh":
                return torch.tanh(x)
            if n == "relu":
                return F.relu(x)
            if n == "leaky_relu":
                return F.leaky_relu(x, p["slope"])
            if n == "elu":
                return F.elu(x, p["alpha"])
            if n == "selu":
                return p["lambda"] * F.elu(x, p["alpha"])
            if n == "gelu":
                return x * torch.sigmoid(GELU_SIGMOID_SCALE * x)
            if n == "gelu_erf":
                return F.gelu(x)
            if n == "sigmoid":
                return torch.sigmoid(x)
            if n == "softplus":
                return F.softplus(x)
            if n == "silu":
                return F.silu(x)
            return x  # identity

        def forward(self, x: Any) -> Any:
            y = self.phi(x)
            return y * self.scale + self.shift if (self.scale, self.shift) != (1.0, 0.0) else y

        def extra_repr(self) -> str:
            return f"{self.name}{self.params or ''}, scale={self.scale!r}, shift={self.shift!r}"

    layers: list[Any] = []
    last = len(net.weights) - 1
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        linear = nn.Linear(w.shape[1], w.shape[0], bias=b is not None)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            if b is not None:
                linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if l != last:
            layers.append(ScaledActivation(net.activation, net.params, net.scale, net.shift))
    return nn.Sequential(*layers).eval()


__all__ = ["to_onnx", "to_torch", "network", "model_activation", "Network",
           "UnsupportedActivation", "EXPORTABLE"]
