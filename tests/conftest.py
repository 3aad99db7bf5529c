"""The environment the whole suite depends on, set here instead of inherited from the user's shell,
and the one index of the shipped corpus that the tests which only read it share.

The variables are set when pytest loads this file, before any test module is imported, so that
subprocesses (the CLI run for real) see the same environment as the tests in this process.
"""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import pytest
from once import built_once

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"

_HOME = Path(tempfile.mkdtemp(prefix="esfsearch-tests-"))

# Output width, colour and locale: what the expected texts and the TUI snapshots were written with.
for _name in (
    "NO_COLOR",
    "FORCE_COLOR",
    "COLORTERM",
    "TEXTUAL",
    "PYTHONWARNINGS",
    "ESFSEARCH_CORPUS",
    "ESFSEARCH_SYNONYMS",
    "LANGUAGE",
):
    os.environ.pop(_name, None)
for _name in [n for n in os.environ if n.startswith("LC_")]:
    os.environ.pop(_name, None)
os.environ.update(
    {
        "COLUMNS": "80",
        "LINES": "25",
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        # The user's saved searches, synonyms and index are never read or written by a test.
        "ESFSEARCH_CONFIG_DIR": str(_HOME / "config"),
        "XDG_CONFIG_HOME": str(_HOME / "xdg-config"),
        "ESFSEARCH_INDEX": str(_HOME / "no-index"),
    }
)

# Ctrl-C as a terminal delivers it. A shell without job control (a script, CI, `pytest … &`) starts
# background commands with SIGINT ignored, and every process they start inherits that: the CLI
# processes that the kill and Ctrl-C tests interrupt would then ignore SIGINT and run on (seen: exit 0
# instead of 130, timeouts). Python only installs its KeyboardInterrupt handler where SIGINT is not
# ignored at start; a handler set here is reset to the default in every child at exec.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _language_from_the_environment():
    """Every test starts with the language the environment gives (English here), whatever an earlier
    test set with `--lang` or `set_language`."""
    from esfsearch.i18n import set_language

    set_language(None)
    yield
    set_language(None)


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory) -> Path:
    """The shipped corpus indexed once per run, for the tests that only read it. Built from
    the repository root with a relative corpus path, so `source_path` stays relative (stable TUI
    snapshots wherever the checkout lives). Copy it before changing it."""
    from esfsearch.index import build_index

    def build(folder: Path) -> None:
        cwd = os.getcwd()
        os.chdir(REPO)
        try:
            build_index([Path("corpus")], folder / "ix")
        finally:
            os.chdir(cwd)

    return built_once(tmp_path_factory, "shipped", build) / "ix"


BIG_N = 1500


@pytest.fixture(scope="session")
def big(tmp_path_factory) -> tuple[Path, Path, int]:
    """(corpus, index, records): 1 500 generated records (bench/corpus.py) indexed once per run, in
    two commits (several segments, one with deleted documents: what test_fastpath compares the
    execution paths on); large enough that a rebuild takes seconds and an export is sizeable. Copy
    the index before changing it; the corpus is never changed after the build."""
    import sys

    if str(REPO) not in sys.path:  # bench/ lives beside the package
        sys.path.insert(0, str(REPO))
    from bench.corpus import generate
    from esfsearch.index import build_index

    def build(folder: Path) -> None:
        corpus = folder / "c"
        counts = generate(BIG_N, corpus, seed=3)
        summary = build_index([corpus], folder / "ix", rebuild=True)
        assert summary.records == sum(counts.values()) == BIG_N
        victim = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix in (".txt", ".json"))[0]
        victim.write_bytes(
            victim.read_bytes() + "\nProjektet har även utökats med en ny insats för unga.\n".encode()
        )
        assert build_index([corpus], folder / "ix").records == BIG_N

    base = built_once(tmp_path_factory, "big", build)
    return base / "c", base / "ix", BIG_N


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto`: one worker more than the cores (two on one core). Many tests wait on a real CLI
    process or on data another worker is building (tests/once.py); the extra worker runs meanwhile.
    PYTEST_XDIST_AUTO_NUM_WORKERS still decides when set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return int(os.environ["PYTEST_XDIST_AUTO_NUM_WORKERS"])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) + 1


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Under pytest-xdist, the `slow` tests first (each group in its random order): a long test
    started last would leave the other workers idle until it ends."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)
