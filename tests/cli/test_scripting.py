"""The command line as a scripting tool (issue 18, items 7-12): --json output, stdout for
results and stderr for progress, `-` for standard input/output, name suggestions and enum
options, CSV flags with feature scaling, resume identity checks, and error wording.

Runs on generated CSV data only, so it needs no data set. $BSNN is the binary under test.
"""
import json
import math
import os
import pty
import random
import select
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BSNN = os.environ.get("BSNN", str(ROOT / ".build/release/bsnn-cli"))
SMALL = ["--depth", 4, "--width", 32, "--lr", 0.01]


def run(*args, ok=True, stdin=None, timeout=300):
    p = subprocess.run([BSNN, *map(str, args)], capture_output=True, timeout=timeout,
                       input=stdin if isinstance(stdin, (bytes, type(None))) else stdin.encode())
    p.stdout, p.stderr = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    if ok:
        assert p.returncode == 0, f"{args}: rc {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p


def error(code, *args, stdin=None):
    p = run(*args, ok=False, stdin=stdin)
    assert p.returncode == code, f"{args}: expected {code}, got {p.returncode}\n{p.stdout}\n{p.stderr}"
    lines = p.stderr.strip().splitlines()
    assert [l for l in lines if l.startswith("bsnn: error: ")] == [lines[-1]], p.stderr
    assert "could not be completed" not in p.stderr and "Fatal error" not in p.stderr
    return lines[-1]


def jrun(*args, **kw):
    p = run(*args, "--json", **kw)
    assert p.stdout.count("\n") == 1, p.stdout  # one object, one line
    return json.loads(p.stdout)


def write_mixed(path, n, seed, header=True):
    """Two classes told apart only by `signal` (scale 1e-3) next to `size` (scale 1e3,
    offset 5000) and small noise; the label is the second column. Unscaled, `size`
    swamps the inputs; standardized, the classes are ~90 % separable."""
    r = random.Random(seed)
    rows = ["size;label;signal;noise"] if header else []
    for i in range(n):
        y = i % 2
        rows.append(f"{r.gauss(5000, 1500):.3f};{y};{(0.004 if y else -0.004) + r.gauss(0, 0.003):.6f};{r.gauss(0, 0.01):.6f}")
    path.write_text("\n".join(rows) + "\n")
    return path


CSV = ["--label-column", 1, "--delimiter", ";"]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    d = tmp_path_factory.mktemp("mixed")
    write_mixed(d / "train.csv", 1024, 1)
    write_mixed(d / "test.csv", 512, 2)
    write_mixed(d / "val.csv", 256, 3)
    return d


@pytest.fixture(scope="module")
def model(mixed):
    """A standardized model, and the --json summary of its training."""
    summary = jrun("train", "--data", mixed / "train.csv", *CSV, "--scaling", "standardize", *SMALL, "--epochs", 3,
                   "--validation", mixed / "val.csv", "--test", mixed / "test.csv", "--out", mixed / "m.safetensors")
    return mixed / "m.safetensors", summary


# ------------------------------------------------------------ 10: CSV first-class

def test_scaling_from_training_statistics_makes_mixed_scale_csv_trainable(mixed, model):
    path, good = model
    bad = jrun("train", "--data", mixed / "train.csv", *CSV, "--scaling", "none", *SMALL, "--epochs", 3,
               "--test", mixed / "test.csv", "--out", mixed / "raw.safetensors")
    assert bad["test"]["accuracy"] < 0.65, bad["test"]      # the big column swamps the signal
    assert good["test"]["accuracy"] > 0.85, good["test"]    # same data, standardized
    assert good["test"]["samples"] == 512 and good["samples"] == 1024
    # --validation is evaluated after every epoch, on all its rows.
    assert [e["epoch"] for e in good["epoch_results"]] == [1, 2, 3]
    assert all(e["validation"]["samples"] == 256 for e in good["epoch_results"])
    assert good["epoch_results"][-1]["validation"]["accuracy"] > 0.85
    # eval maps raw features with the statistics the model file recorded: the same numbers.
    e = jrun("eval", path, "--data", mixed / "test.csv", *CSV)
    assert e == good["test"]
    assert jrun("inspect", path)["feature_scaling"] == "standardize"


