"""End-to-end tests of the `bsnn` command line on small settings.

The binary is $BSNN (default: .build/release/bsnn-cli, built by scripts/test.d/40-cli.sh).
"""
import gzip
import os
import re
import statistics
import signal
import struct
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BSNN = os.environ.get("BSNN", str(ROOT / ".build/release/bsnn-cli"))
FMNIST = Path("/usr/share/datasets/fashion-mnist")
SVG = "{http://www.w3.org/2000/svg}"

needs_data = pytest.mark.skipif(not (FMNIST / "train-images-idx3-ubyte.gz").exists(), reason="dataset-fashion-mnist not installed")


def run(*args, ok=True, timeout=300):
    p = subprocess.run([BSNN, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    if ok:
        assert p.returncode == 0, f"{args}: rc {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p


def expect_error(code, *args):
    p = run(*args, ok=False)
    assert p.returncode == code, f"{args}: expected {code}, got {p.returncode}\n{p.stdout}\n{p.stderr}"
    # Progress and notes may precede it on stderr; the error is one line, the last.
    lines = [l for l in p.stderr.strip().splitlines() if l.startswith("bsnn: error: ")]
    assert len(lines) == 1 and p.stderr.strip().splitlines()[-1] == lines[0], p.stderr
    assert "Fatal error" not in p.stderr and "Stack dump" not in p.stderr
    return lines[0]


def polylines(path):
    root = ET.parse(path).getroot()
    assert root.tag == SVG + "svg"
    return {pl.get("data-label"): [tuple(map(float, xy.split(","))) for xy in pl.get("points").split()]
            for pl in root.iter(SVG + "polyline")}


def table_rows(text, first):
    """Rows of a whitespace table whose first cell is in `first`."""
    return {c[0]: c[1:] for c in (l.split() for l in text.splitlines()) if c and c[0] in first}


# ---------------------------------------------------------------- gpn

PAPER = {"tanh": (1.4674, 0.3885), "relu": (1.4142, 0.0), "leaky_relu": (1.4141, 0.0),
         "elu": (1.2234, 0.0742), "selu": (0.9660, 0.2585), "gelu": (1.4915, -0.9097)}


def test_gpn_table1_matches_paper():
    out = run("gpn").stdout
    rows = table_rows(out, PAPER)
    assert set(rows) == set(PAPER)
    for name, (a, b) in PAPER.items():
        pa, pb, ba, bb, root = rows[name][:5]
        assert (float(pa), float(pb)) == (a, b)
        assert abs(float(ba) - a) <= 1.5e-4 and abs(float(bb) - b) <= 1.5e-4, (name, ba, bb)
        assert root == ("b-" if name == "gelu" else "b+")


def test_gpn_moments_and_roots():
    rows = table_rows(run("gpn", "relu", "tanh", "--root", "b+").stdout, {"relu", "tanh"})
    mean, msq, dmsq, a, bp, bm, root, b = rows["relu"]
    assert abs(float(mean) - 0.398942) < 1e-6 and float(msq) == 0.5 and float(dmsq) == 0.5
    assert abs(float(a) - 2 ** 0.5) < 1e-6 and float(bp) == 0 and abs(float(bm) + 1.128379) < 1e-6
    assert root == "b+" and float(b) == 0
    rows = table_rows(run("gpn", "tanh", "--root", "b-").stdout, {"tanh"})
    assert rows["tanh"][6] == "b-" and abs(float(rows["tanh"][7]) + 0.388542) < 1e-6


def test_gpn_foreign_symbol_and_parameters():
    rows = table_rows(run("gpn", "--symbol", "libm.so.6:erf:double(double)").stdout, {"erf"})
    assert abs(float(rows["erf"][3]) - 1.325218) < 1e-5
    rows = table_rows(run("gpn", "leaky_relu:slope=0.2").stdout, {"leaky_relu"})
    assert abs(float(rows["leaky_relu"][2]) - (1 + 0.04) / 2) < 1e-6


# ---------------------------------------------------------------- probe

def test_probe_gpn_tanh_outputs(tmp_path):
    depth = 30
    p = run("probe", "--activation", "tanh", "--gpn", "--width", 128, "--depth", depth, "--samples", 128, "--out", tmp_path)
    m = re.search(r"final forward norm (\S+), backward ratio \(bottom/top\) (\S+), gradient-norm ratio \(max/min\) (\S+)", p.stdout)
    fwd, bwd, grad = map(float, m.groups())
    assert 0.8 < fwd < 1.25 and 0.3 < bwd < 3 and grad < 3
    assert "verdict: self-normalizing" in p.stdout
    assert "…" in p.stdout  # abbreviated table
    lines = (tmp_path / "probe.csv").read_text().splitlines()
    assert lines[0].startswith("layer,forward_norm") and len(lines) == 1 + depth + 1
    pl = polylines(tmp_path / "probe.svg")
    assert [len(v) for v in pl.values()] == [depth + 1, depth, depth]
    bars = list(ET.parse(tmp_path / "derivative-histogram.svg").getroot().iter(SVG + "rect"))
    assert sum(1 for r in bars if r.get("class") == "bar") == 60


def test_probe_plain_relu_vanishes(tmp_path):
    p = run("probe", "--activation", "relu", "--no-gpn", "--width", 64, "--depth", 60, "--samples", 64, "--out", tmp_path)
    fwd = float(re.search(r"final forward norm (\S+),", p.stdout).group(1))
    assert fwd < 1e-3 and "forward vanishes" in p.stdout


def test_probe_width_sweep(tmp_path):
    run("probe", "--activation", "relu", "--gpn", "--depth", 8, "--samples", 32, "--sweep-width", "16,32,48", "--seeds", 2, "--out", tmp_path)
    rows = (tmp_path / "sweep.csv").read_text().splitlines()
    assert rows[0] == "width,mean,min,max,std,batch_mean,batch_min,batch_max,batch_std"
    assert [r.split(",")[0] for r in rows[1:]] == ["16", "32", "48"]
    runs = [r.split(",") for r in (tmp_path / "sweep-runs.csv").read_text().splitlines()]
    assert runs[0] == ["width", "seed", "gradient_norm_ratio", "batch_gradient_norm_ratio"] and len(runs) == 1 + 6
    for r in rows[1:]:
        w, mean, lo, hi, std, bmean, blo, bhi, bstd = map(float, r.split(","))
        assert 1 <= lo <= mean <= hi and 1 <= blo <= bmean <= bhi
        # std is the sample standard deviation (n − 1) of the per-seed ratios.
        per_seed = [float(x[2]) for x in runs[1:] if int(x[0]) == w]
        batch = [float(x[3]) for x in runs[1:] if int(x[0]) == w]
        assert len(per_seed) == 2
        assert abs(std - statistics.stdev(per_seed)) <= 1e-12 * max(1.0, std)
        assert abs(bstd - statistics.stdev(batch)) <= 1e-12 * max(1.0, bstd)
        assert abs(mean - statistics.fmean(per_seed)) <= 1e-12 * mean
    (pts,) = polylines(tmp_path / "sweep.svg").values()
    assert len(pts) == 3


# ---------------------------------------------------------------- train / eval / predict / inspect

TRAIN = ["--data", "fashion-mnist", "--limit", 512, "--depth", 6, "--width", 32, "--batch", 32, "--seed", 3]


def accuracy(text, prefix):
    return float(re.search(prefix + r"loss (\S+) accuracy (\S+) samples (\d+)", text).group(2))


@needs_data
def test_train_eval_predict_inspect_agree(tmp_path):
    model = tmp_path / "m.safetensors"
    p = run("train", *TRAIN, "--activation", "relu", "--gpn", "--epochs", 2, "--test-limit", 500, "--out", model)
    assert re.search(r"^step \d+/32 epoch \d/2 loss", p.stderr, re.M), p.stderr  # plain lines when not a tty
    train_acc = accuracy(p.stdout, "test ")
    assert train_acc > 0.4
    pl = polylines(tmp_path / "m.svg")
    assert len(pl["train loss"]) == 32

    eval_acc = accuracy(run("eval", model, "--data", "fashion-mnist", "--limit", 500).stdout, "")
    assert eval_acc == train_acc

    preds = tmp_path / "p.csv"
    run("predict", model, "--input", FMNIST / "t10k-images-idx3-ubyte.gz", "--out", preds)
    rows = preds.read_text().splitlines()
    assert rows[0].startswith("index,prediction,p0") and len(rows) == 10001
    with gzip.open(FMNIST / "t10k-labels-idx1-ubyte.gz") as f:
        labels = f.read()[8:8 + 500]
    hits = sum(int(r.split(",")[1]) == labels[i] for i, r in enumerate(rows[1:501]))
    # predict runs 256-row chunks, eval its own batches: different products, so an
    # argmax may flip where the two best classes are within rounding of each other.
    # Every sample whose top-2 gap is below 1e-5 may count either way; no other may.
    near_ties = sum(1 for r in rows[1:501] if _top2_gap(r) < 1e-5)
    assert abs(hits - round(eval_acc * 500)) <= near_ties, (hits, eval_acc, near_ties)
    probs = list(map(float, rows[1].split(",")[2:]))
    assert len(probs) == 10 and abs(sum(probs) - 1) < 1e-4

    info = run("inspect", model).stdout
    kv = {l.split("  ", 1)[0].strip(): l.split("  ", 1)[1].strip() for l in info.splitlines() if "  " in l}
    assert kv["depth"] == "6" and kv["width"] == "32" and kv["activation"] == "relu-GPN"
    assert kv["gpn"] == "yes, root b+" and abs(float(kv["a"]) - 2 ** 0.5) < 1e-6
    assert int(kv["parameters count"]) == 784 * 32 + 32 + 6 * (32 * 32 + 32) + 32 * 10 + 10


def _top2_gap(row: str) -> float:
    """The gap between the two largest class probabilities of a predict CSV row."""
    probs = sorted(map(float, row.split(",")[2:]), reverse=True)
    return probs[0] - probs[1]


@needs_data
def test_train_on_csv(tmp_path):
    with gzip.open(FMNIST / "t10k-images-idx3-ubyte.gz") as f:
        img = f.read()[16:16 + 200 * 784]
    with gzip.open(FMNIST / "t10k-labels-idx1-ubyte.gz") as f:
        lab = f.read()[8:8 + 200]
    csv = tmp_path / "d.csv"
    csv.write_text("".join(f"{lab[i]}," + ",".join(str(v / 255) for v in img[i * 784:(i + 1) * 784]) + "\n" for i in range(200)))
    p = run("train", "--data", csv, "--depth", 2, "--width", 16, "--out", tmp_path / "c.safetensors")
    assert "test loss" not in p.stdout
    acc = accuracy(run("eval", tmp_path / "c.safetensors", "--data", csv).stdout, "")
    assert 0 <= acc <= 1


@needs_data
def test_interrupted_run_resumes_bit_identically(tmp_path):
    full, part = tmp_path / "full.safetensors", tmp_path / "part.safetensors"
    common = [*TRAIN, "--activation", "tanh", "--gpn", "--epochs", 2, "--no-test"]
    run("train", *common, "--out", full)
    p = run("train", *common, "--out", part, "--stop-after-steps", 21, ok=False)
    assert p.returncode == 130 and "checkpoint saved" in p.stderr
    assert not part.exists() and (tmp_path / "part.safetensors.ckpt").exists()
    p = run("train", *common, "--out", part, "--resume", tmp_path / "part.safetensors.ckpt")
    assert "resuming" in p.stderr
    assert full.read_bytes() == part.read_bytes()


@needs_data
def test_sigint_saves_checkpoint(tmp_path):
    out = tmp_path / "s.safetensors"
    args = ["train", "--data", "fashion-mnist", "--limit", 20000, "--depth", 20, "--width", 64, "--epochs", 50, "--no-test", "--out", out]
    proc = subprocess.Popen([BSNN, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while True:
            line = proc.stderr.readline()  # progress is on stderr
            assert line, "training ended before printing progress"
            if line.startswith("step "):
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("bsnn: error: interrupted at step"), err
    assert not any(l.startswith("bsnn: error") for l in lines[:-1]) and out == "", (out, err)
    assert (tmp_path / "s.safetensors.ckpt").stat().st_size > 0


# ---------------------------------------------------------------- reproduce

SPREAD = re.compile(r"^(-?\d+\.\d+) ± (\d+\.\d+)$")


def spread_tables(stdout):
    """reproduce's printed Table-2 blocks: {"accuracy"|"loss": {activation: {column: cell}}}."""
    blocks = {}
    for key, start, end in (("accuracy", "test accuracy (%):", "train loss"), ("loss", "train loss", "wrote ")):
        lines = stdout[stdout.index(start):].split("\n", 1)[1]
        lines = lines[:lines.index(end)].strip().splitlines() if end in lines else lines.strip().splitlines()
        head = lines[0].split()
        rows = {}
        for line in lines[2:]:
            if not line.strip():
                break
            act, rest = line.split(None, 1)
            cells = re.findall(r"-?\d+\.\d+ ± \d+\.\d+(?: \(\d+/\d+ diverged\))?|-?\d+\.\d+ \(1 seed\)|diverged", rest)
            assert len(cells) == len(head) - 1, line
            rows[act] = dict(zip(head[1:], cells))
        blocks[key] = rows
    return blocks


def reproduce_runs(folder):
    """table2-runs.csv: {(activation, variant): [(seed, accuracy, loss)]} (nan when diverged)."""
    runs = {}
    for line in (folder / "table2-runs.csv").read_text().splitlines()[1:]:
        act, variant, seed, acc, loss, _ = line.split(",")
        runs.setdefault((act, variant), []).append((int(seed), float(acc), float(loss)))
    return runs


VARIANT_TITLES = {"plain": "plain", "plain-bn": "plain+BN", "gpn": "GPN", "gpn-bn": "GPN+BN", "gpn-res": "GPN+res"}


@needs_data
def test_reproduce_small(tmp_path):
    p = run("reproduce", "--out", tmp_path, "--probe-depth", 12, "--probe-width", 48, "--depth", 2, "--width", 16,
            "--train-samples", 256, "--test-samples", 200, "--activations", "relu,tanh", "--probe-activations", "relu,selu",
            "--sweep-widths", "16,32", "--sweep-depth", 4, "--sweep-samples", 20, "--sweep-activations", "tanh", "--seeds", 2)
    report = (tmp_path / "report.md").read_text()
    for heading in ["## Table 1", "## Fig. 1", "## Fig. 3", "## Table 2", "## Fig. 4"]:
        assert heading in report
    assert re.search(r"^\| gelu \| 1\.4915 \| -0\.9097 \| 1\.4915 \| -0\.9097 \| b- \|", report, re.M)
    assert re.search(r"^Run time: \d+ s in all \(.*\), \d+ s of CPU time \(all threads\), 2 run\(s\) at a time", report, re.M)
    # Every printed cell is the mean ± sample sd of the runs table2-runs.csv lists
    # (seeds 0 and 1 per cell), rounded as printed; accuracy is a percentage of 200
    # test images, the loss a cross-entropy over 10 classes near ln 10 this early.
    tables, runs = spread_tables(p.stdout), reproduce_runs(tmp_path)
    assert set(runs) == {(a, v) for a in ("relu", "tanh") for v in VARIANT_TITLES}
    for (act, variant), rs in runs.items():
        assert sorted(r[0] for r in rs) == [0, 1]
        for key, k, scale, digits in (("accuracy", 1, 100, 2), ("loss", 2, 1, 4)):
            values = [r[k] * scale for r in rs]
            m, sd = SPREAD.match(tables[key][act][VARIANT_TITLES[variant]]).groups()
            assert abs(float(m) - statistics.mean(values)) <= 0.6 * 10 ** -digits, (act, variant, key, m, values)
            assert abs(float(sd) - statistics.stdev(values)) <= 0.6 * 10 ** -digits, (act, variant, key, sd, values)
        for _, acc, loss in rs:
            assert 0 <= acc <= 1 and abs(acc * 200 - round(acc * 200)) < 1e-9
            assert 1.5 < loss < 6
    for act in ["relu", "relu-GPN", "selu", "selu-GPN"]:
        assert len(polylines(tmp_path / f"fig1-{act}.svg")["‖x‖/√d"]) == 13
        assert f"fig1-{act}.svg" in report
    assert (tmp_path / "fig2-relu-GPN.svg").exists()
    assert set(polylines(tmp_path / "table2-loss-gpn.svg")) == {"relu-GPN", "tanh-GPN"}
    assert set(polylines(tmp_path / "fig4-relu.svg")) == set(VARIANT_TITLES.values())


# ---------------------------------------------------------------- errors and exit codes

def test_usage_errors(tmp_path):
    expect_error(64, "frobnicate")
    expect_error(64, "gpn", "swish")
    expect_error(64, "probe", "--activation", "relu", "--width", 0, "--out", tmp_path)
    expect_error(64, "probe", "--activation", "nope", "--out", tmp_path)
    expect_error(64, "probe", "--activation", "relu", "--constraint", "diagonal", "--out", tmp_path)
    expect_error(64, "train", "--data", "fashion-mnist", "--out", tmp_path / "m", "--lr", -1)
    expect_error(64, "train", "--data", "fashion-mnist", "--out", tmp_path / "m", "--optimizer", "adadelta", "--limit", 10)
    expect_error(64, "gpn", "leaky_relu:slope")


def test_missing_inputs(tmp_path):
    expect_error(66, "train", "--data", tmp_path / "nope.csv", "--out", tmp_path / "m")
    expect_error(66, "eval", tmp_path / "nope.safetensors", "--data", "fashion-mnist")
    expect_error(66, "inspect", tmp_path / "nope.safetensors")
    expect_error(66, "train", "--data", tmp_path, "--out", tmp_path / "m")  # folder without IDX files


def test_bad_data_and_models(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n0,x,4\n")
    expect_error(65, "train", "--data", bad, "--out", tmp_path / "m")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    expect_error(65, "inspect", junk)
    expect_error(65, "eval", junk, "--data", "fashion-mnist")


def test_plugin_errors(tmp_path):
    expect_error(69, "gpn", "--plugin", f"{tmp_path}/missing.so:act")
    expect_error(69, "gpn", "--symbol", "libm.so.6:no_such_function:double(double)")
    expect_error(64, "gpn", "--plugin", "justapath")


@needs_data
def test_io_and_numeric_errors(tmp_path):
    (tmp_path / "file").write_text("")
    expect_error(74, "train", *TRAIN, "--epochs", 1, "--no-test", "--out", tmp_path / "file" / "m.safetensors")
    expect_error(74, "probe", "--activation", "relu", "--width", 8, "--depth", 2, "--out", tmp_path / "file")
    line = expect_error(70, "train", *TRAIN, "--activation", "relu", "--optimizer", "sgd", "--lr", 1e30, "--no-test", "--out", tmp_path / "d.safetensors")
    assert "numeric" in line


def test_help_is_not_an_error():
    p = run("--help")
    assert "reproduce" in p.stdout and p.stderr == ""
    assert "130 interrupted" in " ".join(p.stdout.split())


def run_limited(kib, *args, timeout=120):
    """The CLI under `ulimit -v kib` (its address space; OpenBLAS needs a few hundred MiB)."""
    return subprocess.run(["bash", "-c", f'ulimit -v {kib} && exec "$0" "$@"', BSNN, *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def expect_limited_error(code, kib, *args):
    p = run_limited(kib, *args)
    assert p.returncode == code, f"{args}: expected {code}, got {p.returncode}\n{p.stdout}\n{p.stderr}"
    # Progress and notes may precede it on stderr; the error is one line, the last.
    lines = [l for l in p.stderr.strip().splitlines() if l.startswith("bsnn: error: ")]
    assert len(lines) == 1 and p.stderr.strip().splitlines()[-1] == lines[0], p.stderr
    assert "Fatal error" not in p.stderr and "Stack dump" not in p.stderr
    return lines[0]


def test_threads_out_of_range_is_a_usage_error(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("0,1,2\n1,2,3\n")
    for threads in (4294967296, 0, 4097):
        line = expect_error(64, "train", "--data", data, "--threads", threads, "--out", tmp_path / "m.safetensors")
        assert f"threads: expected 1...4096, got {threads}" in line
    assert not (tmp_path / "m.safetensors").exists()


def test_probe_sample_count_overflow_is_out_of_memory(tmp_path):
    line = expect_error(71, "probe", "--samples", 4611686018427387904, "--width", 4, "--depth", 1, "--out", tmp_path)
    assert "4611686018427387904 × 4 elements overflows" in line


def test_probe_sample_count_beyond_memory_is_out_of_memory(tmp_path):
    # 10^8 samples × 500 floats = 2·10^11 bytes, against a 1 GiB address space.
    line = expect_limited_error(71, 1 << 20, "probe", "--samples", 100000000, "--depth", 1, "--out", tmp_path)
    assert f"needs {100000000 * 500 * 4} bytes" in line and "RLIMIT_AS" in line
    assert not (tmp_path / "probe.csv").exists()


def test_model_beyond_memory_limit_is_out_of_memory(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("0,1,2\n1,2,3\n")
    # 20000² weights are 1.6 GB, above a 1 GiB address space; the same run fits at width 8.
    line = expect_limited_error(71, 1 << 20, "train", "--data", data, "--width", 20000, "--depth", 1,
                                "--out", tmp_path / "m.safetensors")
    assert f"needs {(2 * 20000 + 20000 * 20000 + 20000 * 2) * 4} bytes" in line  # inputs·w + w² + w·outputs floats
    p = run_limited(1 << 20, "train", "--data", data, "--width", 8, "--depth", 1, "--out", tmp_path / "m.safetensors")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "m.safetensors").exists()


# ---------------------------------------------------------------- one meaning per word, inputs checked first

def inspect_kv(model):
    info = run("inspect", model).stdout
    return {l.split("  ", 1)[0].strip(): l.split("  ", 1)[1].strip() for l in info.splitlines() if "  " in l}


def write_idx_folder(folder, n=48, shift=0):
    """A tiny IDX folder (train and t10k, 2×3 byte images, 3 classes) made by the test."""
    folder.mkdir(exist_ok=True)
    for prefix, extra in (("train", 0), ("t10k", shift)):
        pixels = bytes((i * 37 + extra * (i % 6)) % 200 for i in range(n * 6))
        (folder / f"{prefix}-images-idx3-ubyte").write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">3I", n, 2, 3) + pixels)
        (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">I", n) + bytes(i % 3 for i in range(n)))
    return folder


def test_gpn_is_on_by_default_with_the_default_root(tmp_path):
    data = write_idx_folder(tmp_path / "idx")
    common = ["train", "--data", data, "--depth", 2, "--width", 8, "--no-test"]
    run(*common, "--activation", "gelu", "--out", tmp_path / "g.safetensors")
    assert inspect_kv(tmp_path / "g.safetensors")["gpn"] == "yes, root b-"  # the paper's root for GELU
    run(*common, "--activation", "tanh", "--out", tmp_path / "t.safetensors")
    assert inspect_kv(tmp_path / "t.safetensors")["gpn"] == "yes, root b+"
    run(*common, "--activation", "gelu", "--no-gpn", "--out", tmp_path / "p.safetensors")
    kv = inspect_kv(tmp_path / "p.safetensors")
    assert kv["gpn"] == "no" and kv["activation"] == "gelu"


def test_train_checks_the_output_folder_before_training(tmp_path):
    data = write_idx_folder(tmp_path / "idx")
    line = expect_error(74, "train", "--data", data, "--depth", 1, "--width", 8, "--out", tmp_path / "missing" / "m.safetensors")
    assert "does not exist" in line and "missing" in line
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o500)
    try:
        if os.access(tmp_path / "ro", os.W_OK):  # root ignores permissions
            pytest.skip("running as root: a read-only folder is writable")
        line = expect_error(74, "train", "--data", data, "--depth", 1, "--width", 8, "--out", tmp_path / "ro" / "m.safetensors")
        assert "not writable" in line
    finally:
        (tmp_path / "ro").chmod(0o700)


def test_predict_rejects_idx_with_overflowing_dimensions(tmp_path):
    data = write_idx_folder(tmp_path / "idx")
    run("train", "--data", data, "--depth", 1, "--width", 8, "--no-test", "--out", tmp_path / "m.safetensors")
    bad = tmp_path / "huge.idx"
    bad.write_bytes(bytes([0, 0, 8, 4]) + struct.pack(">4I", 0, 2**32 - 1, 2**32 - 1, 2**32 - 1))
    line = expect_error(65, "predict", tmp_path / "m.safetensors", "--input", bad, "--out", tmp_path / "p.csv")
    assert "huge.idx" in line and "4294967295" in line
    assert not (tmp_path / "p.csv").exists()


def test_standardize_uses_the_training_statistics_everywhere(tmp_path):
    data = write_idx_folder(tmp_path / "idx", shift=60)  # the test images are brighter
    model = tmp_path / "s.safetensors"
    p = run("train", "--data", data, "--depth", 2, "--width", 16, "--epochs", 3, "--scaling", "standardize",
            "--seed", 3, "--out", model)
    assert inspect_kv(model)["feature scaling"].startswith("standardize")
    train_acc = accuracy(p.stdout, "test ")
    eval_acc = accuracy(run("eval", model, "--data", data).stdout, "")
    assert eval_acc == train_acc  # eval maps the test split with the recorded statistics
    preds = tmp_path / "p.csv"
    run("predict", model, "--input", data / "t10k-images-idx3-ubyte", "--out", preds)
    rows = preds.read_text().splitlines()[1:]
    hits = sum(int(r.split(",")[1]) == i % 3 for i, r in enumerate(rows))
    # predict on raw bytes applies the recorded map: eval's accuracy, up to rounding
    # differences of the batched products (one sample of 48)
    assert abs(hits / len(rows) - eval_acc) <= 1 / 48 + 1e-9
