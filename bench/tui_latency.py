"""Keystroke-to-results latency of the TUI (esfsearch.tui), measured with Textual's pilot.

    python bench/tui_latency.py --index DIR [--corpus DIR] [--repeat 3] [--queries FILE] [--size 100x30]

For every query the search box is cleared and the query typed key by key, then two times are taken:

* enter → results: the query is put in the box and Enter pressed at once (Enter skips the
  debounce); time from the key press until the result list, status and facet panel show the new
  result (`app.shown_at`).
* pause → results: the query typed again and left to the debounce (DEBOUNCE = 150 ms); time
  from the last keystroke until the results show. This is what a user who stops typing sees.
* painted: from the key press until the first screen update Textual draws after that (the
  result on screen, headless: drawn to nowhere).
* cpu: CPU time of the whole process (every thread) from that key press until the bench saw the
  paint (it looks every 10 ms); less sensitive to other work on the machine than the wall times.
* engine: SearchResult.seconds of that search (the part spent in SearchEngine.search).
* timeline: from the key press until the projects-per-start-year row is up to date (it comes
  with the result, the year facet of the same search; before 2026-11-27 a second search in a
  background worker drew it later).

The app runs headless, in this process, at the given terminal size; the figures include Textual's
message handling and the engine's work (search, facets, snippets), not terminal output.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from esfsearch.tui import DEBOUNCE, EsfSearchApp  # noqa: E402

QUERIES = [
    "kompetensförsörjning",
    "kompetensforsorjning",
    "unga arbetslösa",
    "digitalisering",
    "psykisk ohälsa",
    "integration nyanlända",
    '"hållbar utveckling"',
    "samverkan AND kommun",
    "energieffektivisering",
    "innova*",
    "region:Sydsverige",
    "fond:ESF år:2016..2018",
    "utbildning stöd:>5m",
    "jämställdhet NOT skola",
    "kompetensförsörjnig",
    "",
]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def plain_status(app) -> str:
    content = app.query_one("#setup-msg").content
    return getattr(content, "plain", str(content)).replace("\n", " ")


async def idle(app) -> None:
    """Wait for the app's workers; a cancelled (superseded) worker is not an error here."""
    from textual.worker import WorkerCancelled

    for _ in range(10):
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            await asyncio.sleep(0.01)


async def wait_for(cond, timeout: float = 60.0, what: str = "") -> None:
    """Look every 10 ms: the times come from the app's own clock readings (`shown_at`), so looking
    more often only takes the interpreter lock from the search worker."""
    end = time.perf_counter() + timeout
    while not cond():
        if time.perf_counter() > end:
            raise TimeoutError(f"the UI did not update in time ({what})")
        await asyncio.sleep(0.01)


async def measure(
    index: Path, corpus: Path, queries: list[str], repeat: int, size: tuple[int, int]
) -> list[dict]:
    app = EsfSearchApp(index, corpus, "", show_timing=True)
    painted: list[float] = []
    display = app._display

    def displayed(screen, renderable) -> None:
        display(screen, renderable)
        painted.append(time.perf_counter())

    app._display = displayed  # each screen update Textual draws (headless: to nowhere)
    rows: list[dict] = []
    async with app.run_test(size=size) as pilot:
        await wait_for(lambda: app.result is not None or app.index_state != "ok", what="the first result")
        if app.index_state != "ok":
            raise SystemExit(f"tui_latency: {plain_status(app)}")
        await idle(app)
        box = app.query_one("#search")
        for query in queries:
            row = {
                "query": query or "(empty)",
                "enter": [],
                "pause": [],
                "timeline": [],
                "painted": [],
                "cpu": [],
                "engine": [],
                "hits": 0,
            }
            for _ in range(repeat):
                # 1. typed (pasted into the box), then Enter before the debounce runs
                box.focus()
                box.value = "§"  # a different query, so Enter has work to do
                await pilot.pause(DEBOUNCE * 2)
                await idle(app)
                box.value = query
                seq_before = app.search_seq
                c0, t0 = time.process_time(), time.perf_counter()
                await pilot.press("enter")
                await wait_for(
                    lambda before=seq_before: app.search_seq > before and app.shown_seq == app.search_seq
                )
                row["enter"].append((app.shown_at - t0) * 1000)
                await wait_for(lambda: bool(painted) and painted[-1] > app.shown_at, what="the paint")
                row["cpu"].append((time.process_time() - c0) * 1000)
                row["painted"].append((min(p for p in painted if p > app.shown_at) - t0) * 1000)
                row["engine"].append(app.result.seconds * 1000 if app.result else 0.0)
                await wait_for(
                    lambda: app.timeline_at >= app.shown_at or app.error is not None,
                    what=f"timeline for {query!r}",
                )
                row["timeline"].append((max(app.timeline_at, app.shown_at) - t0) * 1000)
                row["hits"] = app.result.total if app.result else 0
                # 2. typed, then a pause (debounced)
                box.focus()
                box.value = ""
                await pilot.pause(DEBOUNCE * 2)
                await idle(app)
                text = query or " "
                if len(text) > 1:
                    await pilot.press(*text[:-1])
                seq_before = app.search_seq
                t0 = time.perf_counter()
                await pilot.press(text[-1])
                await wait_for(
                    lambda before=seq_before: app.search_seq > before and app.shown_seq == app.search_seq
                )
                row["pause"].append((app.shown_at - t0) * 1000)
                await idle(app)
            rows.append(row)
            # make sure the next query starts from an idle app
            await pilot.pause()
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, default=Path("corpus"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--queries", type=Path, help="file with one query a line [default: a built-in set]")
    ap.add_argument("--size", default="100x30", help="terminal size WxH")
    ap.add_argument("--json", type=Path, help="also write every measurement to this file")
    args = ap.parse_args(argv)
    queries = args.queries.read_text(encoding="utf-8").splitlines() if args.queries else QUERIES
    w, h = (int(x) for x in args.size.lower().split("x"))
    started = time.perf_counter()
    rows = asyncio.run(measure(args.index, args.corpus, queries, args.repeat, (w, h)))
    print(
        f"index {args.index}, {len(queries)} queries × {args.repeat}, terminal {w}x{h}, "
        f"debounce {DEBOUNCE * 1000:.0f} ms; times in ms (median per query)\n"
    )
    print(
        f"{'query':<28} {'hits':>6} {'engine':>7} {'enter→results':>14} {'painted':>8} {'cpu':>6} "
        f"{'pause→results':>14} {'timeline':>9}"
    )
    for r in rows:
        print(
            f"{r['query'][:28]:<28} {r['hits']:>6} {statistics.median(r['engine']):>7.1f} "
            f"{statistics.median(r['enter']):>14.1f} {statistics.median(r['painted']):>8.1f} "
            f"{statistics.median(r['cpu']):>6.1f} "
            f"{statistics.median(r['pause']):>14.1f} {statistics.median(r['timeline']):>9.1f}"
        )
    allv = {
        k: [v for r in rows for v in r[k]] for k in ("engine", "enter", "painted", "cpu", "pause", "timeline")
    }
    print()
    for k, label in (
        ("engine", "engine.search (SearchResult.seconds)"),
        ("enter", "enter → results"),
        ("painted", "enter → results drawn"),
        ("cpu", "enter → drawn, CPU of the process"),
        ("pause", "last key → results (incl. debounce)"),
        ("timeline", "enter → start-year row"),
    ):
        print(
            f"{label:<38} median {statistics.median(allv[k]):7.1f}  p95 {pct(allv[k], 0.95):7.1f}  "
            f"max {max(allv[k]):7.1f}"
        )
    print(f"\n({time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
