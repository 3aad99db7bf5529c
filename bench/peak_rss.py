"""Peak memory of `esfsearch index` on given corpora, variants alternated in one run (sixth session).

  python bench/peak_rss.py ROUNDS CORPUS[,CORPUS...] NAME=[PYTHONPATH] ...

For each round, corpus and variant (order alternating), builds a fresh index of the corpus in a
temporary directory and prints: the peak RSS and PSS of the whole process tree (summed, sampled every
50 ms: a large build forks writer processes, which share pages with their parent), the largest single
process's peak (wait4's rusage, exact), CPU seconds (user + system of the tree), wall seconds and the
1-minute load average at the start.

  python bench/peak_rss.py --timeline FILE ROUNDS CORPUS NAME=[PYTHONPATH] ...

also writes, every second, the RSS (MB) of each process of the tree (parent first) to FILE, one line
a sample ("seconds parent child child ..."): where in the build the memory peaks, and in which process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

import psutil


def _tree(proc: psutil.Process) -> tuple[int, int]:
    """(RSS, PSS) of the process and its descendants, summed: RSS counts the pages a forked writer
    shares with its parent once in each, PSS shares them out."""
    rss = pss = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            rss += p.memory_info().rss
            with open(f"/proc/{p.pid}/smaps_rollup") as fh:
                pss += next(int(line.split()[1]) * 1024 for line in fh if line.startswith("Pss:"))
        except (psutil.Error, OSError, StopIteration):
            pass
    return rss, pss


def _each(proc: psutil.Process) -> list[str]:
    """RSS in MB of the process and each descendant, the process first."""
    out = []
    for p in [proc, *proc.children(recursive=True)]:
        try:
            out.append(f"{p.memory_info().rss / 1e6:.0f}")
        except psutil.Error:
            pass
    return out


def run(
    corpus: str, pythonpath: str, timeline: str | None = None
) -> tuple[float, float, float, float, float, float]:
    env = dict(os.environ, LC_ALL="C.UTF-8")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    ix = tempfile.mkdtemp(prefix="peak-rss-")
    load = os.getloadavg()[0]
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "esfsearch", "index", corpus, "--index", ix, "-q"]
    child = subprocess.Popen(cmd, env=env, cwd="/tmp", stdout=subprocess.DEVNULL)
    proc, peak_rss, peak_pss = psutil.Process(child.pid), 0, 0
    log = open(timeline, "a") if timeline else None
    next_line = 0.0
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        rss, pss = _tree(proc)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        now = time.perf_counter() - start
        if log is not None and now >= next_line:
            next_line = now + 1.0
            log.write(f"{now:.0f} {' '.join(_each(proc))}\n")
            log.flush()
        time.sleep(0.05)
    if log is not None:
        log.close()
    wall = time.perf_counter() - start
    shutil.rmtree(ix, ignore_errors=True)
    cpu = usage.ru_utime + usage.ru_stime  # the child and the descendants it waited for
    if status:
        print(f"  exit status {status}", flush=True)
    return peak_rss / 1e6, peak_pss / 1e6, usage.ru_maxrss / 1e3, cpu, wall, load


def main(argv: list[str]) -> None:
    timeline = None
    if argv[0] == "--timeline":
        timeline, argv = argv[1], argv[2:]
    rounds, corpora, variants = int(argv[0]), argv[1].split(","), [v.split("=", 1) for v in argv[2:]]
    for r in range(rounds):
        for corpus in corpora:
            order = variants if r % 2 == 0 else variants[::-1]
            for name, pythonpath in order:
                if timeline:
                    with open(timeline, "a") as fh:
                        fh.write(f"# {name} {corpus}\n")
                rss, pss, single, cpu, wall, load = run(corpus, pythonpath, timeline)
                print(
                    f"{name:8} {corpus:18} tree peak RSS {rss:5.0f} MB  PSS {pss:5.0f} MB  "
                    f"largest process {single:5.0f} MB  "
                    f"cpu {cpu:7.1f} s  wall {wall:7.1f} s  load {load:.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main(sys.argv[1:])
