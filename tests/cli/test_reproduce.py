"""`bsnn reproduce` at tiny sizes: every table and figure, mean ± sd cells, SVGs that
parse, a spread > 0 across seeds, bit-identical single-seed reruns, and concurrent runs
(--jobs 2) that give the serial numbers."""
import re
import xml.etree.ElementTree as ET

from test_cli import needs_data, run

TINY = ["--probe-depth", 6, "--probe-width", 16, "--depth", 3, "--width", 16, "--train-samples", 200,
        "--test-samples", 100, "--sweep-widths", "16,32", "--sweep-depth", 4, "--sweep-samples", 20,
        "--activations", "tanh,relu", "--probe-activations", "tanh", "--sweep-activations", "tanh"]
CELL = re.compile(r"(\d+\.\d+) ± (\d+\.\d+)")


def tables(stdout):
    return stdout[stdout.index("test accuracy (%):"):stdout.index("wrote ")]


@needs_data
def test_reproduce_tiny_grid(tmp_path):
    p = run("reproduce", "--out", tmp_path, *TINY, "--seeds", 2, "--jobs", 2)
    report = (tmp_path / "report.md").read_text()
    for heading in ["## Table 1", "## Fig. 1", "## Fig. 3", "## Table 2", "## Fig. 4", "## Training curves"]:
        assert heading in report
    cells = CELL.findall(tables(p.stdout))
    assert len(cells) == 2 * 2 * 5, p.stdout          # 2 activations × 5 columns × (accuracy, loss)
    assert any(float(sd) > 0 for _, sd in cells)       # seeds differ
    for svg in tmp_path.glob("*.svg"):
        ET.parse(svg)
    for name in ["fig3-gradient-ratio-vs-width.svg", "fig4-tanh.svg", "trace-relu.svg", "table2-loss-gpn-bn.svg"]:
        assert (tmp_path / name).exists()
    bars = ET.parse(tmp_path / "fig4-tanh.svg").getroot().iter("{http://www.w3.org/2000/svg}path")
    assert any(b.get("class") == "error-bar" for b in bars)
    serial = run("reproduce", "--out", tmp_path / "serial", *TINY, "--seeds", 2, "--jobs", 1)
    assert tables(serial.stdout) == tables(p.stdout)


@needs_data
def test_reproduce_single_seed_rerun_is_bit_identical(tmp_path):
    a = run("reproduce", "--out", tmp_path / "a", *TINY, "--seeds", 1, "--variants", "gpn,gpn-bn")
    b = run("reproduce", "--out", tmp_path / "b", *TINY, "--seeds", 1, "--variants", "gpn,gpn-bn")
    assert tables(a.stdout) == tables(b.stdout) and "(1 seed)" in a.stdout
    assert (tmp_path / "a" / "table2-runs.csv").read_text().split("seconds")[0] == \
        (tmp_path / "b" / "table2-runs.csv").read_text().split("seconds")[0]
