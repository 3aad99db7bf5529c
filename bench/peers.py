"""Peer engines that bench/run.py compares esfsearch against, on the same records.

Every peer has the same small interface (see ``Peer``)::

    peer.build(docs, workdir)   # docs: {"id", "title", "text"} and optionally "tokens"
    peer.open(workdir)
    peer.query("arbetsmarknad unga", limit=10) -> [id, ...]   # best first
    peer.size_bytes(workdir)

* ``TantivyPeer``   - tantivy-py (PyPI ``tantivy``), fields id/title/text, Swedish
  Snowball stemmer registered as a custom analyzer (simple tokenizer ->
  remove_long(40) -> lowercase -> stemmer("swedish"); no ASCII folding, so å/ä/ö
  stay distinct). With ``analyze=`` it instead indexes the pre-analysed
  ``tokens`` with a whitespace tokenizer, exactly like ``SqliteFtsPeer``.
* ``SqliteFtsPeer`` - stdlib sqlite3 FTS5, ``unicode61 remove_diacritics 0``,
  bm25 ranking; indexes ``tokens`` when given (so the comparison is of the
  engine, not of the analysis), and queries through the same ``analyze``.
* ``GrepPeer``      - ``grep -rilF WORD DIR`` over the corpus files, for cold
  comparisons; no index, results are file paths relative to the corpus folder.

Plain words can never raise a query-syntax error: tantivy queries are built
from term objects (no query parser involved) and FTS5 terms are double-quoted
strings; grep gets fixed strings (-F) after ``-e``, with no shell.

Requires ``tantivy`` (0.27) for TantivyPeer only; the rest is stdlib.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol, runtime_checkable

Analyze = Callable[[str], "Iterable[str] | str"]

WORD = re.compile(r"\w+", re.UNICODE)


@runtime_checkable
class Peer(Protocol):
    name: str

    def build(self, docs: Iterable[dict], workdir: Path) -> None: ...

    def open(self, workdir: Path) -> None: ...

    def query(self, text: str, limit: int = 10) -> list[str]: ...

    def size_bytes(self, workdir: Path) -> int: ...


def dir_size(path: Path) -> int:
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _tokens(value: Iterable[str] | str) -> list[str]:
    if isinstance(value, str):
        return value.split()
    return [t for t in value if t]


def _words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------------------
# Tantivy
# ---------------------------------------------------------------------------
class TantivyPeer:
    """tantivy-py with a Swedish stemming analyzer (BM25, OR of the query terms)."""

    TOKENIZER = "sv_stem"

    def __init__(
        self,
        analyze: Analyze | None = None,
        *,
        stored: bool = True,
        conjunction: bool = False,
        title_boost: float = 1.0,
        heap_bytes: int = 256_000_000,
        threads: int = 0,
    ) -> None:
        import tantivy  # noqa: F401  (fail early with ImportError)

        self.analyze = analyze
        self.name = "tantivy" if analyze is None else "tantivy-pretokenized"
        self.stored = stored
        self.conjunction = conjunction
        self.title_boost = title_boost
        self.heap_bytes = heap_bytes
        self.threads = threads
        self._index = None
        self._searcher = None
        self._schema = None

    # The analyzer is not persisted in the index: register it on every Index object.
    def _analyzer(self):
        import tantivy

        if self.analyze is not None:
            return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
        return (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.stemmer("swedish"))
            .build()
        )

    def _schema_for(self):
        import tantivy

        sb = tantivy.SchemaBuilder()
        sb.add_text_field("id", stored=True, tokenizer_name="raw")
        if self.analyze is None:
            sb.add_text_field("title", stored=self.stored, tokenizer_name=self.TOKENIZER)
            sb.add_text_field("text", stored=self.stored, tokenizer_name=self.TOKENIZER)
        else:
            # like SqliteFtsPeer: the token string is what is indexed (and stored)
            sb.add_text_field("tokens", stored=self.stored, tokenizer_name=self.TOKENIZER)
        return sb.build()

    def build(self, docs: Iterable[dict], workdir: Path) -> None:
        import tantivy

        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        schema = self._schema_for()
        index = tantivy.Index(schema, path=str(workdir), reuse=False)
        index.register_tokenizer(self.TOKENIZER, self._analyzer())
        writer = index.writer(heap_size=self.heap_bytes, num_threads=self.threads)
        for doc in docs:
            fields = {"id": doc["id"]}
            if self.analyze is None:
                fields["title"] = doc.get("title") or ""
                fields["text"] = doc.get("text") or ""
            else:
                fields["tokens"] = " ".join(self._doc_tokens(doc))
            writer.add_document(tantivy.Document(**fields))
        writer.commit()
        writer.wait_merging_threads()

    def _doc_tokens(self, doc: dict) -> list[str]:
        if doc.get("tokens") is not None:
            return _tokens(doc["tokens"])
        return _tokens(self.analyze(f"{doc.get('title') or ''}\n{doc.get('text') or ''}"))

    def open(self, workdir: Path) -> None:
        import tantivy

        self._index = tantivy.Index.open(str(workdir))
        self._index.register_tokenizer(self.TOKENIZER, self._analyzer())
        self._schema = self._index.schema
        self._searcher = self._index.searcher()
        self._query_analyzer = self._analyzer() if self.analyze is None else None

    def _terms(self, text: str) -> list[str]:
        if self.analyze is not None:
            return _unique(_tokens(self.analyze(text)))
        return _unique(self._query_analyzer.analyze(text))

    def query(self, text: str, limit: int = 10) -> list[str]:
        import tantivy

        terms = self._terms(text)
        if not terms:
            return []
        fields = ["tokens"] if self.analyze is not None else ["title", "text"]
        per_term = []
        for term in terms:
            subs = []
            for f in fields:
                q = tantivy.Query.term_query(self._schema, f, term)
                if f == "title" and self.title_boost != 1.0:
                    q = tantivy.Query.boost_query(q, self.title_boost)
                subs.append((tantivy.Occur.Should, q))
            per_term.append(subs[0][1] if len(subs) == 1 else tantivy.Query.boolean_query(subs))
        occur = tantivy.Occur.Must if self.conjunction else tantivy.Occur.Should
        query = (
            per_term[0] if len(per_term) == 1 else tantivy.Query.boolean_query([(occur, q) for q in per_term])
        )
        result = self._searcher.search(query, limit, count=False)
        return [self._searcher.doc(addr)["id"][0] for _, addr in result.hits]

    def size_bytes(self, workdir: Path) -> int:
        return dir_size(workdir)


# ---------------------------------------------------------------------------
# SQLite FTS5
# ---------------------------------------------------------------------------
class SqliteFtsPeer:
    """stdlib sqlite3 FTS5, bm25 ranking.

    Indexing: ``doc["tokens"]`` (the pre-analysed title + text) when present;
    otherwise ``analyze(title)``/``analyze(text)`` when an ``analyze`` function
    was given (so index and query analysis always match); otherwise the raw
    title and text through FTS5's ``unicode61 remove_diacritics 0`` tokenizer.
    Queries go through ``analyze`` when given, else are split into words.
    """

    name = "sqlite-fts5"
    FILE = "fts.sqlite"

    def __init__(
        self,
        analyze: Analyze | None = None,
        *,
        stored: bool = True,
        conjunction: bool = False,
        title_weight: float = 1.0,
        batch: int = 2000,
    ) -> None:
        self.analyze = analyze
        self.stored = stored
        self.conjunction = conjunction
        self.title_weight = title_weight
        self.batch = batch
        self._db: sqlite3.Connection | None = None

    def _path(self, workdir: Path) -> Path:
        return Path(workdir) / self.FILE

    def build(self, docs: Iterable[dict], workdir: Path) -> None:
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        path = self._path(workdir)
        if path.exists():
            path.unlink()
        db = sqlite3.connect(path)
        try:
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            # id lives in a plain table keyed by rowid; the FTS table holds the
            # searchable columns (contentless when stored=False).
            db.execute("CREATE TABLE docs(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL)")
            content = "" if self.stored else ", content=''"
            db.execute(
                "CREATE VIRTUAL TABLE fts USING fts5(title, text, "
                f"tokenize='unicode61 remove_diacritics 0'{content})"
            )
            rows_docs, rows_fts = [], []
            for rowid, doc in enumerate(docs, 1):
                title, text = self._doc_columns(doc)
                rows_docs.append((rowid, doc["id"]))
                rows_fts.append((rowid, title, text))
                if len(rows_fts) >= self.batch:
                    self._flush(db, rows_docs, rows_fts)
            self._flush(db, rows_docs, rows_fts)
            db.execute("INSERT INTO fts(fts) VALUES('optimize')")
            db.commit()
        finally:
            db.close()

    @staticmethod
    def _flush(db, rows_docs, rows_fts) -> None:
        if rows_fts:
            db.executemany("INSERT INTO docs(rowid, id) VALUES (?, ?)", rows_docs)
            db.executemany("INSERT INTO fts(rowid, title, text) VALUES (?, ?, ?)", rows_fts)
            rows_docs.clear()
            rows_fts.clear()

    def _doc_columns(self, doc: dict) -> tuple[str, str]:
        if doc.get("tokens") is not None:
            return "", " ".join(_tokens(doc["tokens"]))
        title, text = doc.get("title") or "", doc.get("text") or ""
        if self.analyze is not None:
            return " ".join(_tokens(self.analyze(title))), " ".join(_tokens(self.analyze(text)))
        return title, text

    def open(self, workdir: Path) -> None:
        if self._db is not None:
            self._db.close()
        self._db = sqlite3.connect(f"file:{self._path(workdir)}?mode=ro", uri=True, check_same_thread=False)

    def match_expression(self, text: str) -> str:
        """FTS5 MATCH string: every term a quoted string, so no syntax can leak in."""
        terms = _tokens(self.analyze(text)) if self.analyze is not None else _words(text)
        quoted = ['"' + t.replace('"', '""') + '"' for t in _unique(terms)]
        return (" AND " if self.conjunction else " OR ").join(quoted)

    def query(self, text: str, limit: int = 10) -> list[str]:
        expr = self.match_expression(text)
        if not expr:
            return []
        rows = self._db.execute(
            "SELECT docs.id FROM fts JOIN docs ON docs.rowid = fts.rowid "
            "WHERE fts MATCH ? ORDER BY bm25(fts, ?, 1.0) LIMIT ?",
            (expr, self.title_weight, int(limit)),
        ).fetchall()
        return [r[0] for r in rows]

    def size_bytes(self, workdir: Path) -> int:
        return dir_size(workdir)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


# ---------------------------------------------------------------------------
# grep
# ---------------------------------------------------------------------------
class GrepPeer:
    """``grep -rilF`` over the corpus files: the no-index baseline for cold runs.

    ``query`` returns the matching files (relative to the corpus folder, sorted,
    at most ``limit``) whose text contains any query word, case-insensitively.
    grep scans the whole tree on every call; nothing is ranked.
    """

    name = "grep"

    def __init__(self, corpus_dir: Path, *, conjunction: bool = False, grep: str = "grep") -> None:
        self.corpus_dir = Path(corpus_dir)
        self.conjunction = conjunction
        self.grep = grep
        # -i on å/ä/ö needs a UTF-8 locale
        self.env = {**os.environ, "LC_ALL": "C.UTF-8"}

    def build(self, docs: Iterable[dict], workdir: Path) -> None:
        return None

    def open(self, workdir: Path) -> None:
        return None

    def _grep(self, words: list[str], files: list[str] | None = None) -> list[str]:
        args = [self.grep, "-ilF"]
        if files is None:
            args.append("-r")
        for w in words:
            args += ["-e", w]
        args.append("--")
        args += files if files is not None else ["."]
        proc = subprocess.run(
            args, cwd=self.corpus_dir, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        if proc.returncode > 1:
            raise RuntimeError(f"grep failed ({proc.returncode}): {' '.join(args[:6])} ...")
        return [ln.removeprefix("./") for ln in proc.stdout.decode("utf-8", "replace").splitlines()]

    def query(self, text: str, limit: int = 10) -> list[str]:
        words = _unique(_words(text))
        if not words:
            return []
        if not self.conjunction or len(words) == 1:
            hits = self._grep(words)
        else:
            hits = self._grep(words[:1])
            for w in words[1:]:
                if not hits:
                    break
                hits = self._grep([w], hits)
        return sorted(hits)[:limit]

    def size_bytes(self, workdir: Path) -> int:
        return 0


def tantivy_version() -> str | None:
    try:
        import tantivy
    except ImportError:
        return None
    return getattr(tantivy, "__version__", "unknown")


def available(corpus_dir: Path | None = None, analyze: Analyze | None = None) -> list[Peer]:
    """The peers that can run here (TantivyPeer only if tantivy is installed)."""
    peers: list[Peer] = []
    if tantivy_version() is not None:
        peers.append(TantivyPeer())
    peers.append(SqliteFtsPeer(analyze))
    if corpus_dir is not None:
        peers.append(GrepPeer(corpus_dir))
    return peers
