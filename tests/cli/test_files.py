"""The CLI's file handling: `--out -` is standard output, outputs through symlinks and
FIFOs respect what is at the path, non-regular inputs are refused at once, and damaged
or unverified model files exit 65 (data error) with one line naming the file."""
import json
import os
import struct
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BSNN = os.environ.get("BSNN", str(ROOT / ".build/release/bsnn-cli"))


def run(*args, cwd=None, timeout=120):
    return subprocess.run([BSNN, *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=cwd)


def one_error_line(p, code):
    assert p.returncode == code, f"expected {code}, got {p.returncode}\n{p.stdout}\n{p.stderr}"
    # Progress and notes may precede it on stderr; the error is one line, the last.
    lines = [l for l in p.stderr.strip().splitlines() if l.startswith("bsnn: error: ")]
    assert len(lines) == 1 and p.stderr.strip().splitlines()[-1] == lines[0], p.stderr
    return lines[0]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    d = tmp_path_factory.mktemp("files")
    rows = [f"{i % 3}," + ",".join(str(((i * 7 + j * 3) % 11) / 11 - 0.5 + (i % 3 == j)) for j in range(4)) for i in range(60)]
    (d / "d.csv").write_text("\n".join(rows) + "\n")
    (d / "x.csv").write_text("\n".join(r.split(",", 1)[1] for r in rows[:5]) + "\n")
    p = run("train", "--data", d / "d.csv", "--depth", 1, "--width", 8, "--epochs", 1, "--out", d / "m.safetensors")
    assert p.returncode == 0, p.stderr
    return d


def test_predict_to_stdout_creates_no_file(model, tmp_path):
    p = run("predict", model / "m.safetensors", "--input", model / "x.csv", "--out", "-", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("index,prediction,p0") and len(lines) == 6
    assert [l.split(",")[0] for l in lines[1:]] == ["0", "1", "2", "3", "4"]
    assert not (tmp_path / "-").exists() and list(tmp_path.iterdir()) == []
    ref = tmp_path / "ref.csv"
    assert run("predict", model / "m.safetensors", "--input", model / "x.csv", "--out", ref).returncode == 0
    assert ref.read_text() == p.stdout


def test_predict_through_a_symlink_updates_its_target(model, tmp_path):
    (tmp_path / "target.csv").write_text("old\n")
    (tmp_path / "link.csv").symlink_to("target.csv")
    p = run("predict", model / "m.safetensors", "--input", model / "x.csv", "--out", tmp_path / "link.csv")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "link.csv").is_symlink()
    assert (tmp_path / "target.csv").read_text().startswith("index,prediction")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["link.csv", "target.csv"]


def test_predict_into_a_fifo_writes_in_place(model, tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo).read()))
    reader.start()
    p = run("predict", model / "m.safetensors", "--input", model / "x.csv", "--out", fifo)
    reader.join(30)
    assert p.returncode == 0, p.stderr
    assert got and got[0].startswith("index,prediction") and len(got[0].splitlines()) == 6
    assert fifo.is_fifo()


def test_fifo_as_model_or_data_is_refused_without_blocking(model, tmp_path):
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    line = one_error_line(run("inspect", fifo, timeout=30), 66)
    assert "FIFO" in line
    csv_fifo = tmp_path / "in.csv"
    os.mkfifo(csv_fifo)
    line = one_error_line(run("eval", model / "m.safetensors", "--data", csv_fifo, timeout=30), 66)
    assert "FIFO" in line


def test_damaged_or_unverified_models_are_data_errors(model, tmp_path):
    data = bytearray((model / "m.safetensors").read_bytes())
    n = struct.unpack("<Q", data[:8])[0]
    i = data.index(b'"learning') if b'"learning' in data else data.index(b"width") + 8
    flipped = bytearray(data)
    flipped[i] ^= 0x01
    (tmp_path / "flip.safetensors").write_bytes(flipped)
    line = one_error_line(run("inspect", tmp_path / "flip.safetensors"), 65)
    assert "flip.safetensors" in line
    # The same content without bsnn.checksum: refused with a hint, loaded with --unverified.
    header = data[8:8 + n].decode()
    start = header.index('"bsnn.checksum"')
    end = header.index('"', header.index('"', start + len('"bsnn.checksum":') ) + 1) + 1
    stripped = (header[:start] + header[end:]).replace(",,", ",").replace("{,", "{").replace(",}", "}")
    (tmp_path / "plain.safetensors").write_bytes(struct.pack("<Q", len(stripped)) + stripped.encode() + data[8 + n:])
    line = one_error_line(run("inspect", tmp_path / "plain.safetensors"), 65)
    assert "--unverified" in line and "bsnn.checksum" in line
    p = run("inspect", tmp_path / "plain.safetensors", "--unverified")
    assert p.returncode == 0, p.stderr
    same = run("inspect", model / "m.safetensors").stdout
    assert p.stdout.splitlines()[1:] == same.splitlines()[1:]  # all but the "file" line


def test_negative_depth_model_is_a_data_error_not_a_trap(model, tmp_path):
    """Issue 12 item 1: `architecture.depth = -2` and no tensors made `bsnn inspect` trap
    (exit 132). Built from the fixture model's metadata, without tensors or checksum."""
    data = (model / "m.safetensors").read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    meta = json.loads(data[8:8 + n])["__metadata__"]
    arch = json.loads(meta["bsnn.architecture"])
    arch["depth"] = -2
    meta["bsnn.architecture"] = json.dumps(arch)
    del meta["bsnn.checksum"]
    header = json.dumps({"__metadata__": meta}).encode()
    (tmp_path / "depth.safetensors").write_bytes(struct.pack("<Q", len(header)) + header)
    assert "--unverified" in one_error_line(run("inspect", tmp_path / "depth.safetensors"), 65)
    line = one_error_line(run("inspect", tmp_path / "depth.safetensors", "--unverified"), 65)
    assert "depth.safetensors" in line and "bsnn.architecture.depth" in line
