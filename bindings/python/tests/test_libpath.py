"""Import failures: LibraryNotFound is an ImportError whose hint matches what dlopen
really reported (a missing dependency is not "build it"). Each case imports bsnn in a
fresh interpreter with BSNN_LIBRARY pointing at a crafted file."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bsnn
from bsnn import _libpath

PACKAGE_PARENT = str(Path(bsnn.__file__).resolve().parent.parent)


def import_error(library: str) -> str:
    """stderr-free report of `import bsnn` with BSNN_LIBRARY=library: the exception's
    class chain and message."""
    code = ("try:\n    import bsnn\nexcept ImportError as e:\n"
            "    print(type(e).__name__, [c.__name__ for c in type(e).__mro__]); print(e)\n"
            "else:\n    print('imported', bsnn.library_path)\n")
    env = dict(os.environ, BSNN_LIBRARY=library, PYTHONPATH=PACKAGE_PARENT)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd="/", check=True).stdout


def test_missing_file_is_an_import_error_with_the_build_hint(tmp_path):
    out = import_error(str(tmp_path / "libbsnn.so"))
    assert out.startswith("LibraryNotFound") and "'ImportError'" in out.splitlines()[0]
    assert "does not exist" in out and "swift build -c release" in out


def test_missing_dependency_names_it_instead_of_build_hint(tmp_path):
    patchelf = shutil.which("patchelf")
    if patchelf is None:
        pytest.skip("patchelf not installed (apt-get install patchelf)")
    copy = tmp_path / "libbsnn.so"
    shutil.copy2(bsnn.library_path, copy)
    subprocess.run([patchelf, "--add-needed", "libbsnn-test-missing.so.7", str(copy)], check=True)
    out = import_error(str(copy))
    assert out.startswith("LibraryNotFound")
    assert f"{copy} exists but its dependency libbsnn-test-missing.so.7 cannot be found" in out
    assert "swift build" not in out


def test_file_of_another_kind_says_platform(tmp_path):
    fake = tmp_path / "libbsnn.so"
    fake.write_bytes(b"\x7fELF" + b"\0" * 60)
    out = import_error(str(fake))
    assert out.startswith("LibraryNotFound") and "is not a library for this platform" in out


def test_working_library_imports():
    out = import_error(bsnn.library_path)
    assert out.strip() == f"imported {bsnn.library_path}"


def test_missing_dependency_parser_on_glibc_texts():
    lib = "/x/libbsnn.so"
    assert _libpath.missing_dependency(
        lib, "libopenblas.so.0: cannot open shared object file: No such file or directory") == "libopenblas.so.0"
    assert _libpath.missing_dependency(
        lib, "/x/libbsnn.so: cannot open shared object file: No such file or directory") is None
    assert _libpath.missing_dependency("libbsnn.so.0", "libbsnn.so.0: cannot open shared object file") is None
    assert _libpath.missing_dependency(lib, "/x/libbsnn.so: invalid ELF header") is None
