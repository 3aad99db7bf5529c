#!/usr/bin/env python3
"""Regenerate esfsearch/data/sv_compounds.tsv.gz from the Swedish Hunspell dictionary.

    .venv/bin/python tools/build_lexicon.py [--hunspell DIR] [--corpus PATH ...] [--out FILE]

Input: sv_SE.dic / sv_SE.aff from the PyPI package ``hunspell-sv`` (LGPL-3.0), found under
``<venv>/share/hunspell`` by default, and real texts for the frequency list (default: the seeds,
the ERDF project bank and the Government assignments under /work/shared).

Output (one gzip'd UTF-8 text file, sections introduced by ``#name`` lines):

* ``#rules``  suffix rules of the .aff:  add, flag, strip, condition (regex), continuation flags
* ``#roots``  every lower-cased dictionary entry with the flags the splitter needs
              (suffix flags, X/U/Y/Z/W, ``%`` forbidden, ``¤`` needaffix, ``^`` = proper noun only)
* ``#begin``  forms that may begin a compound (root with X, or a suffix form whose continuation
              flags contain X, e.g. försörjning+s, ränta->ränte, vecka->vecko), with their lemma
* ``#middle`` the same for COMPOUNDMIDDLE (U)
* ``#freq``   lemma frequencies counted on the corpus (standalone occurrences of every form)

Compound ends are not expanded (that would be ~1 M forms): the run-time module strips suffixes
with the shipped rules instead, like Hunspell itself.
"""

from __future__ import annotations

import argparse
import collections
import glob
import gzip
import io
import json
import os
import re
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEEP_FLAGS = set("XUYZW%¤")
# Begin forms that are separate dictionary words but really the linking form of another word.
LEMMA_OVERRIDES = {"läns": "län"}
WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def default_hunspell_dir() -> Path:
    return Path(sys.prefix) / "share" / "hunspell"


def parse_aff(path: Path):
    rules = []  # (flag, strip, add, cont, cond)
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        parts = lines[i].split()
        i += 1
        if len(parts) >= 4 and parts[0] == "SFX" and parts[2] in ("Y", "N") and parts[3].isdigit():
            flag, count = parts[1], int(parts[3])
            for _ in range(count):
                p = lines[i].split()
                i += 1
                strip = "" if p[2] == "0" else p[2]
                add, _, cont = p[3].partition("/")
                add = "" if add == "0" else add
                cond = p[4] if len(p) > 4 else "."
                rules.append((flag, strip, add, cont, cond))
    return rules


