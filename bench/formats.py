"""Documents as they arrive (issue 19): reading and indexing N records as text, HTML, PDF and DOCX.

    python bench/formats.py [--n 200] [--formats txt,html,pdf,docx,odt] [--work DIR [--reuse]] [--out FILE]

The N records are the text-file layouts of `bench/corpus.py` (project bank, ESF+, EBS2020 pages, in
the corpus mix); each is written once as its text and once per document format by `tests/docgen.py`
(the renderers the format tests use: web pages with page chrome, A4 PDFs with a running header and
footer and hyphenated line ends, Word documents with a title, a label table and heading styles). Per
format: the time to write the files (not part of esfsearch), `ingest` (read and parse: records/s), and
`build_index --rebuild` over the folder (read, parse, analyse, index: records/s), and how many records
give other fields than their text (should be 0). Wall and CPU time of this process are both given:
on a shared machine the CPU figures are the ones to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO, REPO / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from docgen import parse_seed_text, to_docx, to_html, to_odt, to_pdf  # noqa: E402

from bench.corpus import MIX, iter_records  # noqa: E402
from esfsearch.index import build_index  # noqa: E402
from esfsearch.ingest import ingest  # noqa: E402

FIELDS = ("id", "title", "owner", "region", "start_date", "end_date", "total_budget", "eu_support", "fund")
TEXT_LAYOUTS = ("projektbank", "esfplus", "ebs2020")


def records(n: int, seed: int = 1) -> list[dict]:
    """N records of the text layouts in the corpus mix (iter_records yields one layout after another)."""
    share = {k: MIX[k] / sum(MIX[t] for t in TEXT_LAYOUTS) for k in TEXT_LAYOUTS}
    want = {k: int(n * share[k]) for k in TEXT_LAYOUTS}
    want[TEXT_LAYOUTS[0]] += n - sum(want.values())
    by_layout: dict[str, list[dict]] = {k: [] for k in TEXT_LAYOUTS}
    for r in iter_records(2 * n, seed=seed):
        if r["layout"] in by_layout and len(by_layout[r["layout"]]) < want[r["layout"]]:
            by_layout[r["layout"]].append(r)
    return _interleave(by_layout)


def _interleave(by_layout: dict[str, list[dict]]) -> list[dict]:
    lists = [list(v) for v in by_layout.values()]
    out = []
    while any(lists):
        for lst in lists:
            if lst:
                out.append(lst.pop(0))
    return out


def write(fmt: str, recs: list[dict], folder: Path) -> float:
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for i, r in enumerate(recs):
        stem = f"r{i:05d}"
        path = folder / f"{stem}.{fmt}"
        if fmt == "txt":
            path.write_text(r["text"], encoding="utf-8")
            continue
        seed = parse_seed_text(stem, r["text"])
        if fmt == "html":
            path.write_text(to_html(seed, ("dl", "table", "lines")[i % 3]), encoding="utf-8")
        elif fmt == "pdf":
            path.write_bytes(to_pdf(seed, columns=bool(i % 2)))
        elif fmt == "docx":
            path.write_bytes(to_docx(seed, ("table", "paragraphs")[i % 2]))
        elif fmt == "odt":
            path.write_bytes(to_odt(seed))
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--formats", default="txt,html,pdf,docx")
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--reuse", action="store_true", help="keep the documents already written in --work")
    args = ap.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="esfsearch-formats-"))
    recs = records(args.n)
    results: dict[str, dict] = {}
    reference: dict[str, dict] = {}
    # Warm-up: imports, the analyzer's lexicons and the first index build are one-off costs that
    # would otherwise land on whichever format is measured first.
    warm = work / "warm-up"
    shutil.rmtree(warm, ignore_errors=True)
    write("txt", recs[:5], warm / "txt")
    write("html", recs[:1], warm / "html")
    build_index([warm], work / "index-warm-up", rebuild=True)
    for fmt in args.formats.split(","):
        folder = work / fmt
        if args.reuse and folder.is_dir() and len(list(folder.iterdir())) == len(recs):
            written = 0.0
        else:
            shutil.rmtree(folder, ignore_errors=True)
            written = write(fmt, recs, folder)
        size = sum(p.stat().st_size for p in folder.iterdir())
        t0, c0 = time.perf_counter(), time.process_time()
        report = ingest([folder])
        parse_s, parse_cpu = time.perf_counter() - t0, time.process_time() - c0
        index_dir = work / f"index-{fmt}"
        shutil.rmtree(index_dir, ignore_errors=True)
        t0, c0 = time.perf_counter(), time.process_time()
        summary = build_index([folder], index_dir, rebuild=True)
        index_s, index_cpu = time.perf_counter() - t0, time.process_time() - c0
        got = {Path(f.path).stem: f.records[0] for f in report.files if f.records}
        if fmt == "txt":
            reference = {k: {f: getattr(v, f) for f in FIELDS} for k, v in got.items()}
        differ = sum(
            1
            for k, v in got.items()
            if reference and any(getattr(v, f) != reference.get(k, {}).get(f) for f in FIELDS)
        )
        results[fmt] = {
            "files": len(recs),
            "records": len(report.records),
            "problems": len(report.problems),
            "differ_from_text": differ if reference else None,
            "write_s": round(written, 2),
            "mb": round(size / 1e6, 2),
            "parse_s": round(parse_s, 2),
            "parse_records_per_s": round(len(report.records) / parse_s, 1),
            "index_s": round(index_s, 2),
            "index_records_per_s": round(summary.added / index_s, 1),
            "parse_cpu_s": round(parse_cpu, 2),
            "parse_records_per_cpu_s": round(len(report.records) / parse_cpu, 1),
            "index_cpu_s": round(index_cpu, 2),
            "index_records_per_cpu_s": round(summary.added / index_cpu, 1),
        }
        r = results[fmt]
        print(
            f"{fmt:5} {r['records']:4} records ({r['problems']} problems, {r['differ_from_text']} differ) "
            f"{r['mb']:6.2f} MB  write {r['write_s']:6.2f} s | parse {r['parse_s']:6.2f} s wall, "
            f"{r['parse_records_per_cpu_s']:7.1f} rec/CPU-s | index {r['index_s']:6.2f} s wall, "
            f"{r['index_records_per_cpu_s']:6.1f} rec/CPU-s",
            flush=True,
        )
    out = {
        "n": args.n,
        "python": platform.python_version(),
        "nproc": os.cpu_count(),
        "loadavg": os.getloadavg(),
        "results": results,
    }
    if args.out:
        args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
