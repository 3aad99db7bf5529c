"""Fast tests of the benchmark corpus generator (bench/corpus.py) and peers (bench/peers.py)."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest
from once import built_once

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import corpus, peers  # noqa: E402

N = 300
SWEDISH = {"och", "att", "för", "som", "med", "av", "till", "i", "är", "en", "det", "ska"}


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """The seed-1 corpus and its counts, generated once per run (tests/once.py), whichever workers
    run these tests; read, never changed."""

    def make(folder: Path) -> None:
        counts = corpus.generate(N, folder / "c", seed=1)
        (folder / "counts.json").write_text(json.dumps(counts), encoding="utf-8")

    base = built_once(tmp_path_factory, "bench-corpus-seed1", make)
    return base / "c", json.loads((base / "counts.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pools() -> corpus.Pools:
    return corpus.load_pools()


def _texts(out: Path, layout: str) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((out / layout).rglob("*")) if p.is_file()]


def _json_records(out: Path) -> list[dict]:
    recs: list[dict] = []
    for p in sorted((out / "json").rglob("*.json")):
        recs += json.loads(p.read_text(encoding="utf-8"))
    return recs


def _labels(text: str) -> dict[str, str]:
    """Label: / value pairs of a record text file (empty label -> '')."""
    head = text.split("\n\n")[1].split("\n")
    out, i = {}, 0
    while i < len(head):
        label = head[i][:-1]
        value = head[i + 1] if i + 1 < len(head) and not head[i + 1].endswith(":") else ""
        out[label] = value
        i += 2 if value else 1
    return out


def _body(text: str) -> str:
    return text.split("\n\n", 2)[2]


# --------------------------------------------------------------------- determinism
def test_same_seed_gives_identical_bytes(generated, tmp_path):
    out, _ = generated
    again = tmp_path / "again"
    corpus.generate(N, again, seed=1)
    assert _files(out) == _files(again)


def test_different_seed_differs(generated, tmp_path):
    out, _ = generated
    other = tmp_path / "other"
    counts = corpus.generate(N, other, seed=2)
    assert counts == generated[1]  # the mix is fixed, the content is not
    a, b = _files(out), _files(other)
    assert a != b
    assert set(a.values()).isdisjoint(set(b.values()))


# --------------------------------------------------------------------- counts, ids
def test_counts_add_up_and_every_layout_present(generated):
    out, counts = generated
    assert set(counts) == set(corpus.LAYOUTS)
    assert sum(counts.values()) == N
    assert all(c > 0 for c in counts.values()), counts
    for layout in ("projektbank", "esfplus", "ebs2020", "markdown"):
        assert len(_texts(out, layout)) == counts[layout]
    assert len(_json_records(out)) == counts["json"]
    assert corpus.split_counts(N) == counts


def test_ids_unique_and_well_formed(generated):
    out, counts = generated
    ids: list[str] = []
    for text in _texts(out, "projektbank"):
        dnr = text.split(" - ", 1)[0]
        assert re.fullmatch(r"20(1[4-9]|2[01])/\d{5}", dnr)
        assert _labels(text)["Diarienummer"] == dnr == _labels(text)["Projektnummer"]
        ids.append(dnr)
    for text in _texts(out, "esfplus"):
        pid = text.split(" - ", 1)[0]
        assert re.fullmatch(r"2[1-6]-\d{3}-S\d\d", pid)
        ids.append(pid)
    for rec in _json_records(out):
        assert re.fullmatch(r"\d{8}", rec["ärende-id"])
        ids.append(rec["ärende-id"])
    assert len(ids) == len(set(ids))
    gen_ids = [r["id"] for r in corpus.iter_records(N, 1)]
    assert len(gen_ids) == N == len(set(gen_ids))


def test_folders_hold_at_most_files_per_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "FILES_PER_DIR", 20)
    monkeypatch.setattr(corpus, "JSON_PER_FILE", 5)
    corpus.generate(N, tmp_path, seed=3)
    per_dir = Counter(p.parent for p in tmp_path.rglob("*") if p.is_file())
    assert max(per_dir.values()) <= 20
    assert len(per_dir) > len(corpus.LAYOUTS)


# --------------------------------------------------------------------- layouts
def test_projektbank_shape(generated):
    out, _ = generated
    for text in _texts(out, "projektbank"):
        lines = text.split("\n")
        assert re.fullmatch(r"\d{4}/\d{5} - .+", lines[0]) and lines[1] == "" and lines[2] == "Diarienummer:"
        labels = _labels(text)
        for key in (
            "Namn",
            "Projektägare",
            "Region",
            "Planerat antal deltagare",
            "Projektperiod",
            "Total projektbudget",
            "Beviljat ESF-stöd",
            "Kontaktperson",
            "E-post",
            "Programområde",
            "Specifikt mål",
            "Unionens medfinansieringsgrad",
            "Interventionstyp",
        ):
            assert labels.get(key), (key, lines[0])
        assert labels["Namn"] == lines[0].split(" - ", 1)[1]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d - \d{4}-\d\d-\d\d", labels["Projektperiod"])
        assert re.fullmatch(r"\d+%", labels["Unionens medfinansieringsgrad"])
        assert labels["Region"] in {r for r, _ in corpus.COUNTY_REGION.values()}


def test_esfplus_shape(generated):
    out, _ = generated
    for text in _texts(out, "esfplus"):
        labels = _labels(text)
        assert labels["Berörd fond"] == "ESF+" and labels["Program CCI"] == "2021SE05SFPR"
        assert re.fullmatch(r"\d{10}", labels["Projektägare organisationsnummer"])
        assert re.fullmatch(r"SE\d\d", labels["NUTS-2 kod"])
        assert (labels["Region"], labels["NUTS-2 kod"]) in set(corpus.COUNTY_REGION.values())
        assert (
            re.fullmatch(r"\d{4}-\d\d-\d\d", labels["Startdatum"])
            and labels["Slutdatum"] > labels["Startdatum"]
        )


def test_ebs_shape(generated):
    out, _ = generated
    for text in _texts(out, "ebs2020"):
        assert text.startswith("Logotyp på utskrifter\n\nStäng\n\n")
        for glued in (
            "\nProgramområdeProgramområde ",
            "\nProjektägare",
            "\nKontaktperson",
            "\nProjektperiod",
            "\nRegion",
            "\nIn English\n\nSammanfattning\n\n",
            "\n\nBakgrund\n\n",
            "\n\nMålsättning\n\n",
            "\n\nKommun\n\n  • ",
        ):
            assert glued in text, glued
        assert re.search(r"\nProjektperiod\d{4}-\d\d-\d\d till \d{4}-\d\d-\d\d\n", text)
        assert not text.endswith("\n")


def test_markdown_shape(generated):
    out, _ = generated
    for text in _texts(out, "markdown"):
        title, blank, rest = text.split("\n", 2)
        assert title.startswith("# ") and len(title) > 3 and blank == "" and rest.strip()


def test_json_records_have_the_source_keys(generated):
    out, _ = generated
    real = corpus.load_pools().sources["projects"]
    keys = list(json.loads(Path(real).read_text(encoding="utf-8"))[0])
    for rec in _json_records(out):
        assert list(rec) == keys
        assert isinstance(rec["beviljat_belopp_sek"], int) and rec["beviljat_belopp_sek"] > 0
        assert rec["beviljat_belopp_eur"] == 0
        assert rec["projekt_sluttid"] > rec["projekt_starttid"]
        assert rec["kommuner"] and ", " in rec["kommuner"] or "," not in rec["kommuner"]
        assert 0 < len(rec["projektbeskrivning"]) <= 3999


# --------------------------------------------------------------------- amounts
def test_amounts_formatted_as_in_the_seeds(generated):
    out, _ = generated
    for text in _texts(out, "projektbank"):
        labels = _labels(text)
        total, esf = labels["Total projektbudget"], labels["Beviljat ESF-stöd"]
        assert re.fullmatch(r"[1-9]\d{0,2}( \d{3})*", total), total
        assert re.fullmatch(r"[1-9]\d{0,2}( \d{3})*", esf), esf
        assert int(esf.replace(" ", "")) <= int(total.replace(" ", ""))
    for text in _texts(out, "ebs2020"):
        assert re.search(r"\nBeviljat ESF-stöd[1-9]\d{0,2}(\u00a0\d{3})* kr\n", text)
        assert re.search(r"\nTotal projektbudget[1-9]\d{0,2}(\u00a0\d{3})* kr\n", text)
    assert corpus.amount(11256577) == "11 256 577"
    assert corpus.amount(2761412, nbsp=True) == "2\u00a0761\u00a0412"


# --------------------------------------------------------------------- real Swedish text
def _summaries(out: Path) -> list[str]:
    res = [_body(t) for layout in ("projektbank", "esfplus") for t in _texts(out, layout)]
    res += [
        t.split("\n\nSammanfattning\n\n", 1)[1].rsplit("\n\n\nKommun", 1)[0] for t in _texts(out, "ebs2020")
    ]
    res += [t.split("\n", 2)[2] for t in _texts(out, "markdown")]
    res += [r["projektbeskrivning"] for r in _json_records(out)]
    return res


def test_summaries_are_swedish_and_realistic(generated):
    out, _ = generated
    summaries = _summaries(out)
    assert len(summaries) == N
    for s in summaries:
        words = re.findall(r"\w+", s.lower())
        assert len(words) >= 30
        assert len(SWEDISH & set(words)) >= 3, s[:200]
        assert "lorem" not in words and "ipsum" not in words
    mean = sum(len(s.split()) for s in summaries) / len(summaries)
    assert 150 < mean < 450, mean


def test_summary_sentences_come_from_the_real_sources(generated, pools):
    out, _ = generated
    known = set(pools.project) | set(pools.topical) | set(pools.general) | set(pools.government)
    known |= set(pools.intros)
    for text in _texts(out, "projektbank") + _texts(out, "esfplus"):
        for line in _body(text).split("\n"):
            if line.startswith("- "):
                assert line[2:] in pools.bullets
            else:
                for sentence in corpus.SENTENCE_SPLIT.split(line):
                    assert sentence in known, sentence
    for rec in _json_records(out):
        for part in rec["projektbeskrivning"].split("  "):
            if part.startswith("- "):
                continue
            for sentence in corpus.SENTENCE_SPLIT.split(part):
                assert sentence in known or len(rec["projektbeskrivning"]) == 3999, sentence


def test_titles_owners_places_from_sources(generated, pools):
    out, _ = generated
    munis = {m for ms in pools.county_munis.values() for m in ms}
    for text in _texts(out, "ebs2020"):
        listed = re.findall(r"^  • (.+)$", text, flags=re.M)
        assert listed and set(listed) <= munis
    names = set(pools.names)
    for text in _texts(out, "projektbank"):
        title = text.split(" - ", 1)[1].split("\n", 1)[0]
        assert any(title == n or title.startswith(n + " ") or title == f"Förstudie: {n}" for n in names), (
            title
        )


# --------------------------------------------------------------------- peers
DOCS = [
    {
        "id": "a",
        "title": "Sänk Trösklarna",
        "text": "Introduktionsutbildning för långtidsarbetslösa utrikesfödda i Borlänge.",
    },
    {
        "id": "b",
        "title": "Stärkt utvecklingskraft",
        "text": "Förstudien ska kartlägga kompetensförsörjningsbehov hos företag.",
    },
    {"id": "c", "title": "Business Värmland", "text": "Etableringar, affärer och kapital i Värmland."},
]


def _analyze(text: str) -> list[str]:
    stemmer = pytest.importorskip("snowballstemmer").stemmer("swedish")
    return stemmer.stemWords(re.findall(r"\w+", text.lower()))


NASTY = ['"', "AND OR NOT", "title:x", "(", "a*", "-x", "^2", "NEAR(a b)", ":", "'", ""]


@pytest.mark.parametrize("analyzed", [False, True])
def test_sqlite_fts_peer(tmp_path, analyzed):
    analyze = _analyze if analyzed else None
    docs = [dict(d, tokens=" ".join(_analyze(d["title"] + " " + d["text"]))) if analyzed else d for d in DOCS]
    peer = peers.SqliteFtsPeer(analyze)
    peer.build(iter(docs), tmp_path)
    peer.open(tmp_path)
    assert peer.query("Värmland") == ["c"]
    assert peer.query("kartlägga")[0] == "b"
    assert peer.query("långtidsarbetslösa Borlänge", limit=1) == ["a"]
    if analyzed:  # stemming: a different inflection still finds it
        assert peer.query("förstudie") == ["b"]
    for q in NASTY:
        peer.query(q)
    assert peer.size_bytes(tmp_path) > 0
    assert isinstance(peer, peers.Peer)


@pytest.mark.parametrize("pretokenized", [False, True])
def test_tantivy_peer(tmp_path, pretokenized):
    pytest.importorskip("tantivy")
    analyze = _analyze if pretokenized else None
    docs = [
        dict(d, tokens=" ".join(_analyze(d["title"] + " " + d["text"]))) if pretokenized else d for d in DOCS
    ]
    peer = peers.TantivyPeer(analyze)
    peer.build(docs, tmp_path)
    peer = peers.TantivyPeer(analyze)  # a fresh object must be able to open it
    peer.open(tmp_path)
    assert peer.query("Värmland") == ["c"]
    assert peer.query("långtidsarbetslösa Borlänge", limit=1) == ["a"]
    assert peer.query("förstudie") == ["b"]  # Swedish stemming: förstudien -> förstudi
    assert peer.query("Utvecklingskraften") == ["b"]
    for q in NASTY:
        peer.query(q)
    assert peer.size_bytes(tmp_path) > 0


def test_grep_peer(tmp_path):
    for d in DOCS:
        (tmp_path / f"{d['id']}.txt").write_text(f"{d['title']}\n\n{d['text']}", encoding="utf-8")
    peer = peers.GrepPeer(tmp_path)
    peer.build(DOCS, tmp_path)
    peer.open(tmp_path)
    assert peer.query("VÄRMLAND") == ["c.txt"]
    assert peer.query("värmland borlänge") == ["a.txt", "c.txt"]
    assert peers.GrepPeer(tmp_path, conjunction=True).query("värmland borlänge") == []
    for q in NASTY:
        peer.query(q)
    assert peer.size_bytes(tmp_path) == 0
