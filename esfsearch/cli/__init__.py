"""The `esfsearch` command line (Typer): `main` is the console script, `app` the Typer application.

main.py     the app and its commands (query, index, parse, show, similar, stats, analyze, tui)
saved.py    `esfsearch saved …`
eval.py     `esfsearch eval`
options.py  options shared by commands; the filter options from the field registry
output.py   stdout/stderr, tables, JSON/CSV, exit codes
engine.py   opening (and on first use building) the index
"""

from __future__ import annotations

import functools
import os
import sys
import types
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
        lean_whoosh()
        from .main import main as run
    except KeyboardInterrupt:
        sys.stderr.write("esfsearch: interrupted\n")
        sys.exit(130)
    run()


def _urlretrieve(*args: Any, **kwargs: Any) -> Any:
    from urllib.request import urlretrieve

    return urlretrieve(*args, **kwargs)


def lean_whoosh() -> None:
    """Import Whoosh's `compat` and `reading` modules with two of their imports stood in for, which
    a search never uses and which cost a one-shot command ~80 ms of Whoosh's ~170 ms import:
    `urllib.request` (http, email and ssl with it) for `urlretrieve`, which Whoosh never calls (the
    stand-in imports the real one if anything does), and the `cached_property` package (it imports
    asyncio) for the one property Whoosh caches, where functools' descriptor does the same. The
    stand-ins are taken out of `sys.modules` at once: a later import gets the real module. Nothing is
    done when Whoosh, or either module, is already imported."""
    if "whoosh.reading" in sys.modules or "urllib.request" in sys.modules or "cached_property" in sys.modules:
        return
    request = types.ModuleType("urllib.request")
    request.urlretrieve = _urlretrieve  # type: ignore[attr-defined]
    cached = types.ModuleType("cached_property")
    cached.cached_property = functools.cached_property  # type: ignore[attr-defined]
    sys.modules.update({"urllib.request": request, "cached_property": cached})
    try:
        import whoosh.compat  # noqa: F401
        import whoosh.reading  # noqa: F401
    finally:
        for name, module in (("urllib.request", request), ("cached_property", cached)):
            if sys.modules.get(name) is module:
                del sys.modules[name]


def __getattr__(name: str) -> Any:
    """`from esfsearch.cli import app`: the Typer application, imported on first use."""
    if name == "app":
        from .main import app

        return app
    raise AttributeError(name)
