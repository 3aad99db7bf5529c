"""Opening the index for a command: built from the corpus on first use, rebuilt when an older
esfsearch made it, with a progress bar on a terminal; index problems exit 3."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import N_, _, ngettext
from ..presentation import number, problem_text
from .output import EXIT_INDEX, console, err, fail

if TYPE_CHECKING:
    from rich.progress import Progress

    from ..index import BuildSummary
    from ..search import SearchEngine


# The stages esfsearch.index reports progress in, for the catalogue (shown translated).
STAGES = (N_("reading"), N_("indexing"), N_("committing"))


def paths(index: Path | None, corpus: Path | None) -> tuple[Path, Path]:
    """The index and corpus directories: the options, else the environment, else the defaults."""
    from ..index import default_corpus_dir, default_index_dir

    return (index or default_index_dir()), (corpus or default_corpus_dir())


def progress_bar(quiet: bool) -> tuple[Progress | None, Callable[[str, int, int], None] | None]:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise."""
    if quiet or not sys.stderr.isatty():
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console(stderr=True),
        transient=True,
    )
    tasks: dict[str, object] = {}

    def update(what: str, done: int, total: int) -> None:
        if what not in tasks:
            tasks[what] = progress.add_task(_(what), total=total)
        progress.update(tasks[what], completed=done, total=total)  # type: ignore[arg-type]

    return progress, update


def build(
    index: Path, corpus: list[Path], rebuild: bool, quiet: bool, lock_timeout: float = 10.0
) -> BuildSummary:
    from ..index import build_index

    progress, update = progress_bar(quiet)
    if progress is None:
        return build_index(corpus, index, rebuild=rebuild, lock_timeout=lock_timeout)
    with progress:
        return build_index(corpus, index, rebuild=rebuild, progress=update, lock_timeout=lock_timeout)


def indexed(summary: BuildSummary) -> str:
    """'Indexed 72 records in 1.3 s.'"""
    records = ngettext("{n} record", "{n} records", summary.records).format(n=summary.records)
    return _("Indexed {records} in {seconds} s.").format(records=records, seconds=number(summary.seconds))


def open_engine(
    index: Path | None, corpus: Path | None, quiet: bool = False, check_stale: bool = True
) -> SearchEngine:
    """Open the index, building it from the corpus on first use; index problems exit 3."""
    from ..index import IndexProblem, SchemaMismatch, index_exists
    from ..search import SearchEngine

    index_dir, corpus_dir = paths(index, corpus)
    try:
        if not index_exists(index_dir):
            if not corpus_dir.exists():
                fail(
                    _(
                        "no index in {index} and no corpus in {corpus} to build one from "
                        "(set --corpus or ESFSEARCH_CORPUS)"
                    ).format(index=index_dir, corpus=corpus_dir),
                    EXIT_INDEX,
                )
            err(
                _("No index yet: building {index} from {corpus} (first use) …").format(
                    index=index_dir, corpus=corpus_dir
                )
            )
            summary = build(index_dir, [corpus_dir], rebuild=False, quiet=quiet)
            err(indexed(summary))
        try:
            engine = SearchEngine(index_dir)
        except SchemaMismatch as exc:
            if not (exc.older and exc.corpus and all(p.exists() for p in exc.corpus)):
                raise
            sources = ", ".join(str(p) for p in exc.corpus)
            err(
                _(
                    "The index was built by an older esfsearch (schema {schema}): rebuilding it from {sources} …"
                ).format(schema=exc.built, sources=sources)
            )
            summary = build(index_dir, exc.corpus, rebuild=True, quiet=quiet)
            err(indexed(summary))
            engine = SearchEngine(index_dir)
    except IndexProblem as exc:
        fail(problem_text(exc), EXIT_INDEX)
    if check_stale and engine.is_stale():
        err(_("Note: the corpus changed since the index was built; run `esfsearch index` to update it."))
    return engine
