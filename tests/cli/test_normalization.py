"""`bsnn train --norm batch|layer` end to end on a small CSV: the model file records the
normalization (inspect, text and JSON), eval agrees with itself after a reload, a resumed
run refuses a changed --norm, bad values exit 64 before work starts."""
import json
import os
import random
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BSNN = os.environ.get("BSNN", str(ROOT / ".build/release/bsnn-cli"))


def run(*args, ok=True):
    p = subprocess.run([BSNN, *map(str, args)], capture_output=True, text=True, timeout=300)
    if ok:
        assert p.returncode == 0, f"{args}: rc {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p


def error(code, *args):
    p = run(*args, ok=False)
    assert p.returncode == code, f"{args}: expected {code}, got {p.returncode}\n{p.stderr}"
    assert "Fatal error" not in p.stderr
    return p.stderr.strip().splitlines()[-1]


@pytest.fixture
def csv(tmp_path):
    rng = random.Random(3)
    path = tmp_path / "d.csv"
    rows = []
    for i in range(41):  # 41 = 5 batches of 8 and a last batch of one
        label = i % 3
        rows.append(",".join([str(label)] + [f"{rng.gauss(label, 1):.5f}" for _ in range(5)]))
    path.write_text("\n".join(rows) + "\n")
    return path


def train(csv, out, *extra):
    return run("train", "--data", csv, "--depth", 2, "--width", 8, "--batch", 8, "--epochs", 2, "--lr", 0.05,
               "--out", out, "--json", *extra)


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_train_records_the_normalization(tmp_path, csv, norm):
    out = tmp_path / f"{norm}.safetensors"
    summary = json.loads(train(csv, out, "--norm", norm, "--norm-momentum", 0.2).stdout)
    info = json.loads(run("inspect", out, "--json").stdout)
    assert (info["norm"], info["norm_momentum"], info["norm_epsilon"]) == (norm, 0.2, 1e-5)
    # γ and β (8 each) on the input layer and the two hidden layers.
    assert info["parameter_count"] == 5 * 8 + 8 + 2 * (8 * 8 + 8) + 8 * 3 + 3 + 2 * 8 * 3
    text = run("inspect", out).stdout
    assert f"{norm} (momentum 0.2, epsilon 1e-05)" in text
    # Batch normalization skips each epoch's last batch of one: 5 steps per epoch, not 6.
    assert summary["global_step"] == (10 if norm == "batch" else 12)
    a = run("eval", out, "--data", csv).stdout
    b = run("eval", out, "--data", csv).stdout
    assert a == b and "accuracy" in a


def test_without_norm_inspect_says_none(tmp_path, csv):
    out = tmp_path / "plain.safetensors"
    train(csv, out)
    info = json.loads(run("inspect", out, "--json").stdout)
    assert info["norm"] == "none"


def test_bad_norm_values_are_usage_errors(tmp_path, csv):
    out = tmp_path / "m.safetensors"
    assert "batchnorm" in error(64, "train", "--data", csv, "--out", out, "--norm", "batchnorm")
    assert "norm momentum: expected in [0, 1], got 2.0" in error(64, "train", "--data", csv, "--out", out, "--norm", "batch", "--norm-momentum", 2)
    assert "norm epsilon" in error(64, "train", "--data", csv, "--out", out, "--norm", "layer", "--norm-epsilon", 0)
    line = error(64, "train", "--data", csv, "--out", out, "--norm", "batch", "--batch", 1)
    assert "batch normalization (norm batch) needs at least 2 samples per training step" in line
    assert not out.exists()


def test_resume_refuses_a_changed_norm(tmp_path, csv):
    out = tmp_path / "m.safetensors"
    p = run("train", "--data", csv, "--depth", 2, "--width", 8, "--batch", 8, "--epochs", 2, "--out", out,
            "--norm", "batch", "--checkpoint", tmp_path / "m.ckpt", "--stop-after-steps", 3, ok=False)
    assert p.returncode == 130 and (tmp_path / "m.ckpt").exists(), p.stderr
    line = error(64, "train", "--data", csv, "--out", out, "--resume", tmp_path / "m.ckpt", "--norm", "layer", "--epochs", 3)
    assert "--norm layer (the checkpoint's is batch)" in line
