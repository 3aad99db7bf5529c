"""The Swedish analyzer: tokenising, stopwords, corrected Snowball stemming, compound parts, accent folding.

One `SwedishAnalyzer` class serves four index fields through its `mode`:
  "exact"  the words themselves, stemmed (title, body; phrase positions kept)
  "parts"  only the sub-compounds and parts of compounds, stemmed, at the compound's position
  "folded" words and parts with å/ä/ö folded away, then stemmed (for queries typed without them)
  "plain"  lower-cased words without stemming (query parsing and highlighting helpers)
The analyzer is pickled into the index by Whoosh, so it holds only plain data; the stemmer, the
compound splitter and the caches live at module level and are created on first use.
"""

from __future__ import annotations

import hashlib
import marshal
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from whoosh.analysis import Composable, Token

# Snowball's Swedish list minus words that carry meaning in phrases ("unga under 25",
# "personer utan gymnasieutbildning"), plus filler words of this corpus.
_SNOWBALL_SV = """och det att i en jag hon som han på den med var sig för så till är men ett om hade de av icke
mig du henne då sin nu har inte hans honom skulle hennes där min man ej vid kunde något från ut när efter upp
vi dem vara vad över än dig kan sina här ha mot alla under någon eller allt mycket sedan ju denna själv detta
åt utan varit hur ingen mitt ni bli blev oss din dessa några deras blir mina samma vilken er sådan vår blivit
dess inom mellan sådant varför varje vilka ditt vem vilket sitt sådana vart dina vars vårt våra ert era
vilkas""".split()
KEEP_IN_PHRASES = {"under", "mellan", "inom", "utan", "inte", "ingen", "mot", "över", "efter", "upp", "ut"}
EXTRA_STOPWORDS = {
    "ska",
    "skall",
    "även",
    "också",
    "samt",
    "genom",
    "bl.a",
    "t.ex",
    "s.k",
    "m.m",
    "o.s.v",
    "dvs",
    "etc",
    "m.fl",
}
STOPWORDS = frozenset((set(_SNOWBALL_SV) - KEEP_IN_PHRASES) | EXTRA_STOPWORDS)

# Forms that Snowball Swedish leaves apart although they are one word (or joins although they are not).
STEM_OVERRIDES: dict[str, str] = {
    "ansökan": "ansök",
    "ansökans": "ansök",
    "ansökning": "ansök",
    "ansökningar": "ansök",
    "ansökningarna": "ansök",
    "ansökningarnas": "ansök",
    "ansökningen": "ansök",
    "ansökningens": "ansök",
    "utrikesfött": "utrikesföd",
    "nyanlänt": "nyanländ",
    "jämställt": "jämställd",
    "funktionsnedsatt": "funktionsnedsat",
    "insatt": "insatt",
    "projektor": "projektor",
    "projektorn": "projektor",
    "projektorer": "projektor",
    "män": "man",
    "männen": "man",
    "mannen": "man",
    "kvinnor": "kvinn",
    "kvinnorna": "kvinn",
    "kvinnornas": "kvinn",
    "kvinnors": "kvinn",
    "barnen": "barn",
    "unga": "ung",
    "ungas": "ung",
    # short adjectives: Snowball keeps -a and -tt on words this short
    "nya": "ny",
    "nytt": "ny",
    "fria": "fri",
    "fritt": "fri",
    "gott": "god",
    "brett": "bred",
    "stort": "stor",
    "särskilt": "särskild",
}

# Verbs in -era and their nouns in -ering meet on one stem, as export/exportera and etablera/etablering
# do in the texts: 'etablering på arbetsmarknaden' finds 'etablera sig på arbetsmarknaden'.
_ERA_ERING = re.compile(
    r"er(?:a|ar|as|ade|ades|at|ats|ad|ande|andet|ing|ingen|ingens|ings|ingar|ingarna|ingarnas)$"
)