def test_header_delimiter_and_label_column_flags(tmp_path):
    # A numeric first row is data under --header auto/no and a header under --header yes.
    (tmp_path / "t.tsv.csv").write_text("1\t7\t0\n" + "".join(f"{i % 3}\t{i}\t{i % 2}\n" for i in range(20)))
    common = ["--delimiter", "tab", "--label-column", -1, "--depth", 1, "--width", 4, "--no-test"]
    n = lambda *a: jrun("train", "--data", tmp_path / "t.tsv.csv", *common, *a, "--out", tmp_path / "h.safetensors")["samples"]
    assert n() == 21 and n("--header", "no") == 21 and n("--header", "yes") == 20
    assert jrun("inspect", tmp_path / "h.safetensors")["inputs"] == 2
    assert jrun("inspect", tmp_path / "h.safetensors")["outputs"] == 2  # last column: labels 0/1
    line = error(64, "train", "--data", tmp_path / "t.tsv.csv", "--label-column", 5, "--delimiter", "tab",
                 "--out", tmp_path / "x.safetensors")
    assert "labelColumn" in line and "5" in line
    error(64, "train", "--data", tmp_path / "t.tsv.csv", "--delimiter", ";;", "--out", tmp_path / "x.safetensors")
    error(64, "train", "--data", tmp_path / "t.tsv.csv", "--header", "maybe", "--out", tmp_path / "x.safetensors")


# ------------------------------------------------------------ 7: --json

def test_gpn_json_is_full_precision():
    d = jrun("gpn", "relu", "TANH", "--root", "b+")
    relu, tanh = d["activations"]
    assert relu["activation"] == "relu" and tanh["activation"] == "tanh"
    # relu: E[φ] = 1/√(2π), E[φ²] = E[φ'²] = 1/2, a = √2, b- = -a·E[φ]·2 — to ~1e-12, not 6 decimals.
    assert abs(relu["mean"] - 1 / math.sqrt(2 * math.pi)) < 1e-12
    assert abs(relu["mean_square"] - 0.5) < 1e-12 and abs(relu["derivative_mean_square"] - 0.5) < 1e-12
    assert abs(relu["a"] - math.sqrt(2)) < 1e-12 and relu["root"] == "b+"
    assert abs(relu["b_minus"] + 2 * math.sqrt(2) / math.sqrt(2 * math.pi)) < 1e-12
    text = run("gpn", "tanh", "--root", "b+").stdout.split()
    assert abs(float(text[text.index("tanh") + 4]) - tanh["a"]) < 5e-7  # the table rounds the same value
    table = jrun("gpn")["activations"]
    assert [r["activation"] for r in table] == ["tanh", "relu", "leaky_relu", "elu", "selu", "gelu"]
    for r in table:
        assert abs(r["a"] - r["paper_a"]) < 1.5e-4 and abs(r["b"] - r["paper_b"]) < 1.5e-4, r
    assert table[-1]["root"] == "b-"


def test_inspect_predict_and_eval_json(mixed, model):
    path, _ = model
    i = jrun("inspect", path)
    assert (i["inputs"], i["depth"], i["width"], i["outputs"], i["layers"]) == (3, 4, 32, 2, 6)
    assert isinstance(i["parameter_count"], int) and i["parameter_count"] == 3 * 32 + 32 + 4 * (32 * 32 + 32) + 32 * 2 + 2
    a = i["activation"]
    assert a["name"] == "tanh" and a["gpn"] is True and a["root"] == "b+"
    assert abs(a["a"] * math.sqrt(a["derivative_mean_square"]) - 1) < 1e-6   # a = E[φ'²]^(-1/2)
    # predict --json against the CSV it would have written (rounded to 6 significant digits).
    features = "\n".join(";".join(c for k, c in enumerate(l.split(";")) if k != 1)
                         for l in (mixed / "test.csv").read_text().splitlines()[1:21]).replace(";", ",")
    (mixed / "x.csv").write_text(features + "\n")
    preds = jrun("predict", path, "--input", mixed / "x.csv")["predictions"]
    rows = run("predict", path, "--input", mixed / "x.csv", "--out", "-").stdout.splitlines()[1:]
    assert len(preds) == len(rows) == 20
    for p, row in zip(preds, rows):
        cells = row.split(",")
        assert p["index"] == int(cells[0]) and p["prediction"] == int(cells[1])
        assert abs(sum(p["probabilities"]) - 1) < 1e-12
        assert p["prediction"] == max(range(2), key=lambda k: p["probabilities"][k])
        assert all(abs(float(c) - q) <= 5e-6 * q for c, q in zip(cells[2:], p["probabilities"]))
    error(64, "predict", path, "--input", mixed / "x.csv", "--json", "--out", mixed / "y.csv")
    # The training file itself (header, ';', label in column 1) predicts the same with the
    # train flags: the label column is skipped, not read as a feature.
    (mixed / "head.csv").write_text("\n".join((mixed / "test.csv").read_text().splitlines()[:21]) + "\n")
    same = jrun("predict", path, "--input", mixed / "head.csv", *CSV)["predictions"]
    assert same == preds
    # Without them the ';' file is one column per row: a data error naming the count.
    line = error(65, "predict", path, "--input", mixed / "head.csv", "--json")
    assert "expected 3 feature columns" in line, line


