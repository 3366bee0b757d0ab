"""tests/docs/check_outputs.py finds what it is for: a block that is not its run file, a
run file no block quotes, and a number in prose that no run printed. Each case edits a
copy of the documents in a temporary folder and expects the named problem."""
import importlib.util
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("check_outputs", ROOT / "tests" / "docs" / "check_outputs.py")
check_outputs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_outputs)
FILES = ["README.md", "docs/CLI.md", "benchmarks/RESULTS.md", "scripts/docblocks.py", "scripts/regenerate-docs.py"]


@pytest.fixture
def copy(tmp_path):
    for f in FILES:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, tmp_path / f)
    shutil.copytree(ROOT / "docs" / "results", tmp_path / "docs" / "results")
    return tmp_path


def problems(root):
    return check_outputs.check(root)[0]


def test_the_checked_in_documents_pass():
    found, blocks, checked = check_outputs.check(ROOT)
    assert found == [] and blocks >= 6 and checked > 50, found


def test_an_edited_block_is_found(copy):
    readme = copy / "README.md"
    text = readme.read_text()
    start = text.index("<!-- output:begin reproduce -->")
    line_end = text.index("\n", text.index("== Table 2", start))
    readme.write_text(text[:line_end] + " (edited)" + text[line_end:])
    assert any("output block 'reproduce' differs from docs/results/reproduce.txt" in p for p in problems(copy))


def test_an_unquoted_run_file_is_found(copy):
    (copy / "docs" / "results" / "old-run.txt").write_text("# bsnn 0.1.0\n$ bsnn gpn\n")
    found = problems(copy)
    assert "docs/results/old-run.txt: quoted by no output block" in found
    assert "docs/results/old-run.txt: not an output of scripts/regenerate-docs.py" in found


def test_a_number_no_run_printed_is_found(copy):
    readme = copy / "README.md"
    readme.write_text(readme.read_text().replace("## Quick start", "GELU-GPN reaches 44.5517 % here.\n\n## Quick start"))
    assert any(p.startswith("README.md: '44.5517' is in no run output") for p in problems(copy))


def test_a_number_a_run_printed_passes(copy):
    run = (copy / "docs" / "results" / "train.txt").read_text().splitlines()[2]  # test loss … accuracy …
    accuracy = run.split()[4]
    readme = copy / "README.md"
    readme.write_text(readme.read_text().replace("## Quick start", f"It reaches accuracy {accuracy}.\n\n## Quick start"))
    assert problems(copy) == []


def test_a_missing_run_file_is_found(copy):
    (copy / "docs" / "results" / "probe.txt").unlink()
    found = problems(copy)
    assert "docs/results/probe.txt: missing (an output of scripts/regenerate-docs.py)" in found
    assert "docs/CLI.md: output block 'probe' has no docs/results/probe.txt" in found


def test_an_allowance_no_longer_quoted_is_found(copy, monkeypatch):
    monkeypatch.setitem(check_outputs.NOT_FROM_A_RUN, "31415.9", "a reason for a number nobody quotes")
    assert "NOT_FROM_A_RUN: '31415.9' is quoted nowhere any more; remove it" in problems(copy)


def test_the_rendered_tables_pass_and_an_edited_one_is_found(tmp_path):
    assert check_outputs.check_rendered(ROOT) == []
    for doc, kind, script, pattern in check_outputs.RENDERED:
        for f in [doc, script, "scripts/docblocks.py"]:
            (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, tmp_path / f)
        (tmp_path / "benchmarks" / "results").mkdir(parents=True, exist_ok=True)
        for log in (ROOT / "benchmarks" / "results").glob(pattern):
            shutil.copy2(log, tmp_path / "benchmarks" / "results" / log.name)
    assert check_outputs.check_rendered(tmp_path) == []
    recipes = tmp_path / "docs" / "RECIPES.md"
    recipes.write_text(recipes.read_text().replace("| `deep` | 200 | 85.0 %", "| `deep` | 200 | 95.0 %"))
    assert check_outputs.check_rendered(tmp_path) == [
        "docs/RECIPES.md: the recipe-table block differs from scripts/recipe-report.py's output "
        "(run scripts/recipe-report.py --write)"]


def test_the_bench_tables_are_the_rendering_of_their_raw_file(tmp_path):
    assert check_outputs.check_bench_tables(ROOT) == []
    for f in ["README.md", "benchmarks/RESULTS.md", "benchmarks/report.py", "scripts/docblocks.py"]:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, tmp_path / f)
    shutil.copytree(ROOT / "benchmarks" / "results", tmp_path / "benchmarks" / "results")
    assert check_outputs.check_bench_tables(tmp_path) == []
    readme = tmp_path / "README.md"
    text = readme.read_text()
    start = text.index("<!-- bench-table:begin -->")
    cell = text.index(" ms", start)
    readme.write_text(text[:cell] + "0" + text[cell:])  # one bsnn time ten times larger
    found = check_outputs.check_bench_tables(tmp_path)
    assert len(found) == 1 and found[0].startswith("README.md: the bench-table block differs"), found
