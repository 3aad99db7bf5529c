"""CPU time of one-shot `esfsearch` commands, variants alternated in one run (fifth session).

  python bench/ab_cli.py update CORPUS ROUNDS NAME=[PYTHONPATH]:INDEX ...
      each round appends a line to one project-bank file of CORPUS, then runs
      `esfsearch index CORPUS --index INDEX --json` for every variant (order alternating)
  python bench/ab_cli.py query CORPUS ROUNDS WORD NAME=[PYTHONPATH]:INDEX ...
      `esfsearch query WORD --index INDEX -n 10` per variant, beside `grep -ril WORD CORPUS`,
      `python -c pass`, `import esfsearch`, `import whoosh.index, whoosh.qparser` and `import numpy`
  python bench/ab_cli.py warm CORPUS ROUNDS PASSES NAME=[PYTHONPATH]:INDEX ...
      warm in-process `SearchEngine.search` latency over bench/run.py's 200-query mix of CORPUS: each
      round starts one process per variant (order alternating) that makes a warm-up pass and then
      PASSES timed passes without and with snippets; per-kind p50 / p95 of wall ms and the medians of
      each query's CPU ms (thread time) over all rounds

A variant's PYTHONPATH (e.g. a `git archive` of main) comes before the installed package. CPU is the
child's user + system time (resource.getrusage); medians are printed. PYTHONDONTWRITEBYTECODE is
removed from the children's environment: an installed package has its bytecode, and compiling
esfsearch's modules on every run would add ~0.4 s to every figure.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _run(cmd: list[str], pythonpath: str) -> tuple[float, float, subprocess.CompletedProcess]:
    env = dict(os.environ, LC_ALL="C.UTF-8")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd="/tmp")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, proc


def _report(results: dict[str, list[tuple[float, float]]]) -> None:
    for name, runs in results.items():
        cpu = statistics.median(c for c, _w in runs)
        wall = statistics.median(w for _c, w in runs)
        print(f"{name:18s} cpu {1000 * cpu:7.0f} ms  wall {1000 * wall:7.0f} ms  (n={len(runs)})")


def _warm_child(queries_file: str, index: str, passes: int) -> None:
    """One warm process: a warm-up pass, then `passes` timed passes; prints JSON of per-query times."""
    from esfsearch.search import SearchEngine

    queries = json.loads(Path(queries_file).read_text())
    engine = SearchEngine(index)
    for q in queries:
        engine.search(q["text"], limit=10, facets=q["facets"], snippets=True)
    out: dict[str, list[tuple[str, float, float]]] = {"nosnip": [], "snip": []}
    for _ in range(passes):
        for label, snippets in (("nosnip", False), ("snip", True)):
            for q in queries:
                c0, t0 = time.thread_time(), time.perf_counter()
                engine.search(q["text"], limit=10, facets=q["facets"], snippets=snippets)
                out[label].append(
                    (q["kind"], 1000 * (time.perf_counter() - t0), 1000 * (time.thread_time() - c0))
                )
    print(json.dumps(out))


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def warm(corpus: Path, rounds: int, passes: int, variants: list[list[str]]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import query_mix

    from esfsearch.ingest import ingest

    queries_file = Path("/tmp") / f"ab-warm-queries-{os.getpid()}.json"
    queries_file.write_text(json.dumps(query_mix(ingest([corpus]).records)))
    times: dict[str, dict[str, list[tuple[str, float, float]]]] = {}
    for r in range(rounds):
        for name, spec in variants if r % 2 == 0 else variants[::-1]:
            pythonpath, index = spec.split(":", 1)
            cmd = [sys.executable, __file__, "_warm", str(queries_file), index, str(passes)]
            cpu, wall, proc = _run(cmd, pythonpath)
            assert proc.returncode == 0, proc.stderr
            for label, rows in json.loads(proc.stdout).items():
                times.setdefault(name, {}).setdefault(label, []).extend(rows)
            print(f"round {r} {name}: cpu {cpu:.1f} s, wall {wall:.1f} s", file=sys.stderr, flush=True)
    for label in ("nosnip", "snip"):
        print(f"-- {label}: p50 / p95 wall ms (median CPU ms)")
        kinds = sorted({k for rows in times.values() for k, _w, _c in rows[label]}) + ["all"]
        print(f"{'kind':12s}" + "".join(f"{name:>28s}" for name in times))
        for kind in kinds:
            cells = []
            for rows in times.values():
                sel = [(w, c) for k, w, c in rows[label] if kind in ("all", k)]
                w = [x for x, _ in sel]
                c = [y for _, y in sel]
                cells.append(f"{_pct(w, 0.5):7.1f} / {_pct(w, 0.95):7.1f} ({statistics.median(c):6.1f})")
            print(f"{kind:12s}" + "".join(f"{cell:>28s}" for cell in cells))
    queries_file.unlink()


def main(argv: list[str]) -> None:
    if argv[0] == "_warm":
        return _warm_child(argv[1], argv[2], int(argv[3]))
    mode, corpus, rounds = argv[0], Path(argv[1]), int(argv[2])
    if mode == "warm":
        return warm(corpus, rounds, int(argv[3]), [v.split("=", 1) for v in argv[4:]])
    word = argv[3] if mode == "query" else ""
    variants = [v.split("=", 1) for v in argv[4 if mode == "query" else 3 :]]
    py = sys.executable
    cmds: dict[str, tuple[list[str], str]] = {}
    for name, spec in variants:
        pythonpath, index = spec.split(":", 1)
        if mode == "update":
            cmds[name] = (
                [py, "-m", "esfsearch", "index", str(corpus), "--index", index, "--json"],
                pythonpath,
            )
        else:
            cmds[name] = ([py, "-m", "esfsearch", "query", word, "--index", index, "-n", "10"], pythonpath)
    if mode == "query":
        cmds["grep -ril"] = (["grep", "-ril", word, str(corpus)], "")
        cmds["python -c pass"] = ([py, "-c", "pass"], "")
        cmds["import esfsearch"] = ([py, "-c", "import esfsearch"], "")
        cmds["floor (whoosh)"] = ([py, "-c", "import whoosh.index, whoosh.qparser"], "")
        cmds["import numpy"] = ([py, "-c", "import numpy"], "")
    files = sorted((corpus / "projektbank").rglob("*.txt"))
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
    names = list(cmds)
    for r in range(rounds):
        if mode == "update":
            with open(files[(r * 37) % len(files)], "a", encoding="utf-8") as fh:
                fh.write(f"\nTillägg {r} {time.time()}.\n")
        for name in names if r % 2 == 0 else names[::-1]:
            cmd, pythonpath = cmds[name]
            cpu, wall, proc = _run(cmd, pythonpath)
            if mode == "update":
                assert proc.returncode == 0, proc.stderr
                assert json.loads(proc.stdout)["files_updated"] >= 1, (name, proc.stdout[:400])
            else:
                assert proc.returncode in (0, 1), proc.stderr
            results[name].append((cpu, wall))
            print(f"round {r} {name}: cpu {cpu:.2f} s, wall {wall:.2f} s", file=sys.stderr, flush=True)
    _report(results)


if __name__ == "__main__":
    main(sys.argv[1:])
