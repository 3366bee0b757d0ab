"""Regenerates the model and checkpoint seeds of fuzz/corpus/safetensors with bsnn
itself (small networks, so each seed stays a few kB). Run: python3 fuzz/make_corpus.py"""
from pathlib import Path

import numpy as np

import bsnn

out = Path(__file__).resolve().parent / "corpus" / "safetensors"
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(0)
X = rng.standard_normal((32, 4)).astype(np.float32)
y = (np.arange(32) % 3).astype(np.int32)
for name, act, gpn, opt, constraint, bias in [
        ("tanh", "tanh", True, "momentum", "row_norm", True),
        ("relu_nobias", "relu", "b-", "adam", "orthogonal", False),
        ("elu_plain", "elu", False, "sgd", "none", True)]:
    m = bsnn.MLP(4, 6, 2, 3, act, gpn=gpn, constraint=constraint, bias=bias, seed=1)
    t = bsnn.Trainer(m, batch_size=8, optimizer=opt, lr=0.01, seed=2)
    t.fit(X, y, epochs=1, progress=None)
    m.save(out / f"model_{name}.safetensors")
    t.save_checkpoint(out / f"checkpoint_{name}.safetensors")

# Issue 12 classes, so that the fuzzers start next to them.
import gzip  # noqa: E402
import json  # noqa: E402
import struct  # noqa: E402

import safetensors.numpy  # noqa: E402

regressions = out.parent.parent / "regressions"
(regressions / "safetensors").mkdir(parents=True, exist_ok=True)
# architecture.depth = -2 and no tensors: trapped every loader (a 0...(depth+1) range).
with open(out / "model_tanh.safetensors", "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    meta = json.loads(f.read(n))["__metadata__"]
arch = json.loads(meta["bsnn.architecture"])
arch["depth"] = -2
meta["bsnn.architecture"] = json.dumps(arch)
meta.pop("bsnn.checksum", None)
safetensors.numpy.save_file({}, str(regressions / "safetensors" / "negative-depth-no-tensors.safetensors"), metadata=meta)

idx = out.parent / "idx"
# Decompression bombs: 1,000 samples of 32 x 32 zero bytes declared (1 MB) in ~1 kB of
# gzip, and the same stream behind a header that declares only 10 samples.
header = struct.pack(">BBBBIII", 0, 0, 8, 3, 1000, 32, 32)
(idx / "bomb.idx.gz").write_bytes(gzip.compress(header + bytes(1000 * 32 * 32), mtime=0))
(idx / "bomb-longer-than-declared.idx.gz").write_bytes(
    gzip.compress(struct.pack(">BBBBIII", 0, 0, 8, 3, 10, 32, 32) + bytes(1000 * 32 * 32), mtime=0))

csv = out.parent / "csv"
# The first byte is the fuzzer's option byte (0x00: label column -2, auto header, ',').
(csv / "typo-in-first-row.csv").write_bytes(b"\x00" + b"1,2.5,3x\n0,1,2\n")
(csv / "unicode-minus.csv").write_bytes(b"\x00" + "1,\u22122,3\n0,1,2\n".encode())
(csv / "invalid-utf8.csv").write_bytes(b"\x00" + b"1,\xc3\x28,3\n0,1,2\n")
(csv / "nul-in-cell.csv").write_bytes(b"\x00" + b"0,2\n1,1\x00junk\n")