# -or that is not the plural of an -a noun: inkubator, motor, sektor, kontor, medelstor, senior, sensor
# and their definite and genitive forms; 'listor', 'kartor', 'rutor' stay plurals of lista, karta, ruta.
_NOT_PLURAL_OR = re.compile(r"((?:[aeio]t|kt|nt|[^i]st|i|ns)or)(?:n|ns|s|et|ets|en|ens)?$")

# Neuter -t of adjectives (and supine -t) that Snowball leaves on: 'regionalt', 'innovativt',
# 'nationellt', 'gemensamt', 'genomfört' meet 'regional', 'innovativ' ... (ending, shortest stem).
_NEUTER_T = (
    ("ivt", 5),
    ("ellt", 6),
    ("alt", 6),
    ("ärt", 6),
    ("ört", 6),
    ("önt", 5),
    ("ålt", 5),
    ("amt", 6),
    ("årt", 5),
    ("ögt", 4),
    ("ågt", 4),
    ("bbt", 5),
)

_ABBREVIATIONS = {"bl.a", "t.ex", "s.k", "m.m", "o.s.v", "dvs", "etc", "m.fl", "t.o.m", "fr.o.m"}
_TOKEN = re.compile(r"\w+(?:[-/+.:]\w+)*\+?", re.UNICODE)
_HAS_DIGIT = re.compile(r"\d")
_FOLD = str.maketrans(
    {
        "å": "a",
        "ä": "a",
        "ö": "o",
        "é": "e",
        "è": "e",
        "ü": "u",
        "á": "a",
        "à": "a",
        "æ": "a",
        "ø": "o",
        "ñ": "n",
        "ç": "c",
        "í": "i",
        "ó": "o",
        "ú": "u",
    }
)
_SWEDISH_LETTERS = re.compile(r"[åäöéüæøáàèíóúñç]")


def fold(text: str) -> str:
    """'kompetensförsörjning' -> 'kompetensforsorjning'."""
    return text.translate(_FOLD)


def has_accents(word: str) -> bool:
    return bool(_SWEDISH_LETTERS.search(word))


# ---------------------------------------------------------------- stemming


@lru_cache(maxsize=1)
def _snowball() -> Callable[[str], str]:
    import snowballstemmer  # returns PyStemmer's C stemmer when PyStemmer is installed

    return snowballstemmer.stemmer("swedish").stemWord


def correct_stem(stem: str, snowball: Callable[[str], str]) -> str:
    """Rules on top of Snowball so that the inflected forms of one word meet on one term."""
    if stem.endswith("nad") and len(stem) >= 6:  # arbetsmarknad(en) -> arbetsmarkn
        return stem[:-2]
    if stem.endswith("ts") and len(stem) >= 5:  # insats(er) -> insat
        return stem[:-1]
    if stem.endswith("et") and len(stem) >= 6 and stem[-3] not in "aeiouyåäö":
        return snowball(stem[:-2])  # projektet -> projekt -> projek
    if stem.endswith("an") and len(stem) >= 6 and stem[-3] not in "aeiouyåäö":
        return stem[:-2]  # kvinnan -> kvinn
    if stem.endswith("mm") and len(stem) >= 6:  # gemensamma -> gemensam
        return stem[:-1]
    if stem.endswith("fritt"):  # fossilfritt -> fossilfri
        return stem[:-2]
    if stem.endswith("frit") and len(stem) >= 7:  # Snowball: fossilfritt -> fossilfrit
        return stem[:-1]
    for ending, shortest in _NEUTER_T:
        if stem.endswith(ending) and len(stem) >= shortest:
            return stem[:-1]  # regionalt -> regional
    return stem


