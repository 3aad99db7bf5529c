"""Saved searches: follow a topic and see what is new since you last looked.

A saved search is a query (plus filters in their text form, e.g. `region:"Övre Norrland"`), when it
was created, when it was last run, and what it matched then: the project ids and content hashes of
every matching record. A record whose content hash was not among them is *new* (its id was not seen
either) or *changed* (its id was seen with other content).

The searches live in one human-readable JSON file, `saved-searches.json`, in the user's config
directory (`platformdirs.user_config_dir("esfsearch")`, or `$ESFSEARCH_CONFIG_DIR`). Writes go to a
temporary file that replaces the old one (`os.replace`), under an advisory lock, so a crash or two
processes at once never leave half a file. A damaged file gives a `SavedSearchError` naming it.

Core module: no typer/rich, no wording for a terminal. The CLI is `esfsearch/cli/saved.py`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .atomic import write_atomic
from .config import config_dir
from .i18n import N_, Message
from .locks import LockUnavailable, file_lock
from .querylang import Filter, QueryError, parse_query, split_filters

FILE_NAME = "saved-searches.json"
FORMAT_VERSION = 1
HASH_CHARS = 16  # 64 bits of the record's sha1 content hash: plenty, and half the file size
MAX_NAME = 80


class SavedSearchError(Exception):
    """A problem the user must fix (bad name, unknown search, damaged file). The CLI exits 2."""


class SavedSearchNotFound(SavedSearchError):
    """No saved search by that name. The CLI exits 1, like `esfsearch show` for an unknown id."""

    def __init__(self, name: str, saved: list[str]) -> None:
        known = (
            Message(N_("saved: {names}"), names=", ".join(saved))
            if saved
            else Message(N_("there are none yet"))
        )
        super().__init__(Message(N_("no saved search named {name}; {known}"), name=repr(name), known=known))
        self.name, self.saved = name, saved


class SavedSearchExists(SavedSearchError):
    """A search of that name is saved already (and the caller did not ask to replace it)."""

    def __init__(self, name: str, text: str | None = None) -> None:
        if text is None:
            message = Message(N_("there is already a saved search named {name}"), name=repr(name))
        elif text:
            message = Message(
                N_("there is already a saved search named {name} ({query})"), name=repr(name), query=text
            )
        else:
            message = Message(
                N_("there is already a saved search named {name} (every project)"), name=repr(name)
            )
        super().__init__(message)
        self.name, self.text = name, text


# ---------------------------------------------------------------- where


def store_path() -> Path:
    return config_dir() / FILE_NAME


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


# ---------------------------------------------------------------- one saved search


@dataclass
class SavedSearch:
    name: str
    query: str = ""
    filters: list[str] = field(default_factory=list)  # text form: 'region:"Övre Norrland"'
    created: str = ""
    last_run: str | None = None  # last `saved run`
    seen_at: str | None = None  # when `seen_*` was recorded (saved, run or marked)
    index: str | None = None  # the index the seen set came from
    seen_ids: set[str] = field(default_factory=set)
    seen_hashes: set[str] = field(default_factory=set)

    @property
    def text(self) -> str:
        """The query with its filters, as one would type it to `esfsearch query`."""
        return " ".join(p for p in [self.query.strip(), *self.filters] if p)

    def parsed_filters(self) -> list[Filter]:
        """The filters as Filter objects (they are validated again: a query may have gone stale)."""
        if not self.filters:
            return []
        rest, filters = split_filters(" ".join(self.filters))
        if rest:
            raise QueryError.worded(
                N_("saved search {name}: {text} is not a filter"), name=repr(self.name), text=repr(rest)
            )
        return filters

    def to_json(self) -> dict:
        return {
            "query": self.query,
            "filters": list(self.filters),
            "created": self.created,
            "last_run": self.last_run,
            "seen_at": self.seen_at,
            "index": self.index,
            "seen": {
                "count": len(self.seen_hashes),
                "ids": sorted(self.seen_ids),
                "hashes": sorted(self.seen_hashes),
            },
        }

    @classmethod
    def from_json(cls, name: str, data: object, where: Path) -> SavedSearch:
        def bad(why: str) -> SavedSearchError:
            return SavedSearchError(
                Message(
                    N_(
                        "the saved searches file {path} is damaged: search {name} {why}; fix it or remove that entry"
                    ),
                    path=str(where),
                    name=repr(name),
                    why=Message(why),
                )
            )

        if not isinstance(data, dict):
            raise bad(N_("is not an object"))
        query = data.get("query", "")
        filters = data.get("filters", [])
        if not isinstance(query, str):
            raise bad(N_("has a query that is not text"))
        if not isinstance(filters, list) or not all(isinstance(f, str) for f in filters):
            raise bad(N_("has filters that are not a list of text"))
        seen = data.get("seen") or {}
        if not isinstance(seen, dict):
            raise bad(N_("has a 'seen' entry that is not an object"))
        ids, hashes = seen.get("ids") or [], seen.get("hashes") or []
        if not isinstance(ids, list) or not isinstance(hashes, list):
            raise bad(N_("has 'seen' ids or hashes that are not lists"))

        def text_or_none(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None

        return cls(
            name=name,
            query=query,
            filters=list(filters),
            created=text_or_none("created") or "",
            last_run=text_or_none("last_run"),
            seen_at=text_or_none("seen_at"),
            index=text_or_none("index"),
            seen_ids={str(i) for i in ids},
            seen_hashes={str(h) for h in hashes},
        )


def filter_text(f: Filter) -> str:
    """A Filter back in the form the query language reads: `-region:"Övre Norrland"`."""
    value = f.value
    if '"' in value:
        raise QueryError.worded(
            N_("{name}: a filter value cannot contain a double quote ({text})"), name=f.name, text=repr(value)
        )
    if not value or re.search(r"\s", value):
        value = f'"{value}"'
    return f"{'-' if f.negate else ''}{f.name}:{value}"


def validate(query: str, filters: Iterable[Filter] = ()) -> list[str]:
    """The filters' text forms, after checking that the query and filters parse (QueryError if not)."""
    texts = [filter_text(f) for f in filters]
    parse_query(" ".join([query, *texts]))
    return texts


