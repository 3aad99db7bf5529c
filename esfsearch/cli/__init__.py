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
import importlib
import importlib.machinery
import os
import sys
import types
from typing import Any

__all__ = ["app", "main", "script"]


def main() -> None:
    """The command line, as a caller that goes on afterwards runs it (SystemExit at the end). The
    commands are imported here, not when the package is: Ctrl-C while a slow machine is still
    importing them exits 130 with one line, as it does later, not a traceback.

    numpy's OpenBLAS starts a thread per core when it is imported; the query path only uses
    element-wise numpy (no BLAS), so one is enough and a one-shot command saves the start-up
    (`import numpy` 261 -> 187 ms CPU here, 2 cores). A value the user set is kept."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        stand_ins()
        from .main import main as run
    except KeyboardInterrupt:
        sys.stderr.write("esfsearch: interrupted\n")
        sys.exit(130)
    run()


def script() -> None:
    """The console script and `python -m esfsearch`: `main`, and when the command has written and
    closed everything (`output.done`), the process ends without the interpreter's teardown."""
    try:
        main()
    except SystemExit as exc:
        from .output import is_done

        if is_done():
            from .main import finish

            finish(exc.code)
        raise


class _StandIn(types.ModuleType):
    """A module's names that a library imports, without importing the module: any other name imports
    the real module, which takes the stand-in's place (in `sys.modules` and on its package)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(_real(self.__name__), name)


def _real(name: str) -> types.ModuleType:
    """The real module `name`, imported in place of its stand-in (if one is there)."""
    module = sys.modules.get(name)
    if isinstance(module, _StandIn):
        del sys.modules[name]
        package, _dot, child = name.rpartition(".")
        if package and getattr(sys.modules.get(package), child, None) is module:
            delattr(sys.modules[package], child)
    return importlib.import_module(name)


def _urlretrieve(*args: Any, **kwargs: Any) -> Any:
    return _real("urllib.request").urlretrieve(*args, **kwargs)


def _variations(word: str) -> Any:
    return _real("whoosh.lang.morph_en").variations(word)


def stand_ins() -> None:
    """Stand-ins for modules a command imports and never uses: `urllib.request` (http, email and ssl
    with it) for `urlretrieve`, which Whoosh never calls (the stand-in's calls the real one), and the
    `cached_property` package (it imports asyncio) for the one property Whoosh caches, where
    functools' descriptor does the same: ~80 ms of Whoosh's ~170 ms import; Whoosh's English
    inflections (`morph_en`, ~13 ms of regular expressions compiled) for its `Variations` query, which
    esfsearch never makes (the stand-in's `variations` calls the real one); `platform`, which Typer
    imports for `typer.launch` alone. And numpy's two modules
    that only write docstrings onto its C functions and scalar types, which a command never reads:
    ~10 ms of numpy's ~70 ms in a query process. Any other name of any of them imports the real
    module (`_StandIn`). Nothing is done for a module (or numpy) already imported."""
    import urllib  # noqa: F401  (the package whose `request` is stood in for)

    names: dict[str, dict[str, Any]] = {
        "urllib.request": {"urlretrieve": _urlretrieve},
        "cached_property": {"cached_property": functools.cached_property},
        "whoosh.lang.morph_en": {"variations": _variations},
        "platform": {},  # Typer's, for `typer.launch` (nine regular expressions compiled on import)
        "numpy._core._add_newdocs": {},
        "numpy._core._add_newdocs_scalars": {},
    }
    for name, attrs in names.items():
        top = name.partition(".")[0]
        if name in sys.modules or (top == "numpy" and top in sys.modules):
            continue
        spec = importlib.machinery.PathFinder.find_spec(name, _package_path(name))
        if spec is None:  # not installed: the import fails where it is made, as without stand-ins
            continue
        module = _StandIn(name)
        module.__dict__.update(attrs, __spec__=spec, __file__=spec.origin)  # as find_spec finds it
        sys.modules[name] = module
        package, _dot, child = name.rpartition(".")
        if package in sys.modules:  # as an import sets it: `urllib.request` names the stand-in
            setattr(sys.modules[package], child, module)


def _package_path(name: str) -> list[str] | None:
    """Where the import system looks for module `name` (its package's __path__), without importing
    a package that is not imported yet; None for a top-level module or a package not installed."""
    package = name.rpartition(".")[0]
    if not package:
        return None
    if package in sys.modules:
        return list(getattr(sys.modules[package], "__path__", []))
    parent = _package_path(package)
    spec = importlib.machinery.PathFinder.find_spec(package, parent)
    if spec is None or not spec.submodule_search_locations:
        return []  # nothing is found there
    return list(spec.submodule_search_locations)


def __getattr__(name: str) -> Any:
    """`from esfsearch.cli import app`: the Typer application, imported on first use."""
    if name == "app":
        from .main import app

        return app
    raise AttributeError(name)
