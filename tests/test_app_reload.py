"""A client's clear_cache never reloads the search engine; a rebuilt index does, without leaking the old one."""

from __future__ import annotations

import gc
import os
import shutil
import weakref
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tricks_kb.ui import resources

pytestmark = pytest.mark.slow

APP = Path(__file__).resolve().parents[1] / "app.py"
TIMEOUT = 120


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _clear_cache_message() -> None:
    """What Streamlit does for a client's clear_cache BackMsg (AppSession._handle_clear_cache_request)."""
    st.cache_data.clear()
    st.cache_resource.clear()


def _ready_app(q: str = "warmup") -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["q"] = q
    at.run()
    resources.start_engine().result(timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_clear_cache_50_times_reloads_nothing_and_leaks_nothing(search_index, monkeypatch):
    monkeypatch.setenv("TRICKS_KB_CATALOG", str(search_index.catalog_dir))
    monkeypatch.setenv("TRICKS_KB_INDEX", str(search_index.index_dir))
    at = _ready_app()
    engine = resources.start_engine().result()
    for _ in range(5):  # warm up Streamlit's own per-run allocations
        _clear_cache_message()
        at.run()
    loads = dict(resources.LOADS)
    gc.collect()
    before = _rss_mb()
    for _ in range(50):
        _clear_cache_message()
        at.run()
        assert not at.exception
    gc.collect()
    grown = _rss_mb() - before
    assert resources.LOADS == loads, (loads, resources.LOADS)
    assert resources.start_engine().result() is engine
    assert "results for" in "\n".join(c.value for c in at.caption)
    print(f"RSS growth over 50 clear_cache reruns: {grown:.2f} MB")
    assert grown < 10, f"{grown:.1f} MB over 50 clear_cache reruns"  # the old reload leaked ~0.45 MB each


def test_a_rebuilt_index_reloads_the_engine_and_frees_the_old_one(search_index, monkeypatch, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(search_index.index_dir, index)
    monkeypatch.setenv("TRICKS_KB_CATALOG", str(search_index.catalog_dir))
    monkeypatch.setenv("TRICKS_KB_INDEX", str(index))
    monkeypatch.setattr(resources, "RECHECK_SECONDS", 0.0)
    at = _ready_app()
    old = resources.start_engine().result()
    assert old.status == "ok", old.notice
    gone = weakref.ref(old)
    del old
    n = resources.LOADS["engine"]
    _clear_cache_message()
    at.run()
    assert resources.LOADS["engine"] == n  # clear_cache alone: same engine
    manifest = index / "manifest.json"
    shutil.copy(manifest, tmp_path / "m.json")
    (tmp_path / "m.json").replace(manifest)  # what a build does: a new manifest file swapped in
    at.run()
    new = resources.start_engine().result(timeout=TIMEOUT)
    assert resources.LOADS["engine"] == n + 1 and new.status == "ok"
    at.run()
    assert not at.exception
    gc.collect()
    assert gone() is None, "the replaced engine is still alive (leak)"
