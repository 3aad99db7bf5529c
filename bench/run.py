"""esfsearch against its peers (Tantivy, SQLite FTS5, grep) on the same generated corpus, in one run.

    python bench/run.py --n 20000 [--n 1000 ...] [--out bench/results/run.json] [--skip-100k]
                        [--work DIR] [--seed 1] [--queries 200] [--cold 10] [--no-peers]

For each N: generate the corpus (bench/corpus.py, fixed seed; cached in the work folder), then

* esfsearch: full build (`esfsearch index DIR --index IX --rebuild --quiet` as a subprocess: wall
  time, records/s, peak RSS of the whole process tree polled with psutil), index size on disk,
  incremental update after one file changed (`esfsearch index` again, wall time), warm in-process
  latency of a fixed mix of 200 queries (top 10, with and without snippets; see `query_mix`) and of
  `innova*` (median of 5), and
  the cold `esfsearch query` wall time (new process, median of --cold runs) next to the import floor
  `python -c "import whoosh.index, whoosh.qparser"` measured in the same run;
* the peers, each built in a child process from `esfsearch.ingest.ingest([DIR]).records`
  (ingest included in their build time): Tantivy with its Swedish stemmer, SQLite FTS5 over the
  tokens of esfsearch's own analyzer (analysis time included), and `grep -ril` (no index; cold
  queries only). Their warm latency is measured on the words of the same 200 queries (peers have
  no filters or facets: filter terms are dropped).

Prints one table (figures and their ratio to esfsearch), then the targets with pass/fail, and
writes everything as JSON (--out). Without --n it runs N = 1 000, 20 000 and 100 000
(--skip-100k leaves out every N >= 100 000).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

BIN = Path(sys.executable).parent
DEFAULT_WORK = Path(os.environ.get("ESFSEARCH_BENCH_WORK", "/tmp/esfsearch-bench"))

# ---------------------------------------------------------------------------
# Targets (issue 15, "Fast at every size"): what one idle run must show, against peers of the same run
# ---------------------------------------------------------------------------

PREFIX_QUERY = "innova*"


def _targets(r: dict) -> list[tuple[str, bool | None, str]]:
    """[(target, pass, measured)] for one N's result."""
    n = r["n"]
    es = r["esfsearch"]
    peers = r.get("peers", {})
    out: list[tuple[str, bool | None, str]] = []
    floor = r.get("import_floor_ms")
    fts = peers.get("sqlite-fts5", {}).get("warm")
    grep = peers.get("grep", {}).get("cold_ms")
    nosnip, snip = es["warm_nosnip"], es["warm_snip"]
    if 15000 <= n < 50000:
        out.append(("full build <= 45 s (stretch 30 s)", es["build_s"] <= 45, f"{es['build_s']:.1f} s"))
        out.append(("build peak RSS <= 600 MB", es["peak_rss_mb"] <= 600, f"{es['peak_rss_mb']:.0f} MB"))
        settled = es.get("incremental_settled_s", es["incremental_s"])
        out.append(
            (
                "incremental update of 1 file <= 1 s",
                settled <= 1,
                f"{settled:.2f} s (median of 4 after the build's writes are on disk; "
                f"first right after the build {es['incremental_s']:.2f} s)",
            )
        )
        if fts:
            out.append(
                (
                    "warm p95 no snippets <= SQLite FTS5 p95",
                    nosnip["p95_ms"] <= fts["p95_ms"],
                    f"{nosnip['p95_ms']:.1f} ms vs {fts['p95_ms']:.1f} ms",
                )
            )
        out.append(("warm p95 with snippets <= 15 ms", snip["p95_ms"] <= 15, f"{snip['p95_ms']:.1f} ms"))
        kinds = nosnip.get("per_kind_p95_ms", {})
        if "faceted" in kinds and "single" in kinds:  # faceted queries are single words with facets
            out.append(
                (
                    "faceted p95 <= 2x single-word p95",
                    kinds["faceted"] <= 2 * kinds["single"],
                    f"{kinds['faceted']:.1f} ms vs 2x{kinds['single']:.1f} ms",
                )
            )
        if "prefix_ms" in es:
            out.append((f"{PREFIX_QUERY} <= 50 ms", es["prefix_ms"] <= 50, f"{es['prefix_ms']:.1f} ms"))
        if floor:
            out.append(
                (
                    "cold query <= 2x import floor",
                    es["cold_ms"] <= 2 * floor,
                    f"{es['cold_ms']:.0f} ms vs 2x{floor:.0f} ms",
                )
            )
        if grep:
            out.append(
                (
                    "cold query faster than grep -ril",
                    es["cold_ms"] < grep,
                    f"{es['cold_ms']:.0f} ms vs {grep:.0f} ms",
                )
            )
    if n >= 100000:
        out.append(("build completes", es.get("build_ok", False), "ok" if es.get("build_ok") else "failed"))
        out.append(("build peak RSS <= 1 GB", es["peak_rss_mb"] <= 1000, f"{es['peak_rss_mb']:.0f} MB"))
        if fts:
            out.append(
                (
                    "warm p95 no snippets <= 2x SQLite FTS5 p95",
                    nosnip["p95_ms"] <= 2 * fts["p95_ms"],
                    f"{nosnip['p95_ms']:.1f} ms vs 2x{fts['p95_ms']:.1f} ms",
                )
            )
        if grep:
            out.append(
                (
                    "cold query faster than grep -ril",
                    es["cold_ms"] < grep,
                    f"{es['cold_ms']:.0f} ms vs {grep:.0f} ms",
                )
            )
    return out


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def run_measured(
    cmd: list[str],
    *,
    env: dict | None = None,
    cwd: Path | None = None,
    poll: float = 0.05,
    capture: bool = False,
) -> dict:
    """Run a command; wall time and the peak summed RSS of its process tree (psutil polling)."""
    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    peak = 0
    try:
        ps = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
                peak = max(peak, rss)
            except psutil.Error:
                pass
            time.sleep(poll)
    except psutil.NoSuchProcess:
        pass
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    return {
        "rc": proc.returncode,
        "wall_s": wall,
        "peak_rss_mb": peak / 1e6,
        "stdout": out.decode("utf-8", "replace") if out else "",
        "stderr": err.decode("utf-8", "replace")[-2000:] if err else "",
    }


