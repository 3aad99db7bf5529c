"""The `esfsearch` command line (Typer): `main` is the console script, `app` the Typer application.

main.py     the app and its commands (query, index, parse, show, similar, stats, analyze, tui)
saved.py    `esfsearch saved …`
eval.py     `esfsearch eval`
options.py  options shared by commands; the filter options from the field registry
output.py   stdout/stderr, tables, JSON/CSV, exit codes
engine.py   opening (and on first use building) the index
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["app", "main"]


def main() -> None:
    """The console script. The commands are imported here, not when the package is: Ctrl-C while a
    slow machine is still importing them exits 130 with one line, as it does later, not a traceback.

    numpy's OpenBLAS starts a thread per core when it is imported; the query path only uses
    element-wise numpy (no BLAS), so one is enough and a one-shot command saves the start-up
    (`import numpy` 261 -> 187 ms CPU here, 2 cores). A value the user set is kept."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        from .main import main as run
    except KeyboardInterrupt:
        sys.stderr.write("esfsearch: interrupted\n")
        sys.exit(130)
    run()


def __getattr__(name: str) -> Any:
    """`from esfsearch.cli import app`: the Typer application, imported on first use."""
    if name == "app":
        from .main import app

        return app
    raise AttributeError(name)
