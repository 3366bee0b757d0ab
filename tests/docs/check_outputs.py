#!/usr/bin/env python3
"""The documentation quotes real runs only.

(a) Every `<!-- output:begin NAME -->` block in README.md and docs/CLI.md is exactly the
    fenced content of docs/results/NAME.txt, which scripts/regenerate-docs.py wrote from a
    real run; every such file is quoted somewhere and named by that script, and starts with
    its header line and `$ bsnn …` command line.
(b) Every number in the prose of README.md and of docs/CLI.md's results section (outside
    code, inline code and generated blocks) occurs in a checked-in run output (docs/results/*.txt without their
    header lines, and the generated bench-table blocks of README.md and
    benchmarks/RESULTS.md), or is listed in NOT_FROM_A_RUN below with the reason.
(c) The tables of docs/RECIPES.md, docs/MONITOR.md and docs/DISTRIBUTED.md are what
    their scripts (RENDERED) render from the checked-in benchmarks/results logs.
(d) The bench-table blocks of benchmarks/RESULTS.md and README.md are what
    benchmarks/report.py renders from the raw file RESULTS.md's block names
    (benchmarks/regenerate.sh writes the file and both blocks from one run).

usage: python3 tests/docs/check_outputs.py [--root DIR]   (exit status 1, one line per problem)
"""
import difflib
import importlib.util
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import docblocks  # noqa: E402

DOCS = ["README.md", "docs/CLI.md"]
# Where results are quoted in prose: all of README.md; in docs/CLI.md the one section
# about results (its other numbers are flag defaults and exit codes).
PROSE = {"README.md": None, "docs/CLI.md": "## Reproduce defaults"}
GENERATED = [("README.md", "bench-table"), ("benchmarks/RESULTS.md", "bench-table")]

NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?(?![\w])")

# Numbers the prose may quote that no docs run prints, each with the reason.
NOT_FROM_A_RUN = {
    "2023": "the paper's publication year",
    "6.3": "the Swift version",
    "60,000": "the size of Fashion-MNIST's training split (the paper's setting)",
    "1e-3": "a learning rate tried in the measurement that chose the defaults (not a result)",
    "0.9": "the momentum of that measurement (not a result)",
    "8": "benchmarks/RESULTS.md: 2-thread sgemm under contention, 8–100 GFLOP/s (benchmarks/run.sh)",
    "100": "benchmarks/RESULTS.md: the upper end of that range",
    "1.04": "benchmarks/RESULTS.md: peak memory over the theoretical minimum (benchmarks/run.sh)",
    "2026": "the year of the default run's timing measurement (docs/CLI.md)",
    "814": "the default run's user + sys CPU seconds from /usr/bin/time -v around regenerate-docs.py (not in its output)",
    "7": "those 814 CPU seconds spread over 2 idle cores, in minutes",
    "143": "Fig. 3's seconds in report.md of a --jobs 1 timing run on the same day (report.md is no docs output)",
    "33": "Fig. 1's CPU seconds, timed alone with /usr/bin/time on the same day (docs/CLI.md)",
    "60": "the size Foundation's ICU data would add to libbsnn.so (a packaging fact, not a run)",
    "41": "CPU seconds of one Fig. 3 cell at width 1500, timed alone with /usr/bin/time on the same day",
    "35": "(814 − 33 − 143) CPU seconds over the default's 18 activation × seed pairs",
    "90": "the default's Table-2 runs: 6 activations × 5 columns × 3 seeds",
    "300": "the 1-epoch Table-2 length the measurement that chose the defaults rejected",
    "128": "the width of the earlier measurement that chose the learning rate (not a result)",
    "10000": "the size of Fashion-MNIST's test split (the paper's setting)",
    "0.61": "--full estimate: measured CPU seconds per step at width 500 (30 minus 10 steps of a timed reproduce run)",
    "938": "--full estimate: steps per epoch over 60,000 samples in batches of 64",
    "46900": "--full estimate: 938 steps × 50 epochs",
    "7.9": "--full estimate: 46900 steps × 0.61 s, in hours",
    "15": "--full estimate: 90 runs × 7.9 h over 2 cores, in days",
}


def value(token):
    try:
        return float(token.replace(",", ""))
    except ValueError:
        return None


def prose(text):
    """`text` without what is checked elsewhere or is not a claim: fenced code, generated
    blocks, HTML comments and inline code (commands, flags, file names)."""
    for kind in ("output", "bench-table"):
        text = re.sub(rf"<!-- {kind}:begin[^>]*-->.*?<!-- {kind}:end[^>]*-->", " ", text, flags=re.S)
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    return re.sub(r"`[^`\n]*`", " ", text)


def section(text, heading):
    """The part of `text` from the line that starts with `heading` to the next heading
    of that level."""
    if heading is None:
        return text
    level = heading.split(" ")[0] + " "
    start = text.find("\n" + heading)
    if start < 0:
        return ""
    end = text.find("\n" + level, start + len(heading) + 2)
    return text[start:end if end >= 0 else len(text)]


