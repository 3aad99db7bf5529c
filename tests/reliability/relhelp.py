"""Helpers and fixtures of the reliability suite (conftest.py re-exports the fixtures): small and large
corpora, base indexes built once per run (tests/once.py; tests copy them before damaging or killing
anything), and CLI helpers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from once import built_once

from esfsearch.index import build_index, current_generation

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"
SEED_DIR = CORPUS / "seeds"
PROJECTS_JSON = CORPUS / "projektbanken-eruf-2014-2020" / "projects.json"
TINY_JSON_RECORDS = 30
TINY_RECORDS = 5 + TINY_JSON_RECORDS  # the tiny corpus: the 5 seeds and the first JSON records
if str(REPO) not in sys.path:  # bench/ (the corpus generator) lives beside the package
    sys.path.insert(0, str(REPO))


def cli_cmd(*args: str) -> list[str]:
    exe = Path(sys.executable).with_name("esfsearch")
    if exe.exists():
        return [str(exe), *args]
    return [sys.executable, "-c", "from esfsearch.cli import main; main()", *args]


def run_cli(*args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="200", **(env or {}))
    return subprocess.run(
        cli_cmd(*args), capture_output=True, text=True, timeout=timeout, env=full_env, cwd=REPO
    )


def no_traceback(text: str) -> bool:
    return "Traceback" not in text and "╭─" not in text


def copy_index(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst


def make_tiny_corpus(dst: Path) -> int:
    """The 5 seeds and 30 JSON records: quick to build, still every layout. Returns the record count."""
    shutil.copytree(SEED_DIR, dst / "seeds")
    data = json.loads(PROJECTS_JSON.read_text(encoding="utf-8"))
    (dst / "json").mkdir()
    (dst / "json" / "projects.json").write_text(
        json.dumps(data[:TINY_JSON_RECORDS], ensure_ascii=False), encoding="utf-8"
    )
    return TINY_RECORDS


@pytest.fixture(scope="session")
def full_index(shipped_index) -> Path:
    """The repository corpus indexed once per session (tests/conftest.py; read-only here)."""
    return shipped_index


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> tuple[Path, Path, int]:
    """(corpus, index, records) of the tiny corpus; copy the index before changing it."""
    n = TINY_RECORDS

    def build(folder: Path) -> None:
        assert make_tiny_corpus(folder / "corpus") == n
        summary = build_index([folder / "corpus"], folder / "ix")
        assert summary.records == n

    base = built_once(tmp_path_factory, "tiny", build)
    return base / "corpus", base / "ix", n


@pytest.fixture
def tiny_copy(tiny, tmp_path) -> tuple[Path, Path, int]:
    corpus, ix, n = tiny
    return corpus, copy_index(ix, tmp_path / "ix"), n


def live_keys(index_dir: Path) -> dict[str, str]:
    """key -> content hash of every record a reader of the live generation sees."""
    from esfsearch.index import open_whoosh

    ix = open_whoosh(current_generation(index_dir))
    try:
        with ix.searcher() as s:
            out = {}
            for fields in s.all_stored_fields():
                out[fields["key"]] = json.loads(fields["record"])["content_hash"]
            assert len(out) == s.doc_count(), "duplicate keys in the index"
            return out
    finally:
        ix.close()