def parse_dic(path: Path):
    entries = []
    with open(path, encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            word, _, flags = line.partition("/")
            flags = flags.split("\t")[0].split(" ")[0]
            entries.append((unicodedata.normalize("NFC", word), flags))
    return entries


def cond_ok(cond: str, word: str) -> bool:
    return cond == "." or re.search("(?:" + cond + ")$", word) is not None


def build(hdir: Path, corpus: list[str], out: Path) -> None:
    t0 = time.time()
    rules = parse_aff(hdir / "sv_SE.aff")
    entries = parse_dic(hdir / "sv_SE.dic")
    sfx_flags = {r[0] for r in rules}
    keep = KEEP_FLAGS | sfx_flags

    roots: dict[str, set[str]] = {}
    has_lower: set[str] = set()
    free: set[str] = set()  # words with at least one entry that is not compound-only
    for word, flags in entries:
        if not word.isalpha():
            continue  # numbers, abbreviations with dots, hyphenated pieces
        lw = word.lower()
        if word == lw:
            has_lower.add(lw)
        if "Z" not in flags:
            free.add(lw)
        roots.setdefault(lw, set()).update(f for f in flags if f in keep)
    for lw, fl in roots.items():
        if lw not in has_lower:
            fl.add("^")
        if lw in free:
            fl.discard("Z")  # homonyms: "data/X" and "data/XZ" -> a free word
    print(f"{len(roots)} roots, {len(rules)} suffix rules", file=sys.stderr)

    # standalone roots (for restoring the lemma of compound-only forms such as "arbets")
    def standalone(w):
        fl = roots.get(w)
        return fl is not None and not (fl & set("Z%¤"))

    def restore_all(form: str) -> list[str]:
        cands = []
        if form.endswith("s"):
            b = form[:-1]
            cands += [b, b + "e", b + "a", b[:-1] + "a" if b.endswith(("e", "o", "u")) else None]
        if form.endswith(("e", "o", "u")):
            cands += [form[:-1] + "a", form[:-1] + "e", form[:-1] + "um", form[:-1]]
        cands += [form + "a", form + "e"]
        if form.endswith("a"):
            cands += [form[:-1]]
        return [c for c in dict.fromkeys(cands) if c and len(c) >= 3 and standalone(c)]

    def restore(form: str) -> str:
        found = restore_all(form)
        if found:
            return found[0]
        if form.endswith("s") and len(form) > 4:
            return form[:-1]
        return form

    # form -> candidate lemmas in priority order (the root itself first); resolved by frequency later
    begin: dict[str, list[str]] = {}
    middle: dict[str, list[str]] = {}
    by_flag = collections.defaultdict(list)
    for r in rules:
        by_flag[r[0]].append(r)

    def add_form(d, form, lemma):
        if len(form) >= 2 and form.isalpha():
            lemma = LEMMA_OVERRIDES.get(form, lemma)
            lst = d.setdefault(form, [])
            if lemma not in lst:
                lst.append(lemma)

    for w, fl in roots.items():  # pass 1: the roots themselves
        if "%" in fl or "¤" in fl:
            continue
        lemmas = (restore_all(w) or [restore(w)]) if "Z" in fl else [w]
        for lemma in lemmas:
            if "X" in fl:
                add_form(begin, w, lemma)
            if "U" in fl:
                add_form(middle, w, lemma)
    for w, fl in roots.items():  # pass 2: suffix forms whose continuation flags say X / U
        if "%" in fl:
            continue
        lemma = restore(w) if "Z" in fl else w
        for f in fl:
            for _flag, strip, add, cont, cond in by_flag.get(f, ()):
                if not ("X" in cont or "U" in cont):
                    continue
                if strip and not w.endswith(strip):
                    continue
                if not cond_ok(cond, w):
                    continue
                form = w[: len(w) - len(strip)] + add
                # other readings of the same linking form compete by frequency later
                # ("riks": rik or rike, "skydds": skydda or skydd)
                for lem in [lemma] + restore_all(form):
                    if "X" in cont:
                        add_form(begin, form, lem)
                    if "U" in cont:
                        add_form(middle, form, lem)
    # forbidden words (e.g. "långtid/%") must not be begin/middle forms themselves
    for w, fl in roots.items():
        if "%" in fl:
            begin.pop(w, None)
            middle.pop(w, None)
    print(f"{len(begin)} begin forms, {len(middle)} middle forms  ({time.time() - t0:.1f}s)", file=sys.stderr)

    def resolve(cands: list[str], freq) -> str:
        # the most frequent candidate lemma ("riks": rike beats rik, "skydds": skydd beats skydda)
        return max(enumerate(cands), key=lambda ic: ((freq or {}).get(ic[1], 0), -ic[0]))[1]

    def write(path: Path, freq: dict[str, int] | None):
        # mtime=0 and no file name in the header: rebuilding gives a byte-identical file
        with (
            open(path, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as gz,
            io.TextIOWrapper(gz, encoding="utf-8", newline="\n") as fh,
        ):
            fh.write("#rules\n")
            for flag, strip, add, cont, cond in sorted(rules, key=lambda r: (r[2], r[0], r[1], r[4])):
                if flag in sfx_flags:
                    fh.write(f"{add}\t{flag}\t{strip}\t{cond}\t{''.join(sorted(set(cont)))}\n")
            fh.write("#roots\n")
            for w in sorted(roots):
                fh.write(f"{w}\t{''.join(sorted(roots[w]))}\n")
            for name, d in (("begin", begin), ("middle", middle)):
                fh.write(f"#{name}\n")
                for f in sorted(d):
                    lem = resolve(d[f], freq)
                    fh.write(f"{f}\t{'' if lem == f else lem}\n")
            fh.write("#freq\n")
            for w, n in sorted((freq or {}).items()):
                fh.write(f"{w}\t{n}\n")

    # first pass without frequencies, so that the run-time analyser can count lemmas
    out.parent.mkdir(parents=True, exist_ok=True)
    write(out, None)
    from esfsearch.compounds import CompoundSplitter

    sp = CompoundSplitter(out, with_freq=False)
    counts: collections.Counter[str] = collections.Counter()
    for text in iter_texts(corpus):
        text = unicodedata.normalize("NFC", text).lower()
        counts.update(m.group(0) for m in WORD_RE.finditer(text))
    print(f"corpus: {sum(counts.values())} tokens, {len(counts)} distinct", file=sys.stderr)
    freq: collections.Counter[str] = collections.Counter()
    for w, n in counts.items():
        lems = set(sp.lemmas(w))
        for lem in lems:
            freq[lem] += n
    # keep lemmas the splitter can meet: begin/middle lemmas and compound ends, plus known words
    write(out, dict(freq))
    print(
        f"{len(freq)} lemma frequencies; wrote {out} ({out.stat().st_size / 1e6:.2f} MB) "
        f"in {time.time() - t0:.1f}s",
        file=sys.stderr,
    )


def iter_texts(paths: list[str]):
    for pat in paths:
        for p in sorted(glob.glob(pat, recursive=True)):
            if p.endswith(".json"):
                with open(p, encoding="utf-8") as fh:
                    data = json.load(fh)
                for rec in data if isinstance(data, list) else [data]:
                    for k in ("projektnamn", "projektbeskrivning"):
                        v = rec.get(k)
                        if isinstance(v, str):
                            yield v
            elif os.path.isfile(p):
                with open(p, encoding="utf-8", errors="replace") as fh:
                    yield fh.read()


DEFAULT_CORPUS = [
    "/work/shared/seeds/*.txt",
    "/work/shared/data/projektbanken-eruf-2014-2020/projects.json",
    "/work/shared/data/regeringsuppdrag/**/*.md",
    "/work/shared/data/regeringen-esf/**/*.md",
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hunspell", type=Path, default=default_hunspell_dir())
    ap.add_argument("--corpus", nargs="*", default=DEFAULT_CORPUS)
    ap.add_argument("--out", type=Path, default=ROOT / "esfsearch" / "data" / "sv_compounds.tsv.gz")
    a = ap.parse_args(argv)
    build(a.hunspell, a.corpus, a.out)


if __name__ == "__main__":
    main()
