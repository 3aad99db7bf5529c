"""The `esfsearch` command line (Typer): `main` is the console script, `app` the Typer application.

main.py     the app and its commands (query, index, parse, show, similar, stats, analyze, tui)
saved.py    `esfsearch saved …`
eval.py     `esfsearch eval`
options.py  options shared by commands; the filter options from the field registry
output.py   stdout/stderr, tables, JSON/CSV, exit codes
engine.py   opening (and on first use building) the index
"""

from .main import app, main

__all__ = ["app", "main"]