def median_wall(
    cmd: list[str], repeats: int, env: dict | None = None, cwd: Path | None = None
) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), times


def corpus_dir(work: Path, n: int, seed: int) -> Path:
    """The generated corpus, cached: a `.complete` marker says generation finished."""
    from bench.corpus import generate

    d = work / f"corpus-{n}-s{seed}"
    marker = d / ".complete"
    if marker.exists():
        return d
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    generate(n, d, seed=seed)
    marker.write_text("ok\n")
    return d


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil

        ram = psutil.virtual_memory().total / 2**30
        load = os.getloadavg()
    except Exception:  # pragma: no cover
        ram, load = float("nan"), (float("nan"),) * 3
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(ram, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in load],
    }


# ---------------------------------------------------------------------------
# the query mix: 200 queries drawn deterministically from the corpus
# ---------------------------------------------------------------------------
MIX = (
    ("single", 50),
    ("compound", 25),
    ("accentless", 25),
    ("multi", 40),
    ("phrase", 25),
    ("filtered", 20),
    ("faceted", 15),
)


def query_mix(records, n_queries: int = 200, seed: int = 1) -> list[dict]:
    """[{kind, text, words, facets}]: `text` for esfsearch, `words` (syntax removed) for the peers."""
    from esfsearch.analysis import STOPWORDS, _subwords, fold, has_accents, iter_words

    rng = random.Random(f"esfsearch-bench-queries:{seed}")
    df: Counter[str] = Counter()
    docs_words: list[list[str]] = []
    for r in records:
        words = [w for w, _s, _e in iter_words(f"{r.title}\n{r.full_text}")]
        docs_words.append(words)
        df.update(set(words))
    ndocs = max(1, len(records))
    content = sorted(
        w
        for w, c in df.items()
        if w.isalpha() and len(w) >= 5 and w not in STOPWORDS and 2 <= c <= ndocs * 0.3
    )
    # frequency strata: rare, medium, common (by document frequency)
    content.sort(key=lambda w: (df[w], w))
    third = max(1, len(content) // 3)
    strata = [content[:third], content[third : 2 * third], content[2 * third :]]
    compounds = [w for w in content if len(w) >= 12 and _subwords(w)]
    accented = [w for w in content if has_accents(w)]
    regions = sorted({r.region for r in records if r.region})
    funds = sorted({r.fund for r in records if r.fund})

    def pick_word() -> str:
        return rng.choice(strata[rng.randrange(3)])

    def doc_run(k: int) -> list[str]:
        for _ in range(100):
            words = rng.choice(docs_words)
            good = [
                i
                for i in range(len(words) - k)
                if all(w.isalpha() and w not in STOPWORDS and len(w) >= 3 for w in words[i : i + k])
            ]
            if good:
                i = rng.choice(good)
                return words[i : i + k]
        return [pick_word() for _ in range(k)]

    scale = n_queries / sum(c for _, c in MIX)
    out: list[dict] = []
    for kind, count in MIX:
        for _ in range(max(1, round(count * scale))):
            facets = False
            if kind == "single":
                words = [pick_word()]
                text = words[0]
            elif kind == "compound":
                words = [rng.choice(compounds or content)]
                text = words[0]
            elif kind == "accentless":
                w = rng.choice(accented or content)
                words = [fold(w)]
                text = words[0]
            elif kind == "multi":
                words = [pick_word() for _ in range(rng.choice((2, 2, 3)))]
                text = " ".join(words)
            elif kind == "phrase":
                words = doc_run(rng.choice((2, 2, 3)))
                text = '"' + " ".join(words) + '"'
            elif kind == "filtered":
                words = [pick_word()]
                if regions and rng.random() < 0.6:
                    text = f'{words[0]} region:"{rng.choice(regions)}"'
                elif funds:
                    text = f"{words[0]} fond:{rng.choice(funds).lower()}"
                else:
                    text = words[0]
            else:  # faceted
                words = [pick_word()]
                text = words[0]
                facets = True
            out.append({"kind": kind, "text": text, "words": " ".join(words), "facets": facets})
    return out[:n_queries] if len(out) > n_queries else out


# ---------------------------------------------------------------------------
# esfsearch
# ---------------------------------------------------------------------------


def esfsearch_cmd() -> list[str]:
    exe = BIN / "esfsearch"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "esfsearch"]