def test_probe_json_matches_its_csv(tmp_path):
    d = jrun("probe", "--activation", "tanh", "--width", 40, "--depth", 12, "--samples", 30, "--out", tmp_path)
    csv = [l.split(",") for l in (tmp_path / "probe.csv").read_text().splitlines()[1:]]
    assert d["depth"] == 12 and len(d["layers"]) == len(csv) >= 12
    for layer, row in zip(d["layers"], csv):
        assert layer["layer"] == int(row[0])
        assert layer["forward_norm"] == float(row[1])  # full precision: the CSV's shortest repr, bit for bit
        assert layer["weight_gradient_norm"] == (float(row[3]) if row[3] else None)  # the output has no gradient row
    assert d["final_forward_norm"] == d["layers"][-1]["forward_norm"]
    assert d["verdict"] == "self-normalizing"
    s = jrun("probe", "--activation", "relu", "--width", 20, "--depth", 5, "--samples", 20, "--sweep-width", "10,20",
             "--seeds", 2, "--out", tmp_path)
    assert [w["width"] for w in s["widths"]] == [10, 20] and all(len(w["ratios"]) == 2 for w in s["widths"])
    for w in s["widths"]:
        assert abs(w["mean"] - sum(w["ratios"]) / 2) < 1e-12 and w["min"] == min(w["ratios"])


# ------------------------------------------------------------ 8: streams

def test_results_on_stdout_progress_and_logs_on_stderr(mixed):
    p = run("train", "--data", mixed / "train.csv", *CSV, "--scaling", "standardize", *SMALL,
            "--test", mixed / "test.csv", "--out", mixed / "s.safetensors")
    assert p.stdout.splitlines() == [l for l in p.stdout.splitlines() if l.startswith("test loss")] and p.stdout
    assert "step 16/16 epoch 1/1" in p.stderr and "saved model" in p.stderr and "training tanh-GPN" in p.stderr


