"""Python's enum tables are copies of include/bsnn.h's: every constant the header
defines has the same value here, and nothing here names a constant the header lacks."""
from __future__ import annotations

import re

from bsnn import _ffi, errors

# Python table -> the header prefix of its constants (keys upper-cased).
TABLES = {
    "CONSTRAINT": "BSNN_CONSTRAINT_", "INIT": "BSNN_INIT_", "LOSS": "BSNN_LOSS_",
    "OPTIMIZER": "BSNN_OPTIMIZER_", "SCHEDULE": "BSNN_SCHEDULE_", "UPDATE_MODE": "BSNN_UPDATE_",
    "UPSTREAM": "BSNN_UPSTREAM_", "NORM": "BSNN_NORM_", "MONITOR": "BSNN_MONITOR_",
    "SIGNAL": "BSNN_SIGNAL_", "COLLAPSE": "BSNN_COLLAPSE_", "STEP_STATUS": "BSNN_STEP_",
}
# Header constants Python does not mirror (they have no Python-side use).
NOT_MIRRORED_PREFIXES = ("BSNN_CSV_HEADER_", "BSNN_LOAD_", "BSNN_VERSION", "BSNN_ABI")


def header_constants(repo) -> dict[str, int]:
    text = (repo / "include" / "bsnn.h").read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    found = {name: int(value) for name, value in re.findall(r"\b(BSNN_[A-Z0-9_]+)\s*=\s*(\d+)\s*[,}\n]", text)}
    found.update({name: int(value) for name, value in re.findall(r"#define\s+(BSNN_FEATURE_[A-Z0-9_]+)\s+(\d+)u?\b", text)})
    return found


def python_constants() -> dict[str, int]:
    mine: dict[str, int] = {}
    for table, prefix in TABLES.items():
        for key, value in getattr(_ffi, table).items():
            mine[prefix + key.upper()] = value
    # SOURCE maps the other way (a code the library returns -> its name).
    for value, key in _ffi.SOURCE.items():
        mine["BSNN_SOURCE_" + key.upper()] = value
    for name in dir(_ffi):
        value = getattr(_ffi, name)
        if name.isupper() and isinstance(value, int) and not name.startswith(("HEADER_",)):
            mine["BSNN_" + name] = value
    for cls in errors.BY_STATUS.values():
        doc = (cls.__doc__ or "").split(":")[0].split(".")[0].strip()
        mine[doc] = cls.status
    return mine


def test_python_enum_tables_match_the_header(repo):
    header = header_constants(repo)
    assert len(header) > 50, "header parse found too few constants"
    mine = python_constants()
    wrong = {n: (v, header.get(n)) for n, v in mine.items() if header.get(n) != v}
    assert not wrong, f"Python value vs header value: {wrong}"
    missing = sorted(n for n in header if n not in mine and not n.startswith(NOT_MIRRORED_PREFIXES))
    assert not missing, f"header constants without a Python copy: {missing}"
