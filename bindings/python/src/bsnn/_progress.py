"""Progress reporting for fit: tqdm bar, plain text lines, or nothing."""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

from . import _ffi


@dataclass(frozen=True)
class ProgressInfo:
    """A copy of bsnn_progress handed to ``fit(callback=...)``; `phase` is "step" or
    "epoch_end"; validation fields are None when absent. `epoch` counts from 0."""
    phase: str
    epoch: int
    epochs: int
    step_in_epoch: int
    steps_per_epoch: int
    global_step: int
    loss: float
    accuracy: float
    samples_per_second: float
    validation_loss: float | None
    validation_accuracy: float | None
    #: The step's global gradient norm before clipping (phase "step" with
    #: clip_grad_norm on; None otherwise) and whether the step clipped.
    gradient_norm: float | None = None
    gradient_clipped: bool = False

    @classmethod
    def from_c(cls, p: _ffi.Progress) -> "ProgressInfo":
        """A copy of the C struct (which is valid only during the callback).

        Parameters
        ----------
        p : bsnn._ffi.Progress
        """
        has_val = bool(p.has_validation)
        return cls("epoch_end" if p.phase == _ffi.PHASE_EPOCH_END else "step", p.epoch,
                   p.epochs, p.step_in_epoch, p.steps_per_epoch, p.global_step, p.loss,
                   p.accuracy, p.samples_per_second,
                   p.validation_loss if has_val else None,
                   p.validation_accuracy if has_val else None,
                   None if math.isnan(p.gradient_norm) else p.gradient_norm, bool(p.gradient_clipped))


def _tqdm() -> Any:
    try:
        from tqdm.auto import tqdm  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        return None
    return tqdm


class Reporter:
    """Turns C progress events into a tqdm bar (kind "tqdm"), text lines ("text") or
    nothing (None). "auto" picks tqdm when it is installed, else text."""

    def __init__(self, kind: str | None) -> None:
        if kind not in ("auto", "tqdm", "text", None):
            from .errors import InvalidArgument
            raise InvalidArgument(f"progress must be 'auto', 'tqdm', 'text' or None, got {kind!r}")
        self.tqdm: Any = _tqdm() if kind in ("auto", "tqdm") else None
        if kind == "tqdm" and self.tqdm is None:
            from .errors import InvalidArgument
            raise InvalidArgument("progress='tqdm' needs the tqdm package (pip install tqdm)")
        self.kind = "tqdm" if self.tqdm is not None else ("text" if kind else None)
        self.bar: Any = None

    def update(self, p: _ffi.Progress) -> None:
        if self.kind == "tqdm":
            if self.bar is None:
                self.bar = self.tqdm(total=p.steps_per_epoch * p.epochs, unit="step",
                                     desc="fit", leave=True)
            if p.phase == _ffi.PHASE_STEP:
                self.bar.update(1)
                if p.step_in_epoch % 20 == 0:
                    self.bar.set_postfix(epoch=p.epoch + 1, loss=f"{p.loss:.4f}", refresh=False)
            else:
                post = {"epoch": p.epoch + 1, "loss": f"{p.loss:.4f}", "acc": f"{p.accuracy:.3f}"}
                if p.has_validation:
                    post["val_acc"] = f"{p.validation_accuracy:.3f}"
                self.bar.set_postfix(post)
        elif self.kind == "text" and p.phase == _ffi.PHASE_EPOCH_END:
            line = (f"epoch {p.epoch + 1}/{p.epochs}  loss {p.loss:.4f}  acc {p.accuracy:.3f}")
            if p.has_validation:
                line += f"  val loss {p.validation_loss:.4f}  val acc {p.validation_accuracy:.3f}"
            line += f"  {p.samples_per_second:.0f} samples/s"
            print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
