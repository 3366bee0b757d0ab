"""`bsnn train --clip-grad-norm` and `--early-stopping`: the progress shows the norm, the
JSON summary reports both, early stopping keeps the best epoch (byte-identical to a run
of exactly that many epochs), and bad values are usage errors."""
import json
import random
from pathlib import Path

from test_cli import expect_error, run


def noise_csv(path: Path, seed: int, n: int) -> Path:
    rng = random.Random(seed)
    path.write_text("".join(f"{rng.randrange(3)}," + ",".join(f"{rng.gauss(0, 1):.4f}" for _ in range(5)) + "\n"
                            for _ in range(n)))
    return path


def train(tmp_path, name, *flags):
    out = tmp_path / f"{name}.safetensors"
    p = run("train", "--data", noise_csv(tmp_path / "train.csv", 5, 96), "--depth", 2, "--width", 24,
            "--batch", 16, "--optimizer", "adam", "--lr", 0.01, "--seed", 1, "--threads", 1, "--json",
            "--out", out, *flags)
    return out, json.loads(p.stdout), p.stderr


def test_clip_grad_norm_shows_the_norm(tmp_path):
    _, summary, stderr = train(tmp_path, "clip", "--clip-grad-norm", 0.01, "--epochs", 2)
    assert summary["clip_grad_norm"] == 0.01
    norms = [float(l.split("grad norm ")[1].split()[0]) for l in stderr.splitlines() if l.startswith("step ")]
    assert norms and all(n > 0 for n in norms)
    _, plain, stderr = train(tmp_path, "plain", "--epochs", 2)
    assert plain["clip_grad_norm"] is None and "grad norm" not in stderr


def test_early_stopping_keeps_the_best_epoch(tmp_path):
    val = noise_csv(tmp_path / "val.csv", 6, 64)
    stopped, summary, stderr = train(tmp_path, "es", "--validation", val, "--early-stopping", 3, "--epochs", 40)
    es = summary["early_stopping"]
    assert es["stopped_early"] is True
    best = es["best_epoch"]  # 1-based, as the epochs the CLI prints
    assert summary["epochs"] == best + 3 < 40
    losses = [e["validation"]["loss"] for e in summary["epoch_results"]]
    assert es["best_value"] == min(losses) == losses[best - 1]
    assert f"the model holds epoch {best}" in stderr
    exact, _, _ = train(tmp_path, "exact", "--validation", val, "--epochs", best)
    assert stopped.read_bytes() == exact.read_bytes()


def test_bad_values_are_usage_errors(tmp_path):
    data = noise_csv(tmp_path / "d.csv", 1, 32)
    base = ("train", "--data", data, "--depth", 1, "--width", 8, "--out", tmp_path / "m.safetensors")
    assert "clip gradient norm: expected a finite value >= 0" in expect_error(64, *base, "--clip-grad-norm=-1")
    assert "early stopping: expected a validation set" in expect_error(64, *base, "--early-stopping", 2)
    assert "patience: expected >= 1" in expect_error(64, *base, "--early-stopping", 0, "--validation", data)
    assert "need --early-stopping" in expect_error(64, *base, "--early-stopping-monitor", "accuracy")
    expect_error(64, *base, "--early-stopping", 2, "--early-stopping-monitor", "los", "--validation", data)
