"""esfsearch: Swedish-aware full-text search over ESF / ESF+ / ERUF project descriptions.

The public API, importable from the package itself:

    from esfsearch import SearchEngine, build_index
    build_index([Path("corpus")], Path("index"))
    with SearchEngine("index") as engine:
        result = engine.search("kompetensförsörjning region:Sydsverige", facets=True)

The names are loaded on first use, so `import esfsearch` (and the CLI's start-up) stays cheap.
The core (records, ingest, analysis, index, search) never imports the CLI or the TUI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_PUBLIC = {
    "SearchEngine": "search",
    "SearchResult": "search",
    "Hit": "search",
    "build_index": "index",
    "BuildSummary": "index",
    "IndexProblem": "index",
    "QueryError": "querylang",
    "ProjectRecord": "records",
}
__all__ = ["search", *_PUBLIC]

if TYPE_CHECKING:  # the names as type checkers see them (`as` marks a re-export)
    from .index import BuildSummary as BuildSummary
    from .index import IndexProblem as IndexProblem
    from .index import build_index as build_index
    from .querylang import QueryError as QueryError
    from .records import ProjectRecord as ProjectRecord
    from .search import Hit as Hit
    from .search import SearchEngine as SearchEngine
    from .search import SearchResult as SearchResult


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'esfsearch' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{module}", __name__), name)


def search(text: str, index_dir: str = "index", **kwargs):
    """One-shot search: `esfsearch.search("kompetensförsörjning", limit=5)`; see SearchEngine for many."""
    from .search import SearchEngine

    with SearchEngine(index_dir) as engine:
        return engine.search(text, **kwargs)
