"""The checked-in real outputs (docs/results, quoted by README.md and docs/CLI.md) are
what this build prints: each quick command of scripts/regenerate-docs.py runs again here
and must print the same lines, number for number. `reproduce` (minutes) is left out; its
file is regenerated with the others.

Numbers are compared with a tolerance because the CI also runs under
OPENBLAS_CORETYPE=Haswell, whose kernels round differently: through the 50-layer probe
and the 10-layer training run a value may move in its last printed digits and one of the
500 test predictions may flip (0.2 % accuracy). Any other change in a number, and any
change in the text around the numbers, means the docs are stale: run
`python3 scripts/regenerate-docs.py --only gpn-table1,gpn,probe,train,inspect`.
"""
import importlib.util
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BSNN = os.environ.get("BSNN", str(ROOT / ".build/release/bsnn-cli"))
FMNIST = Path("/usr/share/datasets/fashion-mnist")
spec = importlib.util.spec_from_file_location("regenerate_docs", ROOT / "scripts" / "regenerate-docs.py")
regenerate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(regenerate)
QUICK = [(n, c) for n, c in regenerate.OUTPUTS if n != "reproduce"]
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
RELATIVE, ABSOLUTE = 2e-3, 5e-3


def close(a, b):
    x, y = float(a), float(b)
    return abs(x - y) <= max(RELATIVE * max(abs(x), abs(y)), ABSOLUTE)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Runs the quick commands in order (inspect reads the model train writes)."""
    if not (FMNIST / "train-images-idx3-ubyte.gz").exists():
        pytest.skip("dataset-fashion-mnist not installed")
    work = tmp_path_factory.mktemp("docs")
    got = {}
    for name, command in QUICK:
        argv = shlex.split(command)
        assert argv[0] == "bsnn"
        p = subprocess.run([BSNN, *argv[1:]], cwd=work, capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, f"{command}: rc {p.returncode}\n{p.stderr}"
        got[name] = p.stdout
    return got


@pytest.mark.parametrize("name", [n for n, _ in QUICK])
def test_checked_in_output_is_what_this_build_prints(outputs, name):
    lines = (ROOT / "docs" / "results" / f"{name}.txt").read_text().splitlines()
    assert lines[1] == f"$ {dict(QUICK)[name]}"
    want, got = lines[2:], outputs[name].splitlines()
    assert [NUMBER.sub("#", l) for l in got] == [NUMBER.sub("#", l) for l in want], \
        f"docs/results/{name}.txt is stale (text differs); run scripts/regenerate-docs.py --only {name}"
    for w, g in zip(want, got):
        for a, b in zip(NUMBER.findall(w), NUMBER.findall(g)):
            assert close(a, b), f"docs/results/{name}.txt is stale: {a} there, {b} now in {g!r}"