class Stemmer:
    """Snowball Swedish plus corrections and overrides; memoised, since corpora repeat words."""

    def __init__(
        self, overrides: dict[str, str] | None = None, snowball: Callable[[str], str] | None = None
    ) -> None:
        self.overrides = STEM_OVERRIDES if overrides is None else overrides
        self._snowball = snowball
        self._cache: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        stem = self._stem(word)
        if len(self._cache) > 500_000:
            self._cache.clear()
        self._cache[word] = stem
        return stem

    def _stem(self, word: str) -> str:
        if word in self.overrides:
            return self.overrides[word]
        if _HAS_DIGIT.search(word) or len(word) <= 2 or not word.isalpha():
            return word
        bar = word.rfind("bar", 3)
        if bar > 0 and word[bar - 1] != "b" and word[bar + 3 :] in ("", "a", "t", "are", "ast"):
            return word[: bar + 3]  # hållbar, -a, -t: Snowball cuts 'hållb' + 'ar'
        derived = _ERA_ERING.search(word)
        if derived and derived.start() >= 4:
            return word[: derived.start()]  # etablera, etablering(en), etablerad -> etabl
        kept = _NOT_PLURAL_OR.search(word)
        if kept and kept.start() >= 1:
            return word[: kept.end(1)]  # inkubator(n): Snowball cuts -or as a plural
        if len(word) >= 5 and word[-1] == "n" and word[-2] in "öåé":
            word = word[:-1]  # miljön, nivån, idén: definite -n after a vowel
        snowball = self._snowball or _snowball()
        stem = snowball(word)
        if stem == word[:-2] and word.endswith("et") and len(stem) >= 4:
            stem = snowball(stem)  # klimatet -> klimat -> klim, as klimat
        return correct_stem(stem, snowball)


@lru_cache(maxsize=1)
def default_stemmer() -> Stemmer:
    return Stemmer()


@lru_cache(maxsize=1)
def default_splitter():
    try:
        from .compounds import default_splitter as load
    except ImportError:  # pragma: no cover - the splitter ships with the package
        return _NoSplit()
    return load()


class _NoSplit:
    def subwords(self, word: str) -> tuple[str, ...]:
        return ()


# ---------------------------------------------------------------- tokenising


def iter_words(text: str) -> Iterator[tuple[str, int, int]]:
    """(lower-cased word, start, end). Ids and numbers stay whole; 'ESF-stöd' gives 'esf' and 'stöd'."""
    return iter(_words(text))


def _iter_words_slow(text: str) -> Iterator[tuple[str, int, int]]:
    """The reference tokeniser; `_tokenise` gives the same words faster."""
    for m in _TOKEN.finditer(text):
        raw = m.group()
        start = m.start()
        if raw.endswith("."):
            raw = raw.rstrip(".")
        if raw.lower() in _ABBREVIATIONS:
            yield raw.lower(), start, start + len(raw)
            continue
        if _HAS_DIGIT.search(raw) or raw.endswith("+") and "-" not in raw:
            yield raw.lower(), start, start + len(raw)
            continue
        if "-" in raw or "/" in raw or "." in raw or ":" in raw or "+" in raw:
            offset = start
            for piece in _PIECES.split(raw):
                if piece and piece not in "-/.:+":
                    yield piece.lower(), offset, offset + len(piece)
                offset += len(piece)
            continue
        yield raw.lower(), start, start + len(raw)


_PIECES = re.compile(r"([-/.:+])")


def _tokenise(text: str) -> list[tuple[str, int, int]]:
    """`_iter_words_slow` as a list, lower-casing the text once instead of every word.

    Lower-casing the whole text keeps every offset when it keeps the length (no character grows,
    as 'İ' does); Greek capital sigma is left to the slow path because its lower case depends on
    the characters around it."""
    low = text.lower()
    if len(low) != len(text) or "\u03a3" in text:
        return list(_iter_words_slow(text))
    return tokenise_lower(low)


def tokenise_lower(low: str, start: int = 0, end: int | None = None) -> list[tuple[str, int, int]]:
    """The words `_tokenise` gives between `start` and `end` of a text it lower-cased (same length:
    see there), when both fall between tokens (0, the end, a space, tab or newline: no token holds
    one). The snippets tokenise only the stretches around a query word's occurrences with it."""
    out: list[tuple[str, int, int]] = []
    append = out.append
    for m in _TOKEN.finditer(low, start, len(low) if end is None else end):
        raw = m.group()
        if raw.isalpha():  # the common case: a plain word
            append((raw, m.start(), m.end()))
        else:
            out.extend(_token_pieces(raw, m.start()))
    return out


