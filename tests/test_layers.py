"""The layers stay as pyproject.toml's import contracts say (`lint-imports` checks the imports): here,
that the core contract names every core module, so a new module is covered from its first commit."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import esfsearch

REPO = Path(__file__).resolve().parent.parent
FRONT_ENDS = {"esfsearch.cli", "esfsearch.tui", "esfsearch.__main__"}


def test_the_core_contract_names_every_core_module():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    core = next(c for c in contracts if "esfsearch.cli" in c.get("forbidden_modules", []))
    modules = {f"esfsearch.{m.name}" for m in pkgutil.iter_modules(esfsearch.__path__)} - FRONT_ENDS
    assert set(core["source_modules"]) == modules
