"""Builds the bsnn wheel around a release build of the Swift package.

The bindings are pure ctypes, but the package is useless without libbsnn.so, so the
wheel is a platform wheel (``Root-Is-Purelib: false``, tag ``py3-none-<platform>``)
holding the release ``libbsnn.so`` and the ``bsnn`` command line (``bsnn-cli``,
stripped). Building without them fails here, at build time, with the command that
makes them, instead of installing a package that fails at import.

Where the release build is looked for: ``$BSNN_RELEASE_DIR`` when set, else
``<repository>/.build/release`` relative to this file (an in-tree ``pip install`` or
``python -m build --wheel``; ``python -m build`` unpacks an sdist elsewhere first, so it
needs the variable). ``scripts/package/python-wheel.sh`` sets it and then runs
``auditwheel repair`` for a manylinux tag with OpenBLAS and friends vendored.

``python setup.py --print-stamp`` prints the build stamp (a hash of the binaries and
the package sources) that the wheel records in ``bsnn/_build_stamp.txt`` — a package
file listed in pip's RECORD, so ``pip uninstall`` removes it; ``scripts/setup.sh``
compares the two to decide whether to reinstall.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LIBRARY = "libbsnn.so"
CLI = "bsnn-cli"
STAMP_FILE = "_build_stamp.txt"


def release_dir() -> Path:
    env = os.environ.get("BSNN_RELEASE_DIR")
    return Path(env) if env else HERE.parent.parent / ".build" / "release"


def missing_build_message(folder: Path, missing: list[str]) -> str:
    return (
        f"bsnn: cannot build the Python package: {', '.join(missing)} not found in {folder}.\n"
        "The wheel bundles the release build of the Swift package. Build it first, in the\n"
        "repository root:\n"
        "    swift build -c release                   # then pip install ./bindings/python\n"
        "or build the self-contained wheel in one command:\n"
        "    bash scripts/package/python-wheel.sh\n"
        "or point BSNN_RELEASE_DIR at a folder holding libbsnn.so and bsnn-cli\n"
        "(needed by `python -m build`, which builds from an unpacked sdist).")


def package_files() -> list[Path]:
    """The files whose change must reinstall the package, in a fixed order."""
    source = HERE / "src" / "bsnn"
    files = [p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts
             and p.name not in (LIBRARY, CLI, STAMP_FILE)]
    return [HERE / "pyproject.toml", HERE / "setup.py", HERE / "README.md"] + sorted(
        files, key=lambda p: p.relative_to(source).as_posix())


def build_stamp(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in [folder / LIBRARY, folder / CLI] + package_files():
        digest.update(path.name.encode() + b"\0")
        with open(path, "rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()[:16]


if __name__ == "__main__" and sys.argv[1:] == ["--print-stamp"]:
    print(build_stamp(release_dir()))
    sys.exit(0)

from setuptools import Distribution, setup  # noqa: E402  (not needed for --print-stamp)
from setuptools.command.build_py import build_py  # noqa: E402

try:  # setuptools >= 70.1 ships bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel  # noqa: E402
except ImportError:  # older setuptools: the `wheel` package's
    from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]  # noqa: E402


class BuildPyWithBinaries(build_py):
    """Copies the release library and command line into the package."""

    def run(self) -> None:
        folder = release_dir()
        missing = [name for name in (LIBRARY, CLI) if not (folder / name).is_file()]
        if missing:
            raise SystemExit(missing_build_message(folder, missing))
        super().run()
        target = Path(self.build_lib) / "bsnn"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / LIBRARY, target / LIBRARY)
        cli = target / "_bin" / CLI
        cli.parent.mkdir(exist_ok=True)
        # The static CLI carries ~30 MB of symbols a user never needs.
        strip = shutil.which("strip")
        if strip:
            subprocess.run([strip, "--strip-unneeded", "-o", str(cli), str(folder / CLI)], check=True)
        else:
            shutil.copy2(folder / CLI, cli)
        cli.chmod(0o755)
        (target / STAMP_FILE).write_text(build_stamp(folder) + "\n")
        print(f"bsnn: bundled {folder / LIBRARY} and {folder / CLI}"
              + ("" if strip else " (not stripped: no `strip` on PATH)"))


class PlatformWheel(bdist_wheel):
    """The binaries make the wheel platform-specific, but there is no CPython
    extension: any Python 3 on this platform can use it (py3-none-<platform>)."""

    def finalize_options(self) -> None:
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self) -> tuple[str, str, str]:
        _, _, platform = super().get_tag()
        return "py3", "none", platform


class BinaryDistribution(Distribution):
    """Installs into platlib (the wheel root) like a package with extensions, which
    auditwheel requires of a wheel holding shared objects."""

    def has_ext_modules(self) -> bool:
        return True


setup(distclass=BinaryDistribution,
      cmdclass={"build_py": BuildPyWithBinaries, "bdist_wheel": PlatformWheel})