# The indexer analyses the same "title + text" string for several fields (parts, folded, spell):
# the word list of the last few texts is kept so that each is tokenised once.
_WORDS_CACHE: dict[str, list[tuple[str, int, int]]] = {}
_WORDS_CACHE_SIZE = 8
_WORDS_CACHE_MIN_LEN = 64  # short strings are cheaper to tokenise than to hash and keep


def _words(text: str) -> list[tuple[str, int, int]]:
    if len(text) < _WORDS_CACHE_MIN_LEN:
        return _tokenise(text)
    words = _WORDS_CACHE.get(text)
    if words is None:
        words = _tokenise(text)
        if len(_WORDS_CACHE) >= _WORDS_CACHE_SIZE:
            _WORDS_CACHE.clear()
        _WORDS_CACHE[text] = words
    return words


# The same "title + text" string feeds three fields: its words grouped by position are kept too.
_GROUPED_CACHE: dict[str, dict[str, list[int]]] = {}


def _group_words(text: str) -> dict[str, list[int]]:
    """word -> its positions (ascending), the words as `_tokenise` makes them. The index needs no
    character offsets, so the common case takes `findall`'s strings instead of a match object a word
    (a build tokenises every text once here: about a third less time than `_tokenise`)."""
    low = text.lower()
    if len(low) != len(text) or "\u03a3" in text:  # `_tokenise`'s own slow case
        words = [word for word, _start, _end in _iter_words_slow(text)]
    else:
        words = []
        append = words.append
        for raw in _TOKEN.findall(low):
            if raw.isalpha():  # the common case: a plain word
                append(raw)
            else:
                words.extend(word for word, _start, _end in _token_pieces(raw))
    grouped: dict[str, list[int]] = {}
    get = grouped.get
    for pos, word in enumerate(words):
        have = get(word)
        if have is None:
            grouped[word] = [pos]
        else:
            have.append(pos)
    return grouped


def _token_pieces(raw: str, start: int = 0) -> list[tuple[str, int, int]]:
    """The words (with their offsets from `start`) of one lower-cased token that is not purely
    alphabetic: abbreviations and tokens with digits stay whole, others split at - / . : +."""
    if raw.endswith("."):
        raw = raw.rstrip(".")
    if raw in _ABBREVIATIONS or _HAS_DIGIT.search(raw) or raw.endswith("+") and "-" not in raw:
        return [(raw, start, start + len(raw))]
    if "-" in raw or "/" in raw or "." in raw or ":" in raw or "+" in raw:
        pieces = []
        offset = start
        for piece in _PIECES.split(raw):
            if piece and piece not in "-/.:+":
                pieces.append((piece, offset, offset + len(piece)))
            offset += len(piece)
        return pieces
    return [(raw, start, start + len(raw))]


def _grouped(text: str) -> dict[str, list[int]]:
    """word -> its positions (ascending) in `text`, as the token stream numbers them."""
    grouped = _GROUPED_CACHE.get(text)
    if grouped is not None:
        return grouped
    head, newline, tail = text.partition("\n")
    if newline and tail in _GROUPED_CACHE:
        # "title\ntext" after "text" (the indexer's order): no word spans a line break, so the
        # words are the title's followed by the text's, whose positions move up
        grouped = _group_words(head)
        shift = sum(map(len, grouped.values()))
        for word, positions in _GROUPED_CACHE[tail].items():
            moved = [p + shift for p in positions]
            have = grouped.get(word)
            grouped[word] = moved if have is None else have + moved
    else:
        grouped = _group_words(text)
    if len(text) >= _WORDS_CACHE_MIN_LEN:
        if len(_GROUPED_CACHE) >= _WORDS_CACHE_SIZE:
            _GROUPED_CACHE.clear()
        _GROUPED_CACHE[text] = grouped
    return grouped


