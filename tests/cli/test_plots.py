"""The report's plots read correctly: coinciding curves are told apart by dash pattern and
marker (and a curve that never leaves chance says so), legends lie inside the plot
frame, histograms leave headroom above the tallest bar and name their axis a·φ'(h), and
values a log axis cannot show (0 after a float underflow) are drawn as labelled markers
in a strip of their own, never as measured points at the axis floor.

The binary is $BSNN (default: .build/release/bsnn-cli, built by scripts/test.d/40-cli.sh).
"""
import math
import os
import re
import statistics
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from test_cli import reproduce_runs

ROOT = Path(__file__).resolve().parents[2]
BSNN = os.environ.get("BSNN", str(ROOT / ".build/release/bsnn-cli"))
FMNIST = Path("/usr/share/datasets/fashion-mnist")
SVG = "{http://www.w3.org/2000/svg}"
needs_data = pytest.mark.skipif(not (FMNIST / "train-images-idx3-ubyte.gz").exists(), reason="dataset-fashion-mnist not installed")


def run(*args):
    p = subprocess.run([BSNN, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"{args}: rc {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p


def svg(path):
    root = ET.parse(path).getroot()  # also: the file is well-formed XML
    assert root.tag == SVG + "svg"
    return root


def by_class(root, tag, cls):
    return [e for e in root.iter(SVG + tag) if e.get("class") == cls]


def box(rect):
    return tuple(float(rect.get(k)) for k in ("x", "y", "width", "height"))


def vertices(polyline):
    return [tuple(map(float, xy.split(","))) for xy in polyline.get("points").split()]


def first_point(path_d):
    x, y = re.match(r"M(-?[\d.]+),(-?[\d.]+)", path_d).groups()
    return float(x), float(y)


def legend_texts(root):
    return {t.get("data-label"): "".join(t.itertext()) for t in by_class(root, "text", "legend-entry")}


def assert_legend_inside_frame(root):
    (frame,), (legend,) = by_class(root, "rect", "frame"), by_class(root, "rect", "legend")
    fx, fy, fw, fh = box(frame)
    lx, ly, lw, lh = box(legend)
    assert fx <= lx and lx + lw <= fx + fw and fy <= ly and ly + lh <= fy + fh, (box(frame), box(legend))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A tiny reproduce run: plain GELU at depth 200 vanishes (Fig. 1 underflows to 0 and
    Table 2 stays at chance), at a size that takes seconds."""
    out = tmp_path_factory.mktemp("report")
    p = run("reproduce", "--out", out, "--probe-depth", 200, "--probe-width", 32, "--probe-activations", "gelu",
            "--depth", 200, "--width", 16, "--train-samples", 256, "--test-samples", 100, "--lr", 0.01,
            "--activations", "gelu,tanh", "--sweep-widths", "16,32", "--sweep-depth", 4, "--sweep-samples", 20,
            "--sweep-activations", "tanh", "--seeds", 2)
    return out, p.stdout


@needs_data
def test_training_curves_are_distinguishable_and_chance_is_labelled(report):
    out, _ = report
    # A column's curve says "stays at chance" when its seeds' mean final-tenth loss is
    # within 1 % of ln 10 (the uniform prediction; far above it the net blew up);
    # table2-runs.csv has every run's loss.
    runs = reproduce_runs(out)
    # (A column whose every seed diverged has no loss and is labelled "diverged" instead.)
    finite = {key: [r[2] for r in rs if not math.isnan(r[2])] for key, rs in runs.items()}
    tail = {key: statistics.mean(ls) if ls else math.nan for key, ls in finite.items()}
    for variant in ("plain", "gpn"):
        root = svg(out / f"table2-loss-{variant}.svg")
        lines = by_class(root, "polyline", "series")
        styles = [(pl.get("stroke"), pl.get("stroke-dasharray"), pl.get("data-marker")) for pl in lines]
        assert len(lines) == 2 and len({s[1] for s in styles}) == 2 and len({s[2] for s in styles}) == 2, styles
        markers = by_class(root, "path", "marker")
        assert {m.get("data-label") for m in markers} == {pl.get("data-label") for pl in lines}
        assert_legend_inside_frame(root)
        legend = legend_texts(root)
        for pl in lines:
            name = pl.get("data-label").removesuffix("-GPN")
            at_chance = abs(tail[name, variant] - math.log(10)) <= 0.01 * math.log(10)
            assert (pl.get("data-note") == "stays at chance") == at_chance, (pl.get("data-label"), tail[name, variant])
            assert ("stays at chance" in legend[pl.get("data-label")]) == at_chance
    # Plain GELU at depth 200 has no signal left: it must be the labelled case.
    assert abs(tail["gelu", "plain"] - math.log(10)) <= 0.01 * math.log(10)
    # A residual column whose loss blew up far above ln 10 is not labelled chance.
    res = by_class(svg(out / "table2-loss-gpn-res.svg"), "polyline", "series")
    for pl in res:
        if tail[pl.get("data-label").removesuffix("-GPN"), "gpn-res"] > 2 * math.log(10):
            assert pl.get("data-note") != "stays at chance", pl.get("data-label")


def read_trace(out):
    """table2-trace.csv: {(activation, variant): {step: [the probe's ratio per seed]}} (‖∂E/∂x‖'s for residual nets)."""
    trace = {}
    for line in (out / "table2-trace.csv").read_text().splitlines()[1:]:
        act, variant, seed, step, _, ratio, input_ratio = line.split(",")
        value = float(input_ratio if variant.endswith("-res") else ratio)
        trace.setdefault((act, variant), {}).setdefault(int(step), []).append(value)
    return trace


@needs_data
def test_fig3_fig4_and_traces_read_correctly(report):
    out, _ = report
    for name in ["fig3-gradient-ratio-vs-width.svg", "fig4-gelu.svg", "fig4-tanh.svg", "trace-gelu.svg", "trace-tanh.svg"]:
        root = svg(out / name)
        assert_legend_inside_frame(root)
        lines = by_class(root, "polyline", "series")
        assert lines and len({(pl.get("stroke-dasharray"), pl.get("data-marker")) for pl in lines}) == len(lines), name
    # An infinite gradient ratio (a layer's gradient underflowed to 0) is an overflow
    # marker at its step, never a point at the top of the axis: plain GELU at depth 200
    # has one at every trace point.
    trace = read_trace(out)
    titles = {"plain": "plain", "plain-bn": "plain+BN", "gpn": "GPN", "gpn-bn": "GPN+BN", "gpn-res": "GPN+res"}
    for act in ("gelu", "tanh"):
        root = svg(out / f"trace-{act}.svg")
        for variant, title in titles.items():
            steps = trace[act, variant]
            marked = {int(float(m.get("data-x"))) for m in by_class(root, "path", "overflow") if m.get("data-label", "").startswith(title + " ") or m.get("data-label") == title}
            every = {s for s, vs in steps.items() if all(math.isinf(v) for v in vs)}
            some = {s for s, vs in steps.items() if any(math.isinf(v) for v in vs)}
            assert every <= marked <= some, (act, variant, sorted(marked), sorted(every), sorted(some))
    assert trace["gelu", "plain"] and all(math.isinf(v) for vs in trace["gelu", "plain"].values() for v in vs)
    (legend,) = [t for label, t in legend_texts(svg(out / "trace-gelu.svg")).items() if label == "plain"]
    assert "overflow (+∞)" in legend


@needs_data
def test_histogram_has_headroom_and_names_its_axis(report):
    out, _ = report
    root = svg(out / "fig2-gelu-GPN.svg")
    (frame,) = by_class(root, "rect", "frame")
    fx, fy, fw, fh = box(frame)
    bars = by_class(root, "rect", "bar")
    assert len(bars) == 60
    tallest = min(float(b.get("y")) for b in bars)
    assert tallest >= fy + 0.05 * fh, (tallest, fy, fh)
    texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
    assert "a·φ'(h)" in texts


@needs_data
def test_fig1_legend_inside_frame_and_styles_differ(report):
    out, _ = report
    root = svg(out / "fig1-gelu-GPN.svg")
    assert_legend_inside_frame(root)
    lines = by_class(root, "polyline", "series")
    assert len({(pl.get("stroke-dasharray"), pl.get("data-marker")) for pl in lines}) == 3


def test_underflow_is_drawn_as_such(tmp_path):
    depth = 200
    run("probe", "--activation", "gelu", "--no-gpn", "--width", 32, "--depth", depth, "--samples", 32, "--out", tmp_path)
    rows = [r.split(",") for r in (tmp_path / "probe.csv").read_text().splitlines()[1:]]
    zero_layers = [int(r[0]) for r in rows if float(r[1]) == 0]
    assert zero_layers, "plain GELU at width 32, depth 200 no longer underflows; pick a deeper probe"
    root = svg(tmp_path / "probe.svg")
    label = "‖x‖/√d"
    measured = [v for pl in by_class(root, "polyline", "series") if pl.get("data-label") == label for v in vertices(pl)]
    under = [m for m in by_class(root, "path", "underflow") if m.get("data-label") == label]
    # Every point is shown exactly once: measured ones as vertices, zeros as markers.
    assert len(measured) == depth + 1 - len(zero_layers)
    assert sorted(int(m.get("data-x")) for m in under) == zero_layers
    # The markers sit in the strip below the measured range, not on it.
    (strip,) = [l for l in by_class(root, "line", "strip")]
    floor = float(strip.get("y1"))
    assert all(y <= floor for _, y in measured)
    assert all(first_point(m.get("d"))[1] > floor for m in under)
    assert any("".join(t.itertext()) == "≤ 0" for t in by_class(root, "text", "strip-label"))
    legend = legend_texts(root)[label]
    assert f"underflow (≤ 0) at {len(zero_layers)} points, layer {zero_layers[0]}–{zero_layers[-1]}" in legend, legend
    assert_legend_inside_frame(root)


def test_no_strip_when_every_value_is_measured(tmp_path):
    run("probe", "--activation", "tanh", "--gpn", "--width", 32, "--depth", 20, "--samples", 32, "--out", tmp_path)
    root = svg(tmp_path / "probe.svg")
    assert not by_class(root, "line", "strip") and not by_class(root, "path", "underflow")
    assert [len(vertices(pl)) for pl in by_class(root, "polyline", "series")] == [21, 20, 20]
    assert_legend_inside_frame(root)