def check_name(name: str) -> str:
    clean = (name or "").strip()
    if not clean:
        raise SavedSearchError(Message(N_("a saved search needs a name")))
    if len(clean) > MAX_NAME:
        raise SavedSearchError(Message(N_("the name is longer than {n} characters"), n=MAX_NAME))
    if not clean.isprintable():
        raise SavedSearchError(Message(N_("the name contains control characters")))
    return clean


# ---------------------------------------------------------------- records: identity and hash


def hit_identity(hit) -> tuple[str, str]:
    """(project id, short content hash) of a Hit: what a saved search remembers having seen."""
    record = hit.record
    digest = record.content_hash or record.compute_hash()
    return (record.id or hit.key), digest[:HASH_CHARS]


def identities(hits: Iterable) -> Iterator[tuple[str, str]]:
    return (hit_identity(h) for h in hits)


def matching_hits(engine, search: SavedSearch) -> Iterator:
    """Every record the saved search matches now, streamed (no snippets)."""
    return engine.iter_hits(search.query, filters=search.parsed_filters(), snippets=False)


@dataclass
class NewMatches:
    """What a saved search matches now that it did not match (with this content) when last seen."""

    search: SavedSearch
    total: int = 0  # matches now
    new: list = field(default_factory=list)  # Hits whose id was not seen
    changed: list = field(default_factory=list)  # Hits whose id was seen with other content
    gone: list[str] = field(default_factory=list)  # ids seen then, not matching now
    now: list[tuple[str, str]] = field(default_factory=list)  # (id, hash) of every match now

    @property
    def count(self) -> int:
        return len(self.new) + len(self.changed)

    def hits(self) -> list:
        return self.new + self.changed


