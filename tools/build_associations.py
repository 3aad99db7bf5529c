"""Mine term associations for query expansion (esfsearch/data/associations.tsv.gz).

Counts, over documents, which stems occur together in the shipped corpus (ESF/ERUF project texts) and
the Swedish Government texts of shared/data (assignments to agencies and regeringen.se pages on the
structural funds; attribution in shared/data/README.md), and keeps for each stem the few stems that
occur with it far more often than chance: the KL contribution P(u|t) log(P(u|t) / P(u)), with at least
MIN_CO shared documents. Both sides are the stems esfsearch's exact analysis gives, so the file can be
used on query stems directly. Dev tool: needs numpy and scipy, which esfsearch itself does not.

    python tools/build_associations.py [/work/shared/data] [--out esfsearch/data/associations.tsv.gz]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from esfsearch.analysis import STOPWORDS, analyze  # noqa: E402

MIN_DF = 5  # a stem in fewer documents has no reliable neighbours
MAX_SHARE = 0.2  # nor does one in most documents
MIN_CO = 4  # shared documents for a pair
PER_TERM = 6  # neighbours kept per stem
MIN_SCORE = 0.02


def documents(data: Path) -> list[str]:
    texts = []
    for folder in ("regeringsuppdrag", "regeringen-esf"):
        for path in sorted((data / folder).rglob("*.md")):
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    for item in json.loads(
        (ROOT / "corpus/projektbanken-eruf-2014-2020/projects.json").read_text(encoding="utf-8")
    ):
        texts.append(f"{item.get('projektnamn') or ''}\n{item.get('projektbeskrivning') or ''}")
    for path in sorted((ROOT / "corpus/seeds").glob("*.txt")):
        texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return texts


def main(argv: list[str] | None = None) -> int:
    import numpy as np
    from scipy import sparse

    p = argparse.ArgumentParser()
    p.add_argument("data", nargs="?", default="/work/shared/data")
    p.add_argument("--out", default=str(ROOT / "esfsearch/data/associations.tsv.gz"))
    p.add_argument(
        "--score",
        choices=("kl", "npmi"),
        default="kl",
        help="kl: P(u|t) log(P(u|t)/P(u)); npmi: normalised pointwise mutual information",
    )
    p.add_argument("--min-co", type=int, default=MIN_CO)
    p.add_argument(
        "--specific",
        type=float,
        default=0.0,
        help="kl only: the score times log(1/P(u)) ** this, so a neighbour in few documents ranks higher "
        "(eval/README.md, issue 14 fourth round: 1.0 helped the vocabulary queries, cost a phrase one)",
    )
    args = p.parse_args(argv)
    texts = documents(Path(args.data))
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for d, text in enumerate(texts):
        terms = {t for t in analyze(text, "exact") if len(t) >= 3 and t.isalpha() and t not in STOPWORDS}
        # sorted: the vocabulary ids, hence which tied neighbours are kept, do not depend on the hash seed
        for t in sorted(terms):
            rows.append(d)
            cols.append(vocab.setdefault(t, len(vocab)))
    n = len(texts)
    x = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, len(vocab)))
    df = np.asarray(x.sum(axis=0)).ravel()
    keep = np.flatnonzero((df >= MIN_DF) & (df <= MAX_SHARE * n))
    x = x[:, keep].tocsc()
    df = df[keep]
    names = {i: t for t, i in vocab.items()}
    terms = [names[i] for i in keep]
    co = (x.T @ x).tocsr()
    p_u = df / n
    lines = []
    for i in range(len(terms)):
        row = co.getrow(i)
        idx, vals = row.indices, row.data
        mask = (idx != i) & (vals >= args.min_co)
        idx, vals = idx[mask], vals[mask]
        if not len(idx):
            continue
        cond = vals / df[i]
        if args.score == "kl":
            score = cond * np.log(cond / p_u[idx]) * np.log(1.0 / p_u[idx]) ** args.specific
        else:
            p_tu = vals / n
            score = np.log(p_tu / (p_u[i] * p_u[idx])) / -np.log(p_tu)
        order = np.argsort(-score, kind="stable")[:PER_TERM]
        best = [(terms[idx[j]], float(score[j])) for j in order if score[j] >= MIN_SCORE]
        if best:
            lines.append(terms[i] + "\t" + " ".join(f"{t}:{s:.3f}" for t, s in best))
    with gzip.open(args.out, "wt", encoding="utf-8") as fh:
        fh.write(
            f"# term associations: {n} documents (shipped corpus + shared/data government texts), "
            f"KL contribution, min {MIN_CO} shared documents; built by tools/build_associations.py\n"
        )
        fh.write("\n".join(sorted(lines)) + "\n")
    print(f"{len(lines)} stems with associations from {n} documents -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