def check(root):
    problems = []
    results = root / "docs" / "results"
    spec = importlib.util.spec_from_file_location("regenerate_docs", root / "scripts" / "regenerate-docs.py")
    regen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(regen)
    commands = dict(regen.OUTPUTS)
    quoted = set()
    for doc in DOCS:
        for name, body in docblocks.find((root / doc).read_text(), "output"):
            source = results / f"{name}.txt"
            if not source.exists():
                problems.append(f"{doc}: output block '{name}' has no docs/results/{name}.txt")
                continue
            quoted.add(name)
            content, want = docblocks.unfenced(body), source.read_text()
            if content != want:
                diff = difflib.unified_diff(want.splitlines(), (content or body).splitlines(),
                                            f"docs/results/{name}.txt", f"{doc} block {name}", lineterm="", n=0)
                problems.append(f"{doc}: output block '{name}' differs from docs/results/{name}.txt "
                                "(run scripts/regenerate-docs.py):\n    " + "\n    ".join(list(diff)[:12]))
    runs = []
    for name in commands:
        if not (results / f"{name}.txt").exists():
            problems.append(f"docs/results/{name}.txt: missing (an output of scripts/regenerate-docs.py)")
    for source in sorted(results.glob("*.txt")):
        name = source.stem
        lines = source.read_text().splitlines()
        if name not in quoted:
            problems.append(f"docs/results/{source.name}: quoted by no output block")
        if name not in commands:
            problems.append(f"docs/results/{source.name}: not an output of scripts/regenerate-docs.py")
        elif len(lines) < 2 or not lines[0].startswith("# bsnn ") or lines[1] != f"$ {commands[name]}":
            problems.append(f"docs/results/{source.name}: expected a '# bsnn …' header and '$ {commands[name]}'")
        runs += lines[2:]  # the header's date and kernel numbers are no result
    for doc, kind in GENERATED:
        runs += [body for _, body in docblocks.find((root / doc).read_text(), kind)]
    measured = {value(t) for line in runs for t in NUMBER.findall(line)}
    checked, allowed = 0, set()
    for doc, heading in PROSE.items():
        text = prose(section((root / doc).read_text(), heading))
        if heading and not text:
            problems.append(f"{doc}: no section '{heading}'")
        for m in NUMBER.finditer(text):
            checked += 1
            token = m.group(0).rstrip(",")
            # A listed number stays listed while it is quoted, even when a run happens
            # to print the same value (the reason for it has not changed).
            if token in NOT_FROM_A_RUN:
                allowed.add(token)
                continue
            if value(token) in measured:
                continue
            context = text[max(0, m.start() - 40):m.end() + 20].replace("\n", " ")
            problems.append(f"{doc}: '{token}' is in no run output and not in NOT_FROM_A_RUN: …{context}…")
    problems += [f"NOT_FROM_A_RUN: '{n}' is quoted nowhere any more; remove it" for n in NOT_FROM_A_RUN if n not in allowed]
    return problems, len(quoted), checked


# Tables rendered by a script from checked-in run logs: (doc, block kind, script, log glob).
RENDERED = [
    ("docs/RECIPES.md", "recipe-table", "scripts/recipe-report.py", "recipe-table-*.jsonl"),
    ("docs/MONITOR.md", "monitor-table", "scripts/monitor-report.py", "monitor-collapse-*.jsonl"),
    ("docs/DISTRIBUTED.md", "mpi-table", "scripts/mpi-cost-model.py", "mpi-*.jsonl"),
]


def check_rendered(root):
    problems = []
    for doc, kind, script, pattern in RENDERED:
        spec = importlib.util.spec_from_file_location(pathlib.Path(script).stem.replace("-", "_"), root / script)
        report = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(report)
        logs = sorted((root / "benchmarks" / "results").glob(pattern))
        blocks = docblocks.find((root / doc).read_text(), kind)
        if not logs:
            problems.append(f"benchmarks/results: no {pattern} ({doc} quotes one)")
        elif len(blocks) != 1:
            problems.append(f"{doc}: expected one {kind} block, found {len(blocks)}")
        elif blocks[0][1] != report.render(logs):
            problems.append(f"{doc}: the {kind} block differs from {script}'s output (run {script} --write)")
    return problems


def check_bench_tables(root):
    problems = []
    spec = importlib.util.spec_from_file_location("bench_report", root / "benchmarks" / "report.py")
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    blocks = {doc: docblocks.find((root / doc).read_text(), "bench-table") for doc, _ in GENERATED}
    for doc, found in blocks.items():
        if len(found) != 1:
            problems.append(f"{doc}: expected one bench-table block, found {len(found)}")
    if problems:
        return problems
    results = blocks["benchmarks/RESULTS.md"][0][1]
    m = re.search(r"raw lines `results/([\w.-]+\.jsonl)`", results)
    raw = root / "benchmarks" / "results" / m.group(1) if m else None
    if raw is None or not raw.exists():
        return [f"benchmarks/RESULTS.md: the bench-table block names no checked-in raw file "
                f"({m.group(1) if m else 'none named'}; run benchmarks/regenerate.sh)"]
    recs = report.load(raw)
    for doc, want in (("benchmarks/RESULTS.md", report.results_block(recs)), ("README.md", report.readme_table(recs))):
        if blocks[doc][0][1].strip() != want.strip():
            problems.append(f"{doc}: the bench-table block differs from benchmarks/report.py's rendering of "
                            f"benchmarks/results/{raw.name} (run benchmarks/regenerate.sh)")
    return problems


def main():
    args = sys.argv[1:]
    root = pathlib.Path(args[1]).resolve() if args[:1] == ["--root"] and len(args) == 2 else ROOT
    problems, blocks, checked = check(root)
    problems += check_rendered(root)
    problems += check_bench_tables(root)
    for p in problems:
        print(p)
    print(f"docs outputs: {blocks} blocks equal their run files, {checked} prose numbers checked, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