def new_since(engine, search: SavedSearch, hits: Iterable | None = None) -> NewMatches:
    """Compare the search's current matches with what it saw last (`hits`: its matches, if at hand)."""
    out = NewMatches(search)
    ids_now: set[str] = set()
    for hit in matching_hits(engine, search) if hits is None else hits:
        out.total += 1
        ident, digest = hit_identity(hit)
        ids_now.add(ident)
        out.now.append((ident, digest))
        if digest in search.seen_hashes:
            continue
        (out.changed if ident in search.seen_ids else out.new).append(hit)
    out.gone = sorted(search.seen_ids - ids_now)
    return out


# ---------------------------------------------------------------- the file


class SavedSearches:
    """The saved-searches file. Every change re-reads the file under a lock, so concurrent runs
    (two terminals, an index run in cron) do not lose each other's changes."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else store_path()

    # -- reading
    def load(self) -> dict[str, SavedSearch]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except UnicodeDecodeError as exc:
            raise SavedSearchError(
                Message(
                    N_("the saved searches file {path} is damaged (not UTF-8 text: {why}); fix or remove it"),
                    path=str(self.path),
                    why=exc.reason,
                )
            ) from exc
        except OSError as exc:
            raise SavedSearchError(
                Message(
                    N_("cannot read the saved searches file {path}: {why}"),
                    path=str(self.path),
                    why=exc.strerror,
                )
            ) from exc
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise SavedSearchError(
                Message(
                    N_("the saved searches file {path} is damaged (not valid JSON: {why}); fix or remove it"),
                    path=str(self.path),
                    why=str(exc),
                )
            ) from exc
        if not isinstance(data, dict) or not isinstance(data.get("searches", {}), dict):
            raise SavedSearchError(
                Message(
                    N_(
                        "the saved searches file {path} is damaged (expected an object with a 'searches' "
                        "table); fix or remove it"
                    ),
                    path=str(self.path),
                )
            )
        version = data.get("version", FORMAT_VERSION)
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise SavedSearchError(
                Message(
                    N_(
                        "the saved searches file {path} was written by a newer esfsearch (format {version}); "
                        "upgrade esfsearch"
                    ),
                    path=str(self.path),
                    version=version,
                )
            )
        return {
            name: SavedSearch.from_json(name, entry, self.path)
            for name, entry in data.get("searches", {}).items()
        }

    def list(self) -> list[SavedSearch]:
        return sorted(self.load().values(), key=lambda s: s.name.casefold())

    def get(self, name: str) -> SavedSearch:
        searches = self.load()
        key = find_name(searches, name)
        if key is None:
            raise SavedSearchNotFound(name, _names(searches))
        return searches[key]

    # -- writing
    def add(
        self,
        name: str,
        query: str,
        filters: Iterable[Filter] = (),
        *,
        replace: bool = False,
        seen: Iterable[tuple[str, str]] | None = None,
        index: Path | str | None = None,
    ) -> SavedSearch:
        """Save a search (QueryError if it does not parse; SavedSearchError if the name is taken and
        not `replace`). `seen`: (id, hash) of its current matches (see `identities`), remembered so
        that only later additions count as new."""
        name = check_name(name)
        query = query.strip()
        texts = validate(query, filters)
        search = SavedSearch(name=name, query=query, filters=texts, created=_now())
        if seen is not None:
            _remember(search, seen, index)
        with self._locked():
            searches = self.load()
            existing = find_name(searches, name)
            if existing is not None:
                if not replace:
                    raise SavedSearchExists(existing, searches[existing].text)
                del searches[existing]
            searches[name] = search
            self._write(searches)
        return search

    def remove(self, name: str) -> SavedSearch:
        with self._locked():
            searches = self.load()
            key = find_name(searches, name)
            if key is None:
                raise SavedSearchNotFound(name, _names(searches))
            gone = searches.pop(key)
            self._write(searches)
        return gone

    def mark_seen(
        self, name: str, seen: Iterable[tuple[str, str]], *, ran: bool = True, index: Path | str | None = None
    ) -> SavedSearch:
        """Remember `seen`, (id, hash) of all the search's current matches; `ran` also sets last_run."""
        with self._locked():
            searches = self.load()
            key = find_name(searches, name)
            if key is None:
                raise SavedSearchNotFound(name, _names(searches))
            search = searches[key]
            _remember(search, seen, index)
            if ran:
                search.last_run = search.seen_at
            self._write(searches)
        return search

    def _write(self, searches: dict[str, SavedSearch]) -> None:
        data = {
            "version": FORMAT_VERSION,
            "searches": {name: searches[name].to_json() for name in sorted(searches, key=str.casefold)},
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        except OSError as exc:
            raise SavedSearchError(
                Message(
                    N_("cannot write the saved searches file {path}: {why}"),
                    path=str(self.path),
                    why=exc.strerror or str(exc),
                )
            ) from exc

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The lock beside the file, held for one read-modify-write (waits for as long as it takes)."""
        try:
            with file_lock(self.path.with_name(self.path.name + ".lock")):
                yield
        except LockUnavailable as exc:
            raise SavedSearchError(
                Message(N_("cannot write in {path}: {why}"), path=str(self.path.parent), why=exc.reason)
            ) from exc


def _remember(search: SavedSearch, seen: Iterable[tuple[str, str]], index: Path | str | None) -> None:
    ids, hashes = set(), set()
    for ident, digest in seen:
        ids.add(ident)
        hashes.add(digest)
    search.seen_ids, search.seen_hashes = ids, hashes
    search.seen_at = _now()
    if index is not None:
        search.index = str(Path(index).resolve())


def find_name(searches: dict[str, SavedSearch], name: str) -> str | None:
    """The saved name `name` refers to: itself, or the one name that differs from it in case only."""
    name = name.strip()
    if name in searches:
        return name
    folded = [k for k in searches if k.casefold() == name.casefold()]
    return folded[0] if len(folded) == 1 else None


def _names(searches: dict[str, SavedSearch]) -> list[str]:
    return sorted(searches, key=str.casefold)


# ---------------------------------------------------------------- after `esfsearch index`


def new_matches(index_dir: Path, summary, store: SavedSearches | None = None) -> list[dict]:
    """For each saved search: how many records added or changed by this index run (`summary.new_keys`)
    it matches and has not seen with this content. Never raises: problems become entries with
    an "error" (a broken saved search must not make `esfsearch index` fail)."""
    store = store or SavedSearches()
    try:
        searches = store.list()
    except SavedSearchError as exc:
        return [{"error": exc.args[0]}]
    if not searches:
        return []
    fresh = set(getattr(summary, "new_keys", None) or [])
    out: list[dict] = []
    if not fresh:
        for s in searches:
            out.append(_entry(s, [], []))
        return out
    from .index import IndexProblem
    from .search import SearchEngine

    try:
        engine = SearchEngine(index_dir)
    except IndexProblem as exc:
        return [{"error": exc.args[0]}]
    try:
        for s in searches:
            try:
                found = new_since(engine, s, (h for h in matching_hits(engine, s) if h.key in fresh))
            except QueryError as exc:
                problem = Message(exc.template, **exc.params) if exc.template else str(exc)
                error = Message(N_("saved search {name}: {problem}"), name=repr(s.name), problem=problem)
                out.append({"name": s.name, "query": s.text, "error": error})
                continue
            out.append(_entry(s, found.new, found.changed))
    finally:
        engine.close()
    return out


def _entry(s: SavedSearch, new: list, changed: list) -> dict:
    return {
        "name": s.name,
        "query": s.text,
        "count": len(new) + len(changed),
        "new": [h.id for h in new],
        "changed": [h.id for h in changed],
    }
