"""CPU time and peak RSS of full builds, variants alternated in one run (sixth session).

  python bench/ab_build.py CORPUS ROUNDS PROCS NAME=[PYTHONPATH] ...
      each round builds CORPUS from scratch once per variant (order alternating), in a child
      process: `build_index([CORPUS], /tmp/ab-build-NAME, rebuild=True, procs=PROCS)` (PROCS a
      number or `auto`); the last index of each variant is left there (for `ab_cli.py update`)

A variant's PYTHONPATH (e.g. a `git archive` of main) comes before the installed package. CPU is the
child's user + system time and its peak RSS (os.wait4); medians of CPU and wall, the largest RSS.
PYTHONDONTWRITEBYTECODE is removed from the children's environment, as in ab_cli.py.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time

CODE = (
    "import sys; from pathlib import Path; from esfsearch.index import build_index; "
    "procs = None if sys.argv[3] == 'auto' else int(sys.argv[3]); "
    "build_index([Path(sys.argv[1])], Path(sys.argv[2]), rebuild=True, procs=procs)"
)


def main(argv: list[str]) -> None:
    corpus, rounds, procs = argv[0], int(argv[1]), argv[2]
    variants = [v.split("=", 1) for v in argv[3:]]
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _ in variants}
    for r in range(rounds):
        for name, pythonpath in variants if r % 2 == 0 else variants[::-1]:
            out = f"/tmp/ab-build-{name}"
            shutil.rmtree(out, ignore_errors=True)
            env = dict(os.environ, LC_ALL="C.UTF-8")
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env.pop("PYTHONPATH", None)
            if pythonpath:
                env["PYTHONPATH"] = pythonpath
            start = time.perf_counter()
            child = subprocess.Popen([sys.executable, "-c", CODE, corpus, out, procs], env=env, cwd="/tmp")
            _pid, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
            wall = time.perf_counter() - start
            cpu = usage.ru_utime + usage.ru_stime
            rss = usage.ru_maxrss / 1024
            results[name].append((cpu, wall, rss))
            print(
                f"round {r} {name:10s} cpu {cpu:7.1f} s  wall {wall:7.1f} s  peak RSS {rss:5.0f} MB  "
                f"load {os.getloadavg()[0]:.1f}  exit {child.returncode}",
                flush=True,
            )
    for name, runs in results.items():
        cpu = statistics.median(c for c, _w, _m in runs)
        wall = statistics.median(w for _c, w, _m in runs)
        rss = max(m for _c, _w, m in runs)
        print(f"{name:10s} cpu {cpu:7.1f} s  wall {wall:7.1f} s  peak RSS {rss:5.0f} MB (n={len(runs)})")


if __name__ == "__main__":
    main(sys.argv[1:])
