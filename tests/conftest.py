"""Shared fixtures: paths to the repo, the catalog and the test fixtures."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def catalog_dir() -> Path:
    return ROOT / "tricks"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


# --- search index (shared by the search, index and app tests) -----------------------------

SEARCH_CATALOG = FIXTURES / "search_catalog"  # a frozen copy of 12 real catalog entries


@pytest.fixture(scope="session")
def search_index(tmp_path_factory):
    """A real index (real model, faiss, bm25s) of a copy of tests/fixtures/search_catalog.

    Returns a namespace with ``catalog_dir`` and ``index_dir`` (both in a tmp dir; treat as read-only).
    """
    import shutil
    import types

    from tricks_kb.build import build
    from tricks_kb.catalog import load_catalog

    root = tmp_path_factory.mktemp("search-index")
    catalog = root / "tricks"
    shutil.copytree(SEARCH_CATALOG, catalog)
    index_dir = root / "index"
    report = build(load_catalog([catalog]).tricks, index_dir)
    assert report.embedded == report.passages > 0
    return types.SimpleNamespace(catalog_dir=catalog, index_dir=index_dir, root=root)


@pytest.fixture
def work(search_index, tmp_path):
    """A private, writable copy of the shared fixture catalog and index: (catalog_dir, index_dir)."""
    cat, idx = tmp_path / "tricks", tmp_path / "index"
    shutil.copytree(search_index.catalog_dir, cat)
    shutil.copytree(search_index.index_dir, idx)
    return cat, idx


@pytest.fixture(scope="session")
def search_engine(search_index):
    """A SearchEngine over ``search_index`` (shared; read-only)."""
    from tricks_kb.search import SearchEngine

    engine = SearchEngine.load(index_dir=search_index.index_dir, catalog_dir=search_index.catalog_dir)
    assert engine.status == "ok", engine.notice
    return engine


# --- app (shared by test_app.py and test_e2e_browser.py) -----------------------------------

APP_FIXTURES = FIXTURES / "app"  # hostile-entry.yaml: HTML, script and markdown injection in every field


@pytest.fixture(scope="session")
def hostile_catalog(search_index, tmp_path_factory) -> Path:
    """The search fixture catalog plus one valid entry full of injection strings (a folder of YAML files)."""
    import shutil

    root = tmp_path_factory.mktemp("hostile-catalog") / "tricks"
    shutil.copytree(search_index.catalog_dir, root)
    shutil.copy(APP_FIXTURES / "hostile-entry.yaml", root / "hostile-entry.yaml")
    return root


@pytest.fixture(scope="session")
def corrupt_index(search_index, tmp_path_factory) -> Path:
    """A copy of the search fixture index whose faiss file is cut in half (search must fall back to keywords)."""
    import shutil

    root = tmp_path_factory.mktemp("corrupt-index") / "index"
    shutil.copytree(search_index.index_dir, root)
    for f in root.glob("*.faiss"):
        data = f.read_bytes()
        f.write_bytes(data[: len(data) // 2])
    return root


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through Playwright, one per test module (the browser tests share it)."""
    from playwright.sync_api import sync_playwright

    from tricks_kb.testing import CHROMIUM, CHROMIUM_ARGS

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (./dev.sh test does it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
