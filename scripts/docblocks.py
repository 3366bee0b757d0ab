"""Generated blocks in Markdown files, the one implementation every regenerating
script and the documentation test use.

A block is the text between `<!-- KIND:begin -->` and `<!-- KIND:end -->` (one unnamed
block of that kind per file, e.g. `bench-table`) or between `<!-- KIND:begin NAME -->`
and `<!-- KIND:end NAME -->` (several named blocks, e.g. `output reproduce`). The
markers stay in the file; only what lies between them is rewritten.

Command line (the body is read from standard input):
    python3 scripts/docblocks.py replace FILE KIND [NAME]
"""
import pathlib
import re
import sys


def _markers(kind, name=None):
    suffix = f" {name}" if name else ""
    return f"<!-- {kind}:begin{suffix} -->\n", f"<!-- {kind}:end{suffix} -->"


def find(text, kind):
    """Every block of `kind` in `text`, as a list of (name or None, body)."""
    pattern = rf"<!-- {re.escape(kind)}:begin(?: ([\w.-]+))? -->\n(.*?)<!-- {re.escape(kind)}:end(?: ([\w.-]+))? -->"
    out = []
    for m in re.finditer(pattern, text, re.S):
        if m.group(1) != m.group(3):
            raise ValueError(f"{kind} block '{m.group(1)}' closed by an end marker for '{m.group(3)}'")
        out.append((m.group(1), m.group(2)))
    return out


def replace(path, kind, body, name=None):
    """Rewrites the one block of `kind` (and `name`) in the file at `path` with `body`;
    exits with a message naming the file unless there is exactly one such block."""
    p = pathlib.Path(path)
    begin, end = _markers(kind, name)
    text = p.read_text()
    pattern = re.escape(begin) + r".*?" + re.escape(end)
    body = body if body.endswith("\n") else body + "\n"
    new, n = re.subn(pattern, lambda m: begin + body + end, text, flags=re.S)
    if n != 1:
        sys.exit(f"{path}: expected one {begin.strip()} … {end} pair, found {n}")
    if new != text:
        p.write_text(new)


def fenced(text, lang="text"):
    """`text` as a fenced Markdown code block (the form output blocks take)."""
    return f"```{lang}\n{text if text.endswith(chr(10)) else text + chr(10)}```\n"


def unfenced(body):
    """The content of a block that is one fenced code block, or None."""
    m = re.fullmatch(r"```\w*\n(.*?)```\n", body, re.S)
    return m.group(1) if m else None


def json_lines(paths, key="label"):
    """The JSON objects of every line of the log files, by `key`; a later line with the
    same key (a rerun) replaces an earlier one."""
    import json
    out = {}
    for p in paths:
        for line in pathlib.Path(p).read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                out[r[key]] = r
    return out


def report_main(render, doc, kind, logs, producer):
    """Command line of a script that renders a table from run logs: prints
    `render(paths)`, or with --write puts it into `doc`'s `kind` block. The logs are the
    arguments, else `logs` (the checked-in ones); `producer` names the script to run when
    there are none."""
    args = sys.argv[1:]
    write = "--write" in args
    paths = [a for a in args if a != "--write"] or logs
    if not paths:
        sys.exit(f"no run logs in benchmarks/results (run {producer})")
    table = render(paths)
    if write:
        replace(doc, kind, table)
    else:
        sys.stdout.write(table)


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5) or sys.argv[1] != "replace":
        sys.exit("usage: docblocks.py replace FILE KIND [NAME] < body")
    replace(sys.argv[2], sys.argv[3], sys.stdin.read(), sys.argv[4] if len(sys.argv) == 5 else None)