# ---------------------------------------------------------------- the Whoosh analyzer

MODES = ("exact", "parts", "folded", "plain")


class SwedishAnalyzer(Composable):
    """A Whoosh analyzer; `mode` picks which index field it feeds (see the module docstring)."""

    def __init__(
        self,
        mode: str = "exact",
        stopwords: Iterable[str] | None = None,
        stemmer: Callable[[str], str] | None = None,
        splitter=None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.stopwords = frozenset(STOPWORDS if stopwords is None else stopwords)
        self._stemmer = stemmer  # swapped in by tests; never pickled (see __getstate__)
        self._splitter = splitter

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_stemmer"] = state["_splitter"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_stemmer", None)
        self.__dict__.setdefault("_splitter", None)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SwedishAnalyzer) and (self.mode, self.stopwords) == (
            other.mode,
            other.stopwords,
        )

    def __hash__(self) -> int:
        return hash((self.mode, len(self.stopwords)))

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not value.isascii() and not unicodedata.is_normalized("NFC", value):
            value = unicodedata.normalize("NFC", value)
        words = _words(value) if tokenize else [(value.lower(), 0, len(value))]
        cache = self._forms_cache()
        stem = self._stemmer or default_stemmer()
        stopwords = self.stopwords
        pos = start_pos - 1
        token.stopped = False
        token.boost = 1.0
        for word, start, end in words:
            pos += 1
            forms: Any = cache.get(word, _MISS) if cache is not None else _MISS
            if forms is _MISS:
                forms = None if word in stopwords else tuple(self.forms(word, stem))
                if cache is not None:
                    if len(cache) > 500_000:
                        cache.clear()
                    cache[word] = forms
            if forms is None:  # a stopword
                if not removestops:
                    token.text, token.stopped, token.pos = word, True, pos
                    token.startchar, token.endchar = start_char + start, start_char + end
                    yield token
                    token.stopped = False
                continue
            for text in forms:
                token.text = text
                token.boost = 1.0
                if keeporiginal:
                    token.original = word
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar, token.endchar = start_char + start, start_char + end
                yield token

    def term_positions(self, value: str) -> dict[bytes, list[int]]:
        """index term (UTF-8, as Whoosh stores it) -> its positions, ascending: what indexing `value`
        with this analyzer (stopwords removed, start_pos 0) gives, computed per distinct word instead
        of per token, so that the fields analysing one text share its tokenising and grouping
        (schema.FastIndex uses it). A word's terms are memoised already encoded."""
        if not value.isascii() and not unicodedata.is_normalized("NFC", value):
            value = unicodedata.normalize("NFC", value)
        cache = self._forms_cache(encoded=True)
        stem = self._stemmer or default_stemmer()
        stopwords = self.stopwords
        out: dict[bytes, list[int]] = {}
        first = out.setdefault
        known = cache.get if cache is not None else {}.get
        for word, positions in _grouped(value).items():
            terms: Any = known(word, _MISS)
            if terms is _MISS:
                terms = (
                    None if word in stopwords else tuple(t.encode("utf-8") for t in self.forms(word, stem))
                )
                if cache is not None:
                    if len(cache) > 500_000:
                        cache.clear()
                    cache[word] = terms
            if not terms:
                continue
            for term in terms:
                # one dict step a term: another word's list only where two words give one term
                # (the lists are shared with the cache: never changed in place)
                have = first(term, positions)
                if have is not positions:
                    out[term] = sorted(have + positions)
        return out

    def _forms_cache(self, encoded: bool = False) -> dict | None:
        """word -> its index terms (None: a stopword; UTF-8 bytes when `encoded`), shared by all
        analyzers of one mode and stopword list; only with the default stemmer and splitter (tests
        swap in their own)."""
        if self._stemmer is not None or self._splitter is not None:
            return None
        key = (self.mode, self.stopwords, encoded)
        cache = _FORMS_CACHES.get(key)
        if cache is None:
            cache = _FORMS_CACHES[key] = {}
        return cache

    def forms(self, word: str, stem: Callable[[str], str]) -> list[str]:
        """The index terms one word gives in this mode."""
        if self.mode == "plain":
            return [word]
        if self.mode == "exact":
            return [stem(word)]
        subwords = self._splitter.subwords(word) if self._splitter is not None else _subwords(word)
        if self.mode == "parts":
            return _unique(stem(p) for p in subwords)
        return _unique(stem(fold(w)) for w in (word, *subwords))


