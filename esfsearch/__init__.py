"""esfsearch: Swedish-aware full-text search over ESF / ESF+ / ERUF project descriptions.

The core (records, ingest, analysis, index, search) never imports the CLI or the TUI.
"""

__version__ = "0.1.0"


def search(text: str, index_dir: str = "index", **kwargs):
    """One-shot search: `esfsearch.search("kompetensförsörjning", limit=5)`; see SearchEngine for many."""
    from .search import SearchEngine

    with SearchEngine(index_dir) as engine:
        return engine.search(text, **kwargs)
