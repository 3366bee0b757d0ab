"""Finds libbsnn.so. Private: the search order is documented in the package README.

Order (first hit wins):
  1. ``$BSNN_LIBRARY`` — an explicit path; if set but unusable we fail rather than
     silently fall back, so a typo is not masked by some other copy.
  2. the package directory (a copy bundled by ``pip install`` when the repository had
     a release build),
  3. ``<repository>/.build/release/libbsnn.so`` relative to this source file (running
     from a checkout),
  4. ``/usr/local/lib/libbsnn.so`` (``scripts/setup.sh`` installs it there),
  5. ``ctypes.util.find_library("bsnn")`` (ldconfig cache / LD_LIBRARY_PATH).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path

LIBRARY_NAME = "libbsnn.so"


class LibraryNotFound(OSError):
    """No usable libbsnn.so; the message lists every candidate and why it failed."""


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
    env_set = bool(os.environ.get("BSNN_LIBRARY"))
    for path, origin in candidates():
        # find_library returns a bare soname that dlopen resolves itself.
        if "/" in path and not os.path.exists(path):
            tried.append(f"  {path} ({origin}): does not exist")
        else:
            try:
                return ctypes.CDLL(path), path
            except OSError as error:
                tried.append(f"  {path} ({origin}): {error}")
        if env_set and origin == "$BSNN_LIBRARY":
            break
    if not any("find_library" in t for t in tried) and not env_set:
        tried.append('  ctypes.util.find_library("bsnn"): nothing found')
    raise LibraryNotFound(
        "cannot load libbsnn.so; tried in order:\n" + "\n".join(tried)
        + "\nBuild it with `swift build -c release` or `bash scripts/setup.sh`, "
        "or set BSNN_LIBRARY to its path."
    )