_MISS = object()
_FORMS_CACHES: dict[tuple[str, frozenset, bool], dict[str, tuple[Any, ...] | None]] = {}


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


_SUBWORD_CACHE: dict[str, tuple[str, ...]] = {}
_SPLIT = [0]  # words this process gave to the compound splitter


def _subwords(word: str) -> tuple[str, ...]:
    cached = _SUBWORD_CACHE.get(word)
    if cached is None:
        if len(word) < 7 or not word.isalpha():
            cached = ()
        else:
            cached = tuple(default_splitter().subwords(word))
            _SPLIT[0] += 1
        if len(_SUBWORD_CACHE) > 500_000:
            _SUBWORD_CACHE.clear()
        _SUBWORD_CACHE[word] = cached
    return cached


# ---------------------------------------------------------------- the subword table of an index
#
# Loading the compound splitter's dictionary costs about 0.6 s of CPU, more than the rest of an
# incremental update of one file. An index therefore keeps the splitter's answers for its corpus's
# words (SUBWORD_TABLE, a marshalled {word: parts}); an update loads the table into the cache above
# and needs the splitter only for words the corpus never had. The table is a cache of a pure
# function: it is keyed by the splitter's code and data, and one that is missing, damaged or made by
# another splitter is ignored.

SUBWORD_TABLE = "subwords.marshal"


@lru_cache(maxsize=1)
def _subword_table_key() -> str:
    h = hashlib.sha1()
    here = Path(__file__).resolve().parent
    for path in (here / "analysis.py", here / "compounds.py", here / "data" / "sv_compounds.tsv.gz"):
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"-")
    return h.hexdigest()


def words_split() -> int:
    """How many words this process has given to the compound splitter so far."""
    return _SPLIT[0]


def load_subword_table(path: Path) -> bool:
    """Add a saved table's words to the subword cache; False when there is no usable table."""
    try:
        data = marshal.loads(Path(path).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return False
    if not isinstance(data, dict) or data.get("key") != _subword_table_key():
        return False
    words = data.get("words")
    if not isinstance(words, dict):
        return False
    if len(_SUBWORD_CACHE) + len(words) > 500_000:
        _SUBWORD_CACHE.clear()
    _SUBWORD_CACHE.update(words)
    return True


def subword_table() -> bytes:
    """The words of the subword cache that the splitter answered, as a table to save."""
    words = {w: parts for w, parts in _SUBWORD_CACHE.items() if len(w) >= 7 and w.isalpha()}
    return marshal.dumps({"key": _subword_table_key(), "words": words})


def drop_caches() -> None:
    """Let go of every analysis cache and the compound splitter: a build's writer process calls this
    after its last document, when its flush needs the memory (they are only caches: anything
    analysed later fills them again)."""
    _WORDS_CACHE.clear()
    _GROUPED_CACHE.clear()
    _SUBWORD_CACHE.clear()
    _FORMS_CACHES.clear()
    default_stemmer.cache_clear()
    default_splitter.cache_clear()
    from .compounds import default_splitter as shipped_splitter

    shipped_splitter.cache_clear()


def analyze(text: str, mode: str = "exact") -> list[str]:
    """The index terms of a text (tests, debugging, `esfsearch analyze`)."""
    return [t.text for t in SwedishAnalyzer(mode)(text)]
