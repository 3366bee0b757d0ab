"""The ``bsnn`` console script of the wheel: replaces the Python process with the
release command line bundled in the package (``bsnn/_bin/bsnn-cli``), so the command
behaves exactly as the installed Swift executable (exit codes, signals, stdin)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

BUNDLED = Path(__file__).resolve().parent / "_bin" / "bsnn-cli"


def main() -> None:
    if not BUNDLED.is_file():
        sys.exit(f"bsnn: the command line is not bundled in this installation ({BUNDLED} is "
                 "missing); install the wheel from scripts/package/python-wheel.sh, or use the "
                 "`bsnn` that scripts/install.sh installs")
    try:
        os.execv(BUNDLED, ["bsnn"] + sys.argv[1:])
    except OSError as error:
        sys.exit(f"bsnn: cannot run {BUNDLED}: {error}")


if __name__ == "__main__":
    main()