def test_progress_bar_draws_on_a_terminal_stderr(mixed):
    """stderr a pty, stdout a pipe: the live bar (\\r … ESC[K) goes to the terminal only."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([BSNN, "train", "--data", str(mixed / "train.csv"), *map(str, CSV), *map(str, SMALL),
                             "--epochs", "2", "--batch", "8", "--json", "--out", str(mixed / "tty.safetensors")],
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    tty = b""
    while True:
        r, _, _ = select.select([master], [], [], 120)
        if not r:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        tty += chunk
    out = proc.stdout.read()
    proc.wait(60)
    os.close(master)
    assert proc.returncode == 0, tty
    assert b"\r[" in tty and b"\x1b[K" in tty and b"ETA" in tty
    assert b"step " not in tty  # plain lines are for pipes only
    assert json.loads(out)["global_step"] == 256 and b"\r" not in out


def test_dash_reads_standard_input(mixed, model):
    path, summary = model
    by_file = jrun("eval", path, "--data", mixed / "test.csv", *CSV)
    assert jrun("eval", "-", "--data", mixed / "test.csv", *CSV, stdin=path.read_bytes()) == by_file
    assert jrun("eval", path, "--data", "-", *CSV, stdin=(mixed / "test.csv").read_bytes()) == by_file
    assert jrun("inspect", "-", stdin=path.read_bytes())["file"] == "-"
    # predict --input -: CSV, or an IDX file by its magic number.
    rows = (mixed / "x.csv").read_text() if (mixed / "x.csv").exists() else "5000,0.004,0\n"
    a = jrun("predict", path, "--input", "-", stdin=rows)["predictions"]
    values = [[float(c) for c in l.split(",")] for l in rows.splitlines()]
    import struct
    idx = struct.pack(">BBBBII", 0, 0, 0x0D, 2, len(values), 3) + b"".join(struct.pack(">3f", *v) for v in values)
    b = jrun("predict", path, "--input", "-", stdin=idx)["predictions"]
    assert [p["prediction"] for p in a] == [p["prediction"] for p in b]
    assert all(abs(x - y) < 1e-6 for p, q in zip(a, b) for x, y in zip(p["probabilities"], q["probabilities"]))
    # train --data -: CSV on stdin, and no default test split to read again.
    t = jrun("train", "--data", "-", *CSV, "--scaling", "standardize", "--depth", 2, "--width", 8,
             "--out", mixed / "stdin.safetensors", stdin=(mixed / "val.csv").read_bytes())
    assert t["samples"] == 256 and t["test"] is None and (mixed / "stdin.safetensors").exists()
    line = error(64, "eval", "-", "--data", "-")
    assert "standard input" in line
    assert "not a safetensors file" in error(65, "inspect", "-", stdin=b"hello, this is not a model at all\n")


# ------------------------------------------------------------ 9: names

def test_bare_bsnn_prints_help_to_stderr_and_exits_64():
    p = run(ok=False)
    assert p.returncode == 64 and p.stdout == "" and "USAGE: bsnn <subcommand>" in p.stderr and "train" in p.stderr


def test_did_you_mean_for_subcommands_and_activations(mixed):
    assert "did you mean 'train'?" in error(64, "trian")
    assert "did you mean 'tanh'?" in error(64, "gpn", "tahn")
    assert "did you mean 'leaky_relu'?" in error(64, "probe", "--activation", "leaky-relu", "--out", mixed / "p")
    assert "expected one of" in error(64, "gpn", "zzzzzzzz")
    # Names are case-insensitive and mean the same function.
    assert jrun("gpn", "GELU")["activations"][0] == jrun("gpn", "gelu")["activations"][0]


def test_enum_options_are_listed_and_validated(mixed):
    h = " ".join(run("train", "--help").stdout.split())  # unwrapped
    for values in ["none, row_norm, orthogonal", "sgd, momentum, nesterov, adam, rmsprop, adagrad", "b+, b-, default, paper",
                   "none, unit, standardize", "auto, yes, no"]:
        assert f"(values: {values}" in h, values
    assert "--epochs <epochs> Total epochs to have completed (default: 1;" in h
    assert "'row_nrom'" in error(64, "train", "--data", mixed / "train.csv", "--constraint", "row_nrom", "--out", mixed / "x.safetensors")
    error(64, "train", "--data", mixed / "train.csv", "--optimizer", "adamw", "--out", mixed / "x.safetensors")
    error(64, "gpn", "tanh", "--root", "b")
    error(64, "eval", mixed / "m.safetensors", "--data", mixed / "test.csv", "--split", "validation")


# ------------------------------------------------------------ 11: resume identity

def test_resume_checks_the_run_identity(mixed, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text((mixed / "train.csv").read_text())
    common = ["--data", data, *CSV, "--scaling", "standardize", "--depth", 3, "--width", 16, "--epochs", 2, "--no-test"]
    no_scaling = [a for a in common if a not in ("--scaling", "standardize")]
    full = jrun("train", *common, "--out", tmp_path / "full.safetensors")
    p = run("train", *common, "--out", tmp_path / "part.safetensors", "--stop-after-steps", 20, ok=False)
    assert p.returncode == 130
    ckpt = tmp_path / "part.safetensors.ckpt"
    # Architecture and optimizer flags that differ from the checkpoint are refused, not ignored.
    line = error(64, "train", *common, "--out", tmp_path / "part.safetensors", "--resume", ckpt, "--depth", 5, "--lr", 0.5)
    assert "--depth 5 (the checkpoint's is 3)" in line and "--lr 0.5" in line and "cannot change on resume" in line
    line = error(64, "train", *common, "--out", tmp_path / "part.safetensors", "--resume", ckpt, "--activation", "relu")
    assert "--activation" in line
    # Other data: the last row changed, or fewer rows.
    rows = data.read_text().splitlines()
    (tmp_path / "e.csv").write_text("\n".join(rows[:-1] + [rows[-1].replace(";1;", ";0;").replace(";0;", ";1;", 1)]) + "\n")
    line = error(64, "train", *common[:2], "--data", tmp_path / "e.csv", *common[2:], "--out", tmp_path / "part.safetensors", "--resume", ckpt)
    assert "not the same run" in line and "e.csv" in line and "--force" in line
    line = error(64, "train", *common, "--limit", 1000, "--out", tmp_path / "part.safetensors", "--resume", ckpt)
    assert "1000 samples" in line and "had 1024" in line and "limit 1000 (the checkpoint's run had all)" in line
    line = error(64, "train", *no_scaling, "--scaling", "unit", "--out", tmp_path / "part.safetensors", "--resume", ckpt)
    assert "scaling unit (the checkpoint's run had standardize)" in line
    # The same run (flags equal to the checkpoint's are fine) continues to the same model.
    # Without --scaling the checkpoint's recorded scaling is used: no difference either.
    r = jrun("train", *no_scaling, "--depth", 3, "--out", tmp_path / "part.safetensors", "--resume", ckpt)
    assert r["resumed_from"]["global_step"] == 20 and r["global_step"] == full["global_step"] == 32
    assert (tmp_path / "part.safetensors").read_bytes() == (tmp_path / "full.safetensors").read_bytes()
    # --force resumes on other data, with a warning.
    p = run("train", *common[:2], "--data", tmp_path / "e.csv", *common[2:], "--out", tmp_path / "forced.safetensors",
            "--resume", ckpt, "--force")
    assert "warning: resuming on different data" in p.stderr and (tmp_path / "forced.safetensors").exists()


# ------------------------------------------------------------ 12: errors in one voice

def test_error_texts(tmp_path):
    (tmp_path / "text.safetensors").write_text("hello world, this is a text file and no model\n")
    line = error(65, "inspect", tmp_path / "text.safetensors")
    assert "not a safetensors file" in line and "header length" not in line.split("(")[0]
    (tmp_path / "afile").write_text("x")
    line = error(74, "probe", "--width", 4, "--depth", 2, "--samples", 3, "--out", tmp_path / "afile" / "sub")
    assert "Not a directory" in line or "not a folder" in line
    line = error(66, "eval", tmp_path / "missing.safetensors", "--data", tmp_path / "x.csv")
    assert "does not exist" in line
    os.mkfifo(tmp_path / "f.csv")
    assert "FIFO" in error(66, "train", "--data", tmp_path / "f.csv", "--out", tmp_path / "m.safetensors")


# ------------------------------------------------------------ issue 15: residual links, dropout

def test_residual_and_dropout_train_inspect_resume_and_bad_values(mixed, tmp_path):
    common = ["--data", mixed / "train.csv", *CSV, "--scaling", "standardize", "--depth", 3, "--width", 16,
              "--epochs", 2, "--no-test", "--residual", "--residual-scale", "learnable", "--dropout", 0.3]
    full = jrun("train", *common, "--out", tmp_path / "full.safetensors")
    i = jrun("inspect", tmp_path / "full.safetensors")
    assert i["residual"] == "learnable" and i["dropout"] == 0.3
    assert i["parameter_count"] == 3 * 16 + 16 + 3 * (16 * 16 + 16 + 1) + 16 * 2 + 2  # one α per hidden layer
    # Interrupted and resumed, the dropout stream and α's optimizer slots continue bit for bit.
    p = run("train", *common, "--out", tmp_path / "part.safetensors", "--stop-after-steps", 20, ok=False)
    assert p.returncode == 130
    ckpt = tmp_path / "part.safetensors.ckpt"
    line = error(64, "train", *common, "--dropout", 0.5, "--out", tmp_path / "part.safetensors", "--resume", ckpt)
    assert "--dropout 0.5 (the checkpoint's is 0.3)" in line
    r = jrun("train", *common, "--out", tmp_path / "part.safetensors", "--resume", ckpt)
    assert r["global_step"] == full["global_step"]
    assert (tmp_path / "part.safetensors").read_bytes() == (tmp_path / "full.safetensors").read_bytes()
    fixed = jrun("inspect", jrun("train", *common[:-5], "--residual", "--residual-scale", 0.25,
                                 "--out", tmp_path / "f.safetensors")["model"])
    assert fixed["residual"] == 0.25 and fixed["dropout"] == 0
    plain = jrun("inspect", jrun("train", *common[:-5], "--out", tmp_path / "p.safetensors")["model"])
    assert plain["residual"] is None and plain["dropout"] == 0
    # Bad values are usage errors before any data is read.
    base = ["train", "--data", tmp_path / "missing.csv", "--out", tmp_path / "x.safetensors"]
    for flags, needle in [(["--dropout", 1], "--dropout: dropout: expected a probability in [0, 1), got 1.0"),
                          (["--dropout=-0.1"], "got -0.1"),
                          (["--residual", "--residual-scale", "inf"], "--residual-scale: residual scale: expected a finite number"),
                          (["--residual-scale", 2], "--residual-scale: expected together with --residual"),
                          (["--residual", "--residual-scale", "learn"], "residual-scale")]:
        assert needle in error(64, *base, *flags), flags
