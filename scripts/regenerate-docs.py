#!/usr/bin/env python3
"""Regenerates every "real output" block of README.md and docs/CLI.md from one fresh run.

Each command below runs in an empty temporary folder with `bsnn` on PATH (the release
build, copied so a rebuild during the run cannot change it); its standard output goes to
docs/results/NAME.txt under a first line naming the bsnn version and commit, the date,
kernel and CPU, and the wall time, and a second line `$ COMMAND`. Then every
`<!-- output:begin NAME -->` … `<!-- output:end NAME -->` block (scripts/docblocks.py) in
README.md and docs/CLI.md is rewritten with that file, fenced. scripts/test.d/45-readme.sh
checks that the blocks equal the files and that the numbers quoted in prose occur in them.

usage: scripts/regenerate-docs.py [--only NAME[,NAME…]] [--bsnn PATH]
  --only   rerun only these outputs (the others keep their checked-in files); the full
           `reproduce` run takes about 14 CPU minutes (about 7 minutes on an idle 2-core machine)
  --bsnn   the binary to run (default: build with `swift build -c release --product bsnn-cli`)
"""
import argparse
import os
import pathlib
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import docblocks  # noqa: E402

RESULTS = ROOT / "docs" / "results"
DOCS = [ROOT / "README.md", ROOT / "docs" / "CLI.md"]

# (name, command). Later commands may use files earlier ones wrote (inspect reads train's model).
OUTPUTS = [
    ("gpn-table1", "bsnn gpn"),
    ("gpn", "bsnn gpn tanh gelu --root paper"),
    ("probe", "bsnn probe --activation tanh --gpn --width 200 --depth 50 --samples 100 --out probe"),
    ("train", "bsnn train --data fashion-mnist --limit 2000 --test-limit 500 --depth 10 --width 64 "
              "--activation tanh --gpn --lr 0.003 --epochs 1 --out model.safetensors"),
    ("inspect", "bsnn inspect model.safetensors"),
    ("reproduce", "bsnn reproduce --out report"),
]


def git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor() or "unknown CPU")
    return f"Linux {platform.release()} {platform.machine()}, {cpu} × {os.cpu_count()}"


def build():
    subprocess.run(["swift", "build", "-c", "release", "--product", "bsnn-cli"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return ROOT / ".build" / "release" / "bsnn-cli"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated output names")
    ap.add_argument("--bsnn", help="binary to run instead of a fresh release build")
    args = ap.parse_args()
    names = [n for n, _ in OUTPUTS]
    only = args.only.split(",") if args.only else names
    unknown = [n for n in only if n not in names]
    if unknown:
        sys.exit(f"--only: unknown output {', '.join(unknown)}; expected some of {', '.join(names)}")
    binary = pathlib.Path(args.bsnn) if args.bsnn else build()
    # The outputs depend on the sources; local changes elsewhere (docs) do not matter.
    dirty = git("status", "--porcelain", "--", "Sources", "Package.swift", "Package.resolved")
    commit = git("rev-parse", "--short", "HEAD") + (" with local changes" if dirty else "")
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bsnn-docs.") as tmp:
        bindir = pathlib.Path(tmp) / "bin"
        work = pathlib.Path(tmp) / "work"
        bindir.mkdir()
        work.mkdir()
        shutil.copy2(binary, bindir / "bsnn")
        env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
        version = subprocess.run(["bsnn", "--version"], env=env, capture_output=True, text=True).stdout.strip()
        for name, command in OUTPUTS:
            # inspect reads the model train writes: train runs for it, written or not.
            if name not in only and not (name == "train" and "inspect" in only):
                continue
            print(f"regenerate-docs: {command}", file=sys.stderr, flush=True)
            start = time.monotonic()
            p = subprocess.run(shlex.split(command), cwd=work, env=env, capture_output=True, text=True)
            seconds = time.monotonic() - start
            if p.returncode != 0:
                sys.exit(f"regenerate-docs: `{command}` exited {p.returncode}:\n{p.stderr}")
            if name not in only:
                continue
            stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            header = (f"# bsnn {version} (commit {commit}), {stamp}, {machine()}, "
                      f"load {os.getloadavg()[0]:.1f}; {seconds:.1f} s; standard output only\n")
            (RESULTS / f"{name}.txt").write_text(header + f"$ {command}\n" + p.stdout)
    for doc in DOCS:
        for name, _ in docblocks.find(doc.read_text(), "output"):
            source = RESULTS / f"{name}.txt"
            if not source.exists():
                sys.exit(f"{doc.relative_to(ROOT)}: output block '{name}' has no docs/results/{name}.txt")
            docblocks.replace(doc, "output", docblocks.fenced(source.read_text()), name)
    print(f"regenerate-docs: wrote {', '.join(f'docs/results/{n}.txt' for n in only)} and the blocks in "
          f"{', '.join(str(d.relative_to(ROOT)) for d in DOCS)}", file=sys.stderr)


if __name__ == "__main__":
    main()