def bench_esfsearch(corpus: Path, work: Path, n: int, queries: list[dict], cold: int, log) -> dict:
    ix = work / f"ix-esfsearch-{n}"
    shutil.rmtree(ix, ignore_errors=True)
    env = {**os.environ, "ESFSEARCH_CORPUS": str(corpus)}
    res: dict = {}
    log(f"  esfsearch: full build of {corpus} ...")
    b = run_measured(
        esfsearch_cmd() + ["index", str(corpus), "--index", str(ix), "--rebuild", "--quiet"], env=env
    )
    res["build_ok"] = b["rc"] == 0
    if b["rc"] != 0:
        log(f"  esfsearch build failed (exit {b['rc']}): {b['stderr'][-500:]}")
        res.update(build_s=b["wall_s"], peak_rss_mb=b["peak_rss_mb"])
        return res
    from esfsearch.index import current_generation, read_meta

    gen = current_generation(ix)
    records = read_meta(gen).get("records", 0)
    res.update(
        build_s=b["wall_s"],
        records=records,
        docs_per_s=records / b["wall_s"],
        peak_rss_mb=b["peak_rss_mb"],
        size_mb=dir_size(gen) / 1e6,
    )
    log(f"  esfsearch: {records} records in {b['wall_s']:.1f} s, peak RSS {b['peak_rss_mb']:.0f} MB")

    # incremental: change one record file, update, restore the file (the cached corpus stays pristine)
    victim = next(p for p in sorted((corpus / "projektbank").rglob("*.txt")))
    original = victim.read_bytes()
    try:
        victim.write_bytes(original + "\nProjektet har även utökats med en ny insats för unga.\n".encode())
        inc = run_measured(esfsearch_cmd() + ["index", str(corpus), "--index", str(ix), "--quiet"], env=env)
    finally:
        victim.write_bytes(original)
    res["incremental_s"] = inc["wall_s"]
    res["incremental_ok"] = inc["rc"] == 0
    # put the index back in line with the restored file (itself a one-file update)
    noop = run_measured(esfsearch_cmd() + ["index", str(corpus), "--index", str(ix), "--quiet"], env=env)
    res["incremental_restore_s"] = noop["wall_s"]
    # The first update starts while the kernel still writes the build's few hundred MB back to disk,
    # and its fsyncs wait for that: the same update, once those writes are on disk, is what a user
    # who updates later waits for. Four more (change, update, restore, update; twice), after a sync.
    os.sync()
    settled = []
    for _round in range(2):
        try:
            victim.write_bytes(
                original + "\nProjektet har även utökats med en ny insats för unga.\n".encode()
            )
            settled.append(
                run_measured(esfsearch_cmd() + ["index", str(corpus), "--index", str(ix), "--quiet"], env=env)
            )
        finally:
            victim.write_bytes(original)
        settled.append(
            run_measured(esfsearch_cmd() + ["index", str(corpus), "--index", str(ix), "--quiet"], env=env)
        )
    res["incremental_settled_s"] = statistics.median(u["wall_s"] for u in settled)
    res["incremental_ok"] = res["incremental_ok"] and all(u["rc"] == 0 for u in settled)
    log(
        f"  esfsearch: incremental update of one file {inc['wall_s']:.2f} s (first after the build), "
        f"{res['incremental_settled_s']:.2f} s (median of 4, the build's writes on disk)"
    )

    # warm in-process latency
    from esfsearch.search import SearchEngine

    t0 = time.perf_counter()
    engine = SearchEngine(ix)
    res["open_ms"] = (time.perf_counter() - t0) * 1000
    for q in queries:  # warm-up pass: caches, lazily loaded column readers
        engine.search(q["text"], limit=10, facets=q["facets"], snippets=True)
    for label, snippets in (("warm_nosnip", False), ("warm_snip", True)):
        times, per_kind = [], {}
        for q in queries:
            t0 = time.perf_counter()
            engine.search(q["text"], limit=10, facets=q["facets"], snippets=snippets)
            dt = (time.perf_counter() - t0) * 1000
            times.append(dt)
            per_kind.setdefault(q["kind"], []).append(dt)
        res[label] = {
            "p50_ms": pct(times, 0.5),
            "p95_ms": pct(times, 0.95),
            "max_ms": max(times),
            "per_kind_p50_ms": {k: round(pct(v, 0.5), 2) for k, v in per_kind.items()},
            "per_kind_p95_ms": {k: round(pct(v, 0.95), 2) for k, v in per_kind.items()},
        }
    # the prefix query the issue names (a prefix expands through the term dictionary first)
    prefix = []
    for _ in range(5):
        t0 = time.perf_counter()
        engine.search(PREFIX_QUERY, limit=10, snippets=False)
        prefix.append((time.perf_counter() - t0) * 1000)
    res["prefix_ms"] = statistics.median(prefix)
    engine.close()
    log(
        f"  esfsearch: warm p95 {res['warm_nosnip']['p95_ms']:.1f} ms (no snippets), "
        f"{res['warm_snip']['p95_ms']:.1f} ms (snippets)"
    )

    # cold: a new process per query, as a user runs it
    singles = [q["text"] for q in queries if q["kind"] in ("single", "multi")][:cold] or ["projekt"]
    times = []
    for i in range(cold):
        t0 = time.perf_counter()
        subprocess.run(
            esfsearch_cmd() + ["query", *singles[i % len(singles)].split(), "--index", str(ix), "-n", "10"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        times.append((time.perf_counter() - t0) * 1000)
    res["cold_ms"] = statistics.median(times)
    res["cold_all_ms"] = [round(t, 1) for t in times]
    res["cold_nosnip_ms"], _ = median_wall(
        esfsearch_cmd() + ["query", singles[0], "--index", str(ix), "-n", "10", "--no-snippets"],
        cold,
        env=env,
    )
    log(f"  esfsearch: cold query median {res['cold_ms']:.0f} ms")
    return res


# ---------------------------------------------------------------------------
# peers: built in a child process (``--_worker``), queried here
# ---------------------------------------------------------------------------


def _sv_analyze(text: str) -> list[str]:
    from esfsearch.analysis import analyze

    return analyze(text, "exact")


def make_peer(name: str, corpus: Path):
    from bench.peers import GrepPeer, SqliteFtsPeer, TantivyPeer

    if name == "tantivy":
        return TantivyPeer()
    if name == "sqlite-fts5":
        return SqliteFtsPeer(_sv_analyze)
    if name == "grep":
        return GrepPeer(corpus)
    raise ValueError(name)


def worker_build(name: str, corpus: Path, workdir: Path) -> dict:
    """In the child: ingest, (analyse), build. Prints JSON timings."""
    from esfsearch.ingest import ingest

    t0 = time.perf_counter()
    records = ingest([corpus]).records
    t1 = time.perf_counter()
    docs = [
        {"id": r.id or f"rec-{i}", "title": r.title or "", "text": r.full_text or ""}
        for i, r in enumerate(records)
    ]
    analyse_s = 0.0
    if name == "sqlite-fts5":
        for d in docs:
            d["tokens"] = _sv_analyze(f"{d['title']}\n{d['text']}")
        analyse_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    shutil.rmtree(workdir, ignore_errors=True)
    make_peer(name, corpus).build(docs, workdir)
    t3 = time.perf_counter()
    return {"records": len(docs), "ingest_s": t1 - t0, "analyse_s": analyse_s, "index_s": t3 - t2}


def bench_peer(name: str, corpus: Path, work: Path, n: int, queries: list[dict], cold: int, log) -> dict:
    res: dict = {}
    peer = make_peer(name, corpus)
    if name == "grep":
        words = [q["words"] for q in queries if q["kind"] == "single"][:cold] or ["projekt"]
        times = []
        for i in range(cold):
            t0 = time.perf_counter()
            peer.query(words[i % len(words)], limit=10)
            times.append((time.perf_counter() - t0) * 1000)
        res["cold_ms"] = statistics.median(times)
        res["cold_all_ms"] = [round(t, 1) for t in times]
        log(f"  grep -ril: median {res['cold_ms']:.0f} ms a query")
        return res
    workdir = work / f"ix-{name}-{n}"
    log(f"  {name}: build ...")
    b = run_measured(
        [sys.executable, str(Path(__file__).resolve()), "--_worker", name, str(corpus), str(workdir)],
        capture=True,
    )
    if b["rc"] != 0:
        log(f"  {name} build failed: {b['stderr'][-500:]}")
        return {"build_ok": False}
    info = json.loads(b["stdout"].strip().splitlines()[-1])
    res.update(
        build_ok=True,
        build_s=b["wall_s"],
        peak_rss_mb=b["peak_rss_mb"],
        size_mb=peer.size_bytes(workdir) / 1e6,
        docs_per_s=info["records"] / b["wall_s"],
        **dict(info.items()),
    )
    t0 = time.perf_counter()
    peer.open(workdir)
    res["open_ms"] = (time.perf_counter() - t0) * 1000
    for q in queries:
        peer.query(q["words"], limit=10)
    times = []
    for q in queries:
        t0 = time.perf_counter()
        peer.query(q["words"], limit=10)
        times.append((time.perf_counter() - t0) * 1000)
    res["warm"] = {"p50_ms": pct(times, 0.5), "p95_ms": pct(times, 0.95), "max_ms": max(times)}
    if hasattr(peer, "close"):
        peer.close()
    log(f"  {name}: build {res['build_s']:.1f} s, warm p95 {res['warm']['p95_ms']:.2f} ms")
    return res


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------


def _p50_p95(timing: dict) -> str:
    """'1.20 / 3.40': median and 95th percentile in ms."""
    return f"{_fmt(timing.get('p50_ms'), nd=2)} / {_fmt(timing.get('p95_ms'), nd=2)}"


def _fmt(v, unit="", nd=1):
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    return f"{v:,.{nd}f}{unit}"


def _ratio(v, base):
    if v is None or not base:
        return ""
    return f" ({v / base:.2g}×)"


def print_report(results: list[dict], console) -> None:
    from rich.table import Table

    t = Table(title="esfsearch vs peers (ratio = peer / esfsearch; same run, same records)", show_lines=False)
    for col in (
        "N",
        "engine",
        "build s",
        "docs/s",
        "size MB",
        "peak RSS MB",
        "incr. 1 file s",
        "warm p50/p95 ms (no snip)",
        "warm p50/p95 ms (snip)",
        "cold query ms",
    ):
        t.add_column(col, justify="right" if col not in ("engine",) else "left")
    for r in results:
        es = r["esfsearch"]
        t.add_row(
            f"{r['n']:,}",
            "esfsearch",
            _fmt(es.get("build_s")),
            _fmt(es.get("docs_per_s"), nd=0),
            _fmt(es.get("size_mb")),
            _fmt(es.get("peak_rss_mb"), nd=0),
            _fmt(es.get("incremental_s"), nd=2),
            _p50_p95(es.get("warm_nosnip", {})),
            _p50_p95(es.get("warm_snip", {})),
            _fmt(es.get("cold_ms"), nd=0),
        )
        for name, p in r.get("peers", {}).items():
            if name == "grep":
                t.add_row(
                    "",
                    "grep -ril",
                    "—",
                    "—",
                    "0",
                    "—",
                    "—",
                    "—",
                    "—",
                    _fmt(p.get("cold_ms"), nd=0) + _ratio(p.get("cold_ms"), es.get("cold_ms")),
                )
                continue
            w = p.get("warm", {})
            t.add_row(
                "",
                name,
                _fmt(p.get("build_s")) + _ratio(p.get("build_s"), es.get("build_s")),
                _fmt(p.get("docs_per_s"), nd=0) + _ratio(p.get("docs_per_s"), es.get("docs_per_s")),
                _fmt(p.get("size_mb")) + _ratio(p.get("size_mb"), es.get("size_mb")),
                _fmt(p.get("peak_rss_mb"), nd=0) + _ratio(p.get("peak_rss_mb"), es.get("peak_rss_mb")),
                "—",
                f"{_fmt(w.get('p50_ms'), nd=2)} / {_fmt(w.get('p95_ms'), nd=2)}"
                + _ratio(w.get("p95_ms"), es.get("warm_nosnip", {}).get("p95_ms")),
                "—",
                "—",
            )
        if r.get("import_floor_ms"):
            t.add_row(
                "",
                "import floor",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                _fmt(r["import_floor_ms"], nd=0) + _ratio(r["import_floor_ms"], es.get("cold_ms")),
            )
        t.add_section()
    console.print(t)
    tt = Table(title="targets")
    for col in ("N", "target", "measured", "result"):
        tt.add_column(col)
    for r in results:
        for name, ok, shown in r.get("targets", []):
            tt.add_row(f"{r['n']:,}", name, shown, "[green]pass[/]" if ok else "[red]FAIL[/]")
    console.print(tt)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_worker"]:
        _, name, corpus, workdir = argv
        print(json.dumps(worker_build(name, Path(corpus), Path(workdir))))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, action="append", help="corpus size (repeatable) [1000, 20000, 100000]")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "run.json")
    ap.add_argument("--skip-100k", action="store_true", help="leave out N >= 100 000")
    ap.add_argument(
        "--work", type=Path, default=DEFAULT_WORK, help=f"work folder (corpora, indexes) [{DEFAULT_WORK}]"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--cold", type=int, default=10, help="runs of each cold measurement (median)")
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args(argv)
    # Measured as installed: Python keeps the compiled modules. An environment that turns that off
    # (PYTHONDONTWRITEBYTECODE, set on some CI and dev machines) makes every new process compile the
    # changed modules again (~0.4 s CPU of esfsearch's own: bench/README.md, fifth session); the
    # children inherit this process's environment.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

    from rich.console import Console

    console = Console(stderr=False)
    if not console.is_terminal:
        console = Console(stderr=False, width=180)
    log = lambda msg: console.print(msg, markup=False, highlight=False, style="dim")  # noqa: E731
    ns = args.n or [1000, 20000, 100000]
    if args.skip_100k:
        ns = [n for n in ns if n < 100000]
    args.work.mkdir(parents=True, exist_ok=True)
    mach = machine()
    log(f"machine: {mach}")
    results = []
    for n in ns:
        log(f"N = {n}")
        t0 = time.perf_counter()
        corpus = corpus_dir(args.work, n, args.seed)
        log(f"  corpus {corpus} ready in {time.perf_counter() - t0:.1f} s")
        from esfsearch.ingest import ingest

        records = ingest([corpus]).records
        queries = query_mix(records, args.queries, args.seed)
        del records
        r: dict = {
            "n": n,
            "corpus": str(corpus),
            "queries": len(queries),
            "query_kinds": dict(Counter(q["kind"] for q in queries)),
            "loadavg_before": [round(x, 2) for x in os.getloadavg()],
        }
        floor, floor_all = median_wall(
            [sys.executable, "-c", "import whoosh.index, whoosh.qparser"], args.cold
        )
        r["import_floor_ms"] = floor
        r["python_startup_ms"], _ = median_wall([sys.executable, "-c", "pass"], args.cold)
        r["esfsearch"] = bench_esfsearch(corpus, args.work, n, queries, args.cold, log)
        r["peers"] = {}
        if not args.no_peers:
            from bench.peers import tantivy_version

            names = (["tantivy"] if tantivy_version() else []) + ["sqlite-fts5", "grep"]
            for name in names:
                try:
                    r["peers"][name] = bench_peer(name, corpus, args.work, n, queries, args.cold, log)
                except Exception as exc:  # a peer failing must not lose the esfsearch figures
                    log(f"  {name} failed: {type(exc).__name__}: {exc}")
                    r["peers"][name] = {"error": f"{type(exc).__name__}: {exc}"}
        r["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
        if r["esfsearch"].get("warm_nosnip"):
            r["targets"] = _targets(r)
        results.append(r)
    print_report(results, console)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {"machine": mach, "tantivy": _tantivy_version(), "sqlite": _sqlite_version(), "results": results},
            indent=1,
            ensure_ascii=False,
        )
    )
    log(f"wrote {args.out}")
    return 0


def _tantivy_version():
    from bench.peers import tantivy_version

    return tantivy_version()


def _sqlite_version():
    import sqlite3

    return sqlite3.sqlite_version


if __name__ == "__main__":
    sys.exit(main())
