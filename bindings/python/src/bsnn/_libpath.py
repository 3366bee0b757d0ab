"""Finds libbsnn.so. Private: the search order is documented in the package README.

Order (first hit wins):
  1. ``$BSNN_LIBRARY`` — an explicit path; if set but unusable we fail rather than
     silently fall back, so a typo is not masked by some other copy.
  2. the package directory (the copy every built package carries: the wheel's, with
     its dependencies in ``bsnn.libs``, or an in-tree ``pip install``'s),
  3. ``<repository>/.build/release/libbsnn.so`` relative to this source file (running
     from a checkout),
  4. ``/usr/local/lib/libbsnn.so`` (``scripts/setup.sh`` installs it there),
  5. ``ctypes.util.find_library("bsnn")`` (ldconfig cache / LD_LIBRARY_PATH).

A failure raises ``LibraryNotFound``, an ``ImportError`` (the error of ``import bsnn``).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
from pathlib import Path

LIBRARY_NAME = "libbsnn.so"

BUILD_HINT = ("Build it with `swift build -c release` or `bash scripts/setup.sh`, install the "
              "wheel (`bash scripts/package/python-wheel.sh`), or set BSNN_LIBRARY to its path.")


class LibraryNotFound(ImportError):
    """No usable libbsnn.so; the message lists every candidate and why it failed, and
    ends with a hint for the cause found (not built, a missing dependency, another
    platform's file)."""


# dlerror() texts of glibc's loader, which ctypes passes on as OSError's message.
_MISSING_FILE = re.compile(r"(?:^|: )([^:\s]+): cannot open shared object file")


def missing_dependency(path: str, error: str) -> str | None:
    """The library that dlopen could not find while loading ``path``, when it is not
    ``path`` itself (libbsnn.so exists, one of its dependencies does not)."""
    match = _MISSING_FILE.search(error)
    if match is None:
        return None
    name = match.group(1)
    return None if os.path.basename(name) == os.path.basename(path) or name == path else name


def hint(failures: list[tuple[str, str | None]]) -> str:
    """The advice for the most telling failure: a present library beats a missing one.
    ``failures`` holds (path, dlopen error or None when the file does not exist)."""
    for path, error in failures:
        if error is None:
            continue
        dependency = missing_dependency(path, error)
        if dependency is not None:
            advice = (" (Debian/Ubuntu: `apt-get install libopenblas0-pthread`)"
                      if "openblas" in dependency else
                      " (Debian/Ubuntu: `apt-get install libffi8`)" if "libffi" in dependency else "")
            return (f"{path} exists but its dependency {dependency} cannot be found by the "
                    f"loader: install it{advice}, or use the wheel "
                    "(`bash scripts/package/python-wheel.sh`), which bundles it.")
        if "wrong ELF class" in error or "invalid ELF header" in error or "ELF file" in error:
            return (f"{path} is not a library for this platform ({os.uname().machine}): "
                    + BUILD_HINT)
        if "undefined symbol" in error or "version `" in error:
            return (f"{path} does not fit this system's libraries ({error.strip()}): rebuild it "
                    "here. " + BUILD_HINT)
    return BUILD_HINT


def candidates() -> list[tuple[str, str]]:
    """(path, origin) pairs in search order; paths may not exist."""
    here = Path(__file__).resolve().parent
    out: list[tuple[str, str]] = []
    env = os.environ.get("BSNN_LIBRARY")
    if env:
        out.append((env, "$BSNN_LIBRARY"))
    out.append((str(here / LIBRARY_NAME), "package directory"))
    # src/bsnn -> src -> python -> bindings -> repository root
    if len(here.parents) >= 4:
        out.append((str(here.parents[3] / ".build" / "release" / LIBRARY_NAME), "repository build"))
    out.append(("/usr/local/lib/" + LIBRARY_NAME, "/usr/local/lib"))
    found = ctypes.util.find_library("bsnn")
    if found:
        out.append((found, "ctypes.util.find_library"))
    return out


def load() -> tuple[ctypes.CDLL, str]:
    """Loads the first usable candidate with ``CDLL`` (which releases the GIL during
    calls; ``PyDLL`` deadlocked when the library called back from its own threads)."""
    tried: list[str] = []
    failures: list[tuple[str, str | None]] = []
    env_set = bool(os.environ.get("BSNN_LIBRARY"))
    for path, origin in candidates():
        # find_library returns a bare soname that dlopen resolves itself.
        if "/" in path and not os.path.exists(path):
            tried.append(f"  {path} ({origin}): does not exist")
            failures.append((path, None))
        else:
            try:
                return ctypes.CDLL(path), path
            except OSError as error:
                tried.append(f"  {path} ({origin}): {error}")
                failures.append((path, str(error)))
        if env_set and origin == "$BSNN_LIBRARY":
            break
    if not any("find_library" in t for t in tried) and not env_set:
        tried.append('  ctypes.util.find_library("bsnn"): nothing found')
    raise LibraryNotFound(
        "cannot load libbsnn.so; tried in order:\n" + "\n".join(tried) + "\n" + hint(failures),
        name="bsnn")
