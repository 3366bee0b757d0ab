"""Bundles the repository's release libbsnn.so into the package when it exists, so an
installed package works without /usr/local/lib. No compiler is involved: the .so is
copied, the bindings are pure ctypes. Without a build the package falls back to the
loader's search order (see README)."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
BUILT = HERE.parent.parent / ".build" / "release" / "libbsnn.so"


class BuildPyWithLibrary(build_py):
    def run(self) -> None:
        super().run()
        if BUILT.is_file():
            target = Path(self.build_lib) / "bsnn" / "libbsnn.so"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(BUILT, target)
            print(f"bsnn: bundled {BUILT}")
        else:
            print(f"bsnn: {BUILT} not built; the package will search for libbsnn.so at import")


setup(cmdclass={"build_py": BuildPyWithLibrary})
