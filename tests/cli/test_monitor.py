"""`bsnn train --monitor-every N`: monitor.csv has one row per record and layer with the
documented columns and values in their ranges, one heat map per quantity that parses as
SVG with a cell per (drawn) record and layer, a far too large learning rate raises the
documented collapse warning (and a healthy run does not), the --json summary names the
file, and the monitor leaves the trained model byte-identical."""
import csv
import json
import math
import xml.etree.ElementTree as ET

from test_cli import expect_error, run
from test_training_options import noise_csv

SVG = "{http://www.w3.org/2000/svg}"
QUANTITIES = ["x_norm", "y_norm", "grad_norm", "deriv_mean", "deriv_std", "saturated", "cosine"]
DEPTH = 6


def train(tmp_path, name, *flags, lr=0.01, optimizer="adam", activation="tanh"):
    out = tmp_path / f"{name}.safetensors"
    p = run("train", "--data", noise_csv(tmp_path / "train.csv", 5, 96), "--depth", DEPTH, "--width", 16,
            "--batch", 16, "--optimizer", optimizer, "--lr", lr, "--activation", activation, "--seed", 1,
            "--threads", 1, "--epochs", 2, "--json", "--no-test", "--out", out, *flags)
    return out, json.loads(p.stdout), p.stderr


def test_csv_and_heat_maps(tmp_path):
    out, summary, stderr = train(tmp_path, "m", "--monitor-every", 3)
    path = tmp_path / "m.monitor.csv"
    assert summary["monitor"] == {"csv": str(path), "every": 3, "records": 4, "first_collapse": None}
    assert "signal collapse" not in stderr
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["step", "layer", *QUANTITIES, "collapse"]
    # 12 steps (2 epochs of 6 batches): records at steps 0, 3, 6, 9, each with layers 0…depth.
    assert [(int(r["step"]), int(r["layer"])) for r in rows] == [(s, l) for s in (0, 3, 6, 9) for l in range(DEPTH + 1)]
    for r in rows:
        v = {q: float(r[q]) for q in QUANTITIES}
        assert all(math.isfinite(x) for x in v.values()), r
        assert v["x_norm"] > 0 and v["y_norm"] > 0 and v["grad_norm"] > 0 and v["deriv_std"] > 0, r
        assert 0 <= v["saturated"] <= 1 and -1 <= v["cosine"] <= 1, r
        assert r["collapse"] == ""
    for q in QUANTITIES:
        root = ET.parse(tmp_path / f"m.monitor.{q}.svg").getroot()
        assert root.tag == SVG + "svg"
        cells = [e for e in root.iter(SVG + "rect") if e.get("class") == "cell"]
        assert len(cells) == 4 * (DEPTH + 1), q
        # Each cell's tooltip carries its record's value, so the map shows the CSV.
        first = next(r for r in rows if r["step"] == "0" and r["layer"] == "0")
        assert any(c.find(SVG + "title").text == f"step 0, layer 0: {first[q]}" for c in cells), q


def test_monitor_leaves_the_model_unchanged_and_needs_its_interval(tmp_path):
    plain, _, _ = train(tmp_path, "plain")
    monitored, _, _ = train(tmp_path, "monitored", "--monitor-every", 1, "--monitor", tmp_path / "sig.csv")
    assert plain.read_bytes() == monitored.read_bytes()
    assert (tmp_path / "sig.csv").exists() and (tmp_path / "sig.cosine.svg").exists()
    assert not (tmp_path / "plain.monitor.csv").exists()
    assert "--monitor: expected together with --monitor-every" in expect_error(
        64, "train", "--data", noise_csv(tmp_path / "d.csv", 1, 32), "--monitor", tmp_path / "x.csv",
        "--out", tmp_path / "x.safetensors")
    assert "monitor every: expected >= 0" in expect_error(
        64, "train", "--data", noise_csv(tmp_path / "d.csv", 1, 32), "--monitor-every=-2",
        "--out", tmp_path / "x.safetensors")


def test_a_far_too_large_learning_rate_raises_the_collapse_warning(tmp_path):
    _, summary, stderr = train(tmp_path, "wild", "--monitor-every", 1, lr=1e4, optimizer="sgd", activation="relu")
    warnings = [l for l in stderr.splitlines() if l.startswith("warning: step ")]
    assert len(warnings) == 1 and ": signal collapse: " in warnings[0], stderr
    first = summary["monitor"]["first_collapse"]
    assert first is not None and first["message"] in warnings[0] and warnings[0].startswith(f"warning: step {first['step']}: ")
    with open(tmp_path / "wild.monitor.csv") as f:
        verdicts = {r["collapse"] for r in csv.DictReader(f)}
    assert any(v.startswith(("gradient_ratio:", "similarity:", "non_finite:")) for v in verdicts), verdicts
