"""Swedish compound splitting (decompounding) for indexing.

The legality of a split comes from the Swedish Hunspell dictionary (hunspell-sv, LGPL-3.0): which
forms may begin a compound (COMPOUNDBEGIN ``X`` and the compound-only linking forms such as
``arbets``, ``försörjnings``, ``ränte``, ``vecko``), which may stand in the middle (COMPOUNDMIDDLE ``U``),
and which words may end one (COMPOUNDEND ``Y``, in any inflected form).  ``tools/build_lexicon.py``
expands the .dic/.aff files once into ``esfsearch/data/sv_compounds.tsv.gz``; this module only reads
that file (standard library only, no Hunspell needed at run time).

Competing legal splits are ranked Koehn & Knight style: the geometric mean of the corpus frequencies
of the parts' lemmas, where a known dictionary word competes as a whole (with its own frequency times
a bonus) and, at equal score, fewer parts win.  Frequencies were counted at build time on the project's
real Swedish texts (ESF/ERDF project descriptions and Government assignments) and are shipped in the
same file.

Usage::

    from esfsearch.compounds import default_splitter
    sp = default_splitter()
    sp.split("kompetensförsörjningsbehov")     # ('kompetens', 'försörjning', 'behov')
    sp.subwords("kompetensförsörjningsbehov")  # ('kompetensförsörjning', 'försörjningsbehov',
                                               #  'kompetens', 'försörjning', 'behov')

Do not store a ``CompoundSplitter`` in anything that gets pickled (Whoosh pickles analyzers into the
index); call ``default_splitter()`` where it is needed, it is cached.
"""

from __future__ import annotations

import functools
import gzip
import math
import re
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["CompoundSplitter", "default_splitter", "DATA_FILE"]

DATA_FILE = Path(__file__).resolve().parent / "data" / "sv_compounds.tsv.gz"

# Hunspell sv flags (see sv_SE.aff)
_BEGIN, _MIDDLE, _END, _ONLYCPD = "X", "U", "Y", "Z"
_NEEDAFFIX, _FORBIDDEN = "¤", "%"
_PROPER = "^"  # added by build_lexicon.py: every dictionary entry of this word is capitalised

MIN_PART = 3  # letters in every part (surface form)
MIN_WORD = 6  # shorter words are never split
MAX_PARTS = 5  # Hunspell sv allows 4 words; lexicalised roots may hide one more junction
MEMO_MAX = 1_000_000  # memoised words per cache before it is reset
WHOLE_RATIO = 30.0  # a known word stays whole when (freq + 1) >= WHOLE_RATIO * geometric mean of parts

# Suffix-like words that Hunspell lets end a compound but that make derivations, not compounds:
# arbets+lös, ung+dom, vänskap...  A word ending in them is split before them only if the
# longer head (e.g. "arbetslöshet" in "ungdomsarbetslöshet") is itself legal.
NON_HEADS = frozenset(
    {
        "lös",
        "löst",
        "lösa",
        "het",
        "heten",
        "skap",
        "dom",
        "domen",
        "domar",
        "aktig",
        "ande",
        "ende",
        "ning",
        "else",
        "are",
        "ist",
        "ism",
        "lig",
    }
)
# Known words that Hunspell would let us split but that are not compounds in today's language
# (verb-particle derivations and the like); checked against the word's dictionary lemmas.
ATOMIC = frozenset(
    {
        "handledare",
        "handleda",
        "handledning",
        "deltagare",
        "deltaga",
        "delta",
        "deltagande",
        "företag",
        "företagare",
        "företagsam",
        "verksamhet",
        "anställning",
        "ansökan",
        "allmänhet",
        "medarbetare",
        "arbetare",
        "uppdrag",
        "myndighet",
        "sammanhang",
        "omfattning",
        "underlag",
        "förutsättning",
        "åtgärd",
        "bedömning",
        "uppföljning",
        "inriktning",
        "bostad",
        "ledamot",
        "överenskommelse",
        "tillgång",
        "tillväxt",
        "regering",
        "landsting",
        "inledning",
        "ordförande",
        "fritid",
        "medborgare",
        "medlem",
        "företräda",
        "företrädare",
        "förening",
    }
)
# Words that must not begin a compound although the dictionary flags them so (prefix-like).
# Particles and prepositions start verb-particle derivations (motsvara, genomföra, undersökning,
# medlem), which are not compounds for search purposes.
NON_MODIFIERS = frozenset(
    {
        "an",
        "sam",
        "för",
        "be",
        "ge",
        "er",
        "bi",
        "upp",
        "mot",
        "över",
        "genom",
        "under",
        "efter",
        "från",
        "till",
        "utan",
        "inom",
        "bak",
        "fram",
        "före",
        "mellan",
        "bort",
        "med",
        "kring",
        "runt",
        "ihop",
        "vid",
        "utom",
        "inne",
        "ute",
        "uppe",
        "nere",
        "neder",
        "åter",
    }
)


