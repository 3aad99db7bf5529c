"""The two query execution paths side by side on one index, in one run (ratios are what count).

    python bench/exec_paths.py --index IX --corpus DIR [--queries 200] [--cold 5] [--out FILE]

Warm: bench/run.py's 200-query mix in this process, once per path (`exec_mode` "whoosh", then
"fast"), p50/p95 without and with snippets, the faceted queries and `innova*` on their own. Cold:
`esfsearch query` as a new process per run with ESFSEARCH_EXEC=whoosh / fast / auto (median),
next to the import floors `import whoosh.index, whoosh.qparser` and `import numpy`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.run import esfsearch_cmd, pct, query_mix  # noqa: E402


def _warm(engine, queries: list[dict], snippets: bool) -> dict:
    times, faceted = [], []
    for q in queries:
        t0 = time.perf_counter()
        engine.search(q["text"], limit=10, facets=q["facets"], snippets=snippets)
        dt = (time.perf_counter() - t0) * 1000
        times.append(dt)
        if q["facets"]:
            faceted.append(dt)
    plain = [t for t, q in zip(times, queries, strict=False) if not q["facets"]]
    return {
        "p50_ms": pct(times, 0.5),
        "p95_ms": pct(times, 0.95),
        "plain_p95_ms": pct(plain, 0.95),
        "faceted_p95_ms": pct(faceted, 0.95) if faceted else None,
    }


def _cold(cmd: list[str], runs: int, env: dict) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--cold", type=int, default=5)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)

    from esfsearch.ingest import ingest
    from esfsearch.search import SearchEngine

    queries = query_mix(ingest([args.corpus]).records, args.queries, seed=1)
    out: dict = {"index": str(args.index), "loadavg_at_start": os.getloadavg()}
    for mode in ("whoosh", "fast"):
        engine = SearchEngine(args.index, exec_mode=mode)
        for q in queries:  # warm-up: caches, mapped files
            engine.search(q["text"], limit=10, facets=q["facets"], snippets=True)
        res = {"nosnip": _warm(engine, queries, False), "snip": _warm(engine, queries, True)}
        t0 = time.perf_counter()
        for _ in range(5):
            engine.search("innova*", limit=10, snippets=False)
        res["innova_ms"] = (time.perf_counter() - t0) * 200
        res["fast_unavailable"] = engine.fast_unavailable
        engine.close()
        out[mode] = res
        print(mode, json.dumps(res), flush=True)
    env = dict(os.environ)
    word = next(q["text"] for q in queries if q["kind"] == "single")
    cmd = esfsearch_cmd() + ["query", word, "--index", str(args.index), "-n", "10"]
    for mode in ("whoosh", "fast", "auto"):
        out[f"cold_{mode}_ms"] = _cold(cmd, args.cold, {**env, "ESFSEARCH_EXEC": mode})
    out["floor_whoosh_ms"] = _cold(
        [sys.executable, "-c", "import whoosh.index, whoosh.qparser"], args.cold, env
    )
    out["floor_numpy_ms"] = _cold([sys.executable, "-c", "import numpy"], args.cold, env)
    out["floor_python_ms"] = _cold([sys.executable, "-c", "pass"], args.cold, env)
    print(json.dumps({k: v for k, v in out.items() if k.startswith(("cold", "floor"))}), flush=True)
    if args.out:
        args.out.write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
