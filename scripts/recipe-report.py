#!/usr/bin/env python3
"""Renders the recipe tables of docs/RECIPES.md from the JSON lines scripts/recipe-table.sh
wrote (one per run), and with --write rewrites the `recipe-table` block of docs/RECIPES.md.
tests/docs/check_outputs.py checks that the block equals this script's output on the
checked-in benchmarks/results/recipe-table-*.jsonl.

usage: scripts/recipe-report.py [--write] [FILE.jsonl ...]   (default: the checked-in files)
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import docblocks  # noqa: E402

DOC = ROOT / "docs" / "RECIPES.md"
# Test accuracy at or below this is "at chance" (10 classes: 0.10).
CHANCE = 0.15


def default_logs():
    return sorted((ROOT / "benchmarks" / "results").glob("recipe-table-*.jsonl"))


def runs(paths):
    return docblocks.json_lines(paths)


def accuracies(r):
    """Test accuracy (the validation set is the test split) after each epoch."""
    s = r.get("summary") or {}
    return [e["validation"]["accuracy"] for e in s.get("epoch_results", []) if e.get("validation")]


def failure(r):
    """What a failed run's last stderr lines say, shortened to the cell."""
    for line in reversed(r.get("stderr_tail") or []):
        m = re.search(r"divergence at step (\d+)", line)
        if m:
            return f"diverged (non-finite logits at step {m.group(1)})"
    return f"failed (rc {r['rc']})"


def epoch_seconds(r):
    s = r.get("summary") or {}
    return [e["seconds"] for e in s.get("epoch_results", [])]


def pct(a):
    return f"{100 * a:.1f} %"


def minutes(s):
    return f"{s / 60:.1f} min"


def render(paths):
    rs = runs(paths)
    lines = ["| preset | depth | test accuracy, 1 epoch | 3 epochs | time, 1 epoch | 3 epochs |",
             "|---|---|---|---|---|---|"]
    for depth in (20, 50, 200):
        for recipe in ("paper", "deep"):
            r = rs.get(f"{recipe}-d{depth}-e3")
            if r is None:
                lines.append(f"| `{recipe}` | {depth} | not run | not run | | |")
                continue
            acc = accuracies(r)
            if r["rc"] != 0 or len(acc) < 3:
                lines.append(f"| `{recipe}` | {depth} | {failure(r)} | | | {minutes(r['wall_s'])} |")
                continue
            first = minutes(epoch_seconds(r)[0])
            lines.append(f"| `{recipe}` | {depth} | {pct(acc[0])} | {pct(acc[2])} | {first} | {minutes(r['wall_s'])} |")
    lines += ["", "| activation (GPN) | `paper`, 300 steps | `deep`, 300 steps |", "|---|---|---|"]
    for act in ("relu", "leaky_relu", "elu", "selu", "gelu"):
        cells = []
        for recipe in ("paper", "deep"):
            r = rs.get(f"{recipe}-d200-{act}")
            acc = accuracies(r) if r else []
            if r is None:
                cells.append("not run")
            elif r["rc"] != 0 or not acc:
                cells.append(failure(r))
            else:
                cells.append(pct(acc[-1]) + (" (at chance)" if acc[-1] <= CHANCE else ""))
        lines.append(f"| {act} | {cells[0]} | {cells[1]} |")
    loads = [r["load_end"] for r in rs.values()]
    if loads:
        lines += ["", f"{len(rs)} runs; machine load at their ends {min(loads):.1f}–{max(loads):.1f} "
                  "(other work shared the 2 cores, so the wall times are upper bounds)."]
    return "\n".join(lines) + "\n"


def main():
    docblocks.report_main(render, DOC, "recipe-table", default_logs(), "scripts/recipe-table.sh")


if __name__ == "__main__":
    main()