def _trim_heap() -> None:
    """Give the C heap's free pages back to the system (glibc's malloc_trim). Loading the dictionary
    passes through several copies of its 5 MB text, which leave ~40 MB of freed heap that the
    process would otherwise keep resident for its whole life (each of a build's writer processes
    loads the splitter). No-op where the C library has no malloc_trim."""
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return
    trim(0)


class CompoundSplitter:
    """Splits lower-case NFC Swedish words into compound parts (base forms)."""

    def __init__(self, path: str | Path = DATA_FILE, *, with_freq: bool = True):
        self._roots: dict[str, str] = {}
        self._begin: dict[str, str] = {}
        self._middle: dict[str, str] = {}
        self._freq: dict[str, int] = {}
        # suffix rules indexed by the added string: add -> [(flag, strip, cond_match, cont)]
        # ending added -> (flag, stripped ending, condition on the root or None, continuation flags)
        self._rules: dict[str, list[tuple[str, str, Callable[[str], object] | None, str]]] = {}
        self._add_lens: tuple[int, ...] = ()
        self._load(Path(path), with_freq)
        _trim_heap()
        self._memo: dict[str, tuple[tuple[str, str], ...]] = {}
        self._memo_sub: dict[str, tuple[str, ...]] = {}

    # ------------------------------------------------------------------ loading
    def _load(self, path: Path, with_freq: bool) -> None:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            text = fh.read()
        sections = text.split("\n#")
        conds: dict[str, Callable[[str], object] | None] = {}
        for sec in sections:
            head, _, body = sec.partition("\n")
            head = head.lstrip("#").strip()
            if head == "rules":
                for line in body.splitlines():
                    if not line:
                        continue
                    add, flag, strip, cond, cont = line.split("\t")
                    if cond not in conds:
                        conds[cond] = None if cond == "." else re.compile("(?:" + cond + ")$").search
                    m = conds[cond]
                    self._rules.setdefault(add, []).append((flag, strip, m, cont))
            elif head in ("roots", "begin", "middle", "freq"):
                if head == "freq" and not with_freq:
                    continue
                # "key<TAB>value" lines -> dict, without a Python-level loop per line
                cells = body.rstrip("\n").replace("\n", "\t").split("\t") if body.strip() else []
                # the roots' 265 000 flag strings are ~2 000 distinct ones: shared, 14 MB less
                values = map(sys.intern, cells[1::2]) if head == "roots" else cells[1::2]
                d = dict(zip(cells[0::2], values, strict=False))
                if head == "roots":
                    self._roots = d
                elif head == "freq":
                    self._freq = {k: int(v) for k, v in d.items()}
                else:  # an empty lemma means "same as the form"
                    for k, v in d.items():
                        if not v:
                            d[k] = k
                    if head == "begin":
                        self._begin = d
                    else:
                        self._middle = d
        self._add_lens = tuple(sorted({len(a) for a in self._rules if a}))
        self._rules0 = self._rules.get("", [])

    # ------------------------------------------------------------------ morphology
    def analyses(self, w: str) -> list[tuple[str, str, str]]:
        """Dictionary analyses of a form (one suffix stripped at most, like Hunspell's simple
        suffixes): [(root, root flags, continuation flags of the suffix used or '' for the root)]."""
        out = []
        roots = self._roots
        fl = roots.get(w)
        if fl is not None and _NEEDAFFIX not in fl:
            out.append((w, fl, ""))
        n = len(w)
        for L in self._add_lens:
            if L >= n:
                break
            rules = self._rules.get(w[-L:])
            if rules:
                stem = w[:-L]
                for flag, strip, cond, cont in rules:
                    root = stem + strip
                    fl = roots.get(root)
                    if fl is not None and flag in fl and (cond is None or cond(root)):
                        out.append((root, fl, cont))
        for flag, strip, cond, cont in self._rules0:
            root = w + strip
            fl = roots.get(root)
            if fl is not None and flag in fl and (cond is None or cond(root)):
                out.append((root, fl, cont))
        return out

    def lemmas(self, w: str) -> list[str]:
        """Dictionary lemmas of w as a standalone word ([] if unknown)."""
        return [
            r
            for r, fl, cont in self.analyses(w)
            if _ONLYCPD not in fl and _ONLYCPD not in cont and _FORBIDDEN not in fl
        ]

    def _end_lemma(self, w: str) -> str | None:
        """Lemma of w as the last part of a compound (a COMPOUNDEND word in any inflection)."""
        best = None
        for root, fl, cont in self.analyses(w):
            if _END in fl and _FORBIDDEN not in fl and not (cont and (_BEGIN in cont or _MIDDLE in cont)):
                if best is None or self._freq.get(root, 0) > self._freq.get(best, 0):
                    best = root
        return best

    def _whole(self, w: str) -> tuple[bool, bool, int]:
        """(known standalone word, proper noun only, lemma frequency)."""
        known = proper = False
        freq = 0
        allproper = True
        for root, fl, cont in self.analyses(w):
            if _ONLYCPD in fl or _ONLYCPD in cont or _FORBIDDEN in fl:
                continue
            known = True
            if _PROPER not in fl:
                allproper = False
            freq = max(freq, self._freq.get(root, 0))
        proper = known and allproper
        return known, proper, freq

    # ------------------------------------------------------------------ splitting
    def _segment(self, w: str) -> tuple[tuple[str, str], ...]:
        """Best split as ((surface, lemma), ...); () when the word is best left whole."""
        n = len(w)
        if n < MIN_WORD or not w.isalpha():
            return ()
        known, proper, wfreq = self._whole(w)
        if proper:
            return ()
        if known and not ATOMIC.isdisjoint(self.lemmas(w)):
            return ()
        begin, middle, freq = self._begin, self._middle, self._freq
        end_cache: dict[int, str | None] = {}

        def end_at(i: int):
            if i not in end_cache:
                t = w[i:]
                lem = self._end_lemma(t) if len(t) >= MIN_PART else None
                if lem is not None and (t in NON_HEADS or lem in NON_HEADS):
                    lem = None
                end_cache[i] = lem
            return end_cache[i]

        results: list[tuple[tuple[str, str], ...]] = []

        def extend(i: int, parts: list[tuple[str, str]]):
            # parts so far cover w[:i]; try to finish or add a middle part
            prev = parts[-1][1]
            starts = [i]
            if i >= 2 and w[i - 1] == w[i - 2]:
                starts.append(i - 1)  # SIMPLIFIEDTRIPLE: fall+lucka = fallucka
            for s in starts:
                lem = end_at(s)
                if lem is not None and lem != prev:
                    results.append(tuple(parts) + ((w[s:], lem),))
                if len(parts) + 1 < MAX_PARTS:
                    for j in range(s + MIN_PART, n - MIN_PART + 1):
                        m = middle.get(w[s:j])
                        if m is not None and m != prev:
                            parts.append((w[s:j], m))
                            extend(j, parts)
                            parts.pop()

        for i in range(MIN_PART, n - MIN_PART + 1):
            b = begin.get(w[:i])
            if b is not None and w[:i] not in NON_MODIFIERS:
                extend(i, [(w[:i], b)])
        if not results:
            return ()

        def score(seg):
            return sum(math.log(freq.get(lem, 0) + 1) for _, lem in seg) / len(seg)

        # fewest parts first (longer dictionary words are safer parts; the parts are split
        # again by _atoms, so a lexicalised compound part still yields its atoms), then the
        # Koehn & Knight geometric mean of the part frequencies
        best = max(results, key=lambda seg: (-len(seg), score(seg)))
        if known and math.log(wfreq + 1) - math.log(WHOLE_RATIO) >= score(best):
            return ()
        return best

    def _atoms(self, w: str) -> tuple[tuple[str, str], ...]:
        """Segment recursively: parts that are compounds themselves are split further."""
        r = self._memo.get(w)
        if r is not None:
            return r
        seg = self._segment(w)
        if seg:
            out: list[tuple[str, str]] = []
            last = len(seg) - 1
            for k, (surf, lem) in enumerate(seg):
                # lexicalised compound parts are split again, but not compound-only units such as
                # "långtids" (lemma "långtid", forbidden as a word by Hunspell)
                sub = self._atoms(lem) if lem != w and self.lemmas(lem) else ()
                if sub and len(lem) >= MIN_WORD:
                    # keep the surface junction of this part: inner atoms as found in the lemma,
                    # the last atom with this part's own surface when the lemma is a prefix of it
                    if k < last and surf.startswith(lem):
                        tail_s, tail_l = sub[-1]
                        out.extend(sub[:-1])
                        out.append((tail_s + surf[len(lem) :], tail_l))
                    else:
                        out.extend(sub)
                else:
                    out.append((surf, lem))
            seg = tuple(out)
        if len(self._memo) >= MEMO_MAX:
            self._memo.clear()
        self._memo[w] = seg
        return seg

    def split(self, word: str) -> tuple[str, ...]:
        """Atomic parts of a lower-case NFC word in base form, () when it is not a compound.
        'kompetensförsörjningsbehov' -> ('kompetens', 'försörjning', 'behov')"""
        return tuple(lem for _, lem in self._atoms(word))

    def subwords(self, word: str) -> tuple[str, ...]:
        """Everything to index beside the word itself: sub-compounds and atomic parts, base forms,
        no duplicates, never the word itself, longer first.  () for a non-compound."""
        r = self._memo_sub.get(word)
        if r is not None:
            return r
        atoms = self._atoms(word)
        out: list[str] = []
        if atoms:
            k = len(atoms)
            seen = {word}
            for span in range(k - 1, 0, -1):
                for a in range(0, k - span + 1):
                    b = a + span
                    s = "".join(surf for surf, _ in atoms[a : b - 1]) + atoms[b - 1][1]
                    if s not in seen:
                        seen.add(s)
                        out.append(s)
        if len(self._memo_sub) >= MEMO_MAX:
            self._memo_sub.clear()
        r = self._memo_sub[word] = tuple(out)
        return r

    def clear_cache(self) -> None:
        self._memo.clear()
        self._memo_sub.clear()


@functools.lru_cache(maxsize=1)
def default_splitter() -> CompoundSplitter:
    """The shared splitter over the shipped data (loaded on first call)."""
    return CompoundSplitter()
