"""Shared, read-only resources cached once per server: the catalog and the search engine.

The engine loads in a background thread, once per server process: from the server's start when it was
started by ``python -m tricks_kb.ui.serve`` (``./dev.sh app``), else from the first page view.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from pathlib import Path
from typing import Any

import streamlit as st

from .. import settings
from ..schema import Trick

log = logging.getLogger(__name__)
BUILD_COMMAND = "tricks-kb build"


def index_dir() -> Path | None:
    """$TRICKS_KB_INDEX when set (else the engine's default, the committed index/)."""
    return settings.index_dir_override()


def catalog_dir() -> Path:
    """$TRICKS_KB_CATALOG or <project>/tricks."""
    return settings.catalog_dir()


@st.cache_resource(show_spinner=False)
def _catalog(path: str) -> tuple[dict[str, Trick], int]:
    from ..catalog import load_catalog

    cat = load_catalog([Path(path)])
    tricks = cat.tricks
    invalid = sum(1 for e in cat.entries if e.trick is None) if Path(path).is_dir() else 0
    return tricks, invalid


def get_tricks() -> dict[str, Trick]:
    """Valid catalog entries by id (no model needed). Shared by every session: treat as read-only."""
    return _catalog(str(catalog_dir()))[0]


def invalid_entries() -> int:
    """How many catalog files failed validation (they are left out of the app)."""
    return _catalog(str(catalog_dir()))[1]


def _load_engine(tricks: dict[str, Trick], index: str | None, model: str | None) -> Any:
    """Model + faiss + BM25 over ``tricks`` (SearchEngine.open never raises on a bad index or model)."""
    from ..search import SearchEngine

    t0 = time.monotonic()
    engine = SearchEngine.open(tricks, index_dir=Path(index) if index else None, model=model)
    embedder = getattr(engine, "embedder", None)
    if getattr(embedder, "notice", None):
        log.warning("%s", embedder.notice)
    from ..query import english_lexicon

    english_lexicon()  # loaded here, not during a user's first query with an unknown word
    _freeze_heap()
    log.info("search engine loaded in %.1fs: status=%s, embedding backend %s, %d tricks", time.monotonic() - t0,
             engine.status, getattr(embedder, "backend", None), len(engine.tricks))
    return engine


def _freeze_heap() -> None:
    """Move everything loaded so far (model, catalog, index: ~570k objects) out of the garbage collector's sight.

    These objects live as long as the server. Left in the collector's oldest generation, they were
    walked by a full collection (250-330 ms) during nearly every query's rerun, stalling the page
    mid-render: in the browser, query round trips had a median of 120-280 ms with a tail of 320-400 ms;
    frozen, 80-160 ms (docs/benchmarks.md).
    """
    import gc

    gc.collect()
    gc.freeze()


def _load_catalog_and_engine(index: str | None, catalog: str, model: str | None) -> Any:
    from ..catalog import load_catalog

    # Not the st cache: this may run before Streamlit has started (ui/serve.py).
    return _load_engine(load_catalog([Path(catalog)]).tricks, index, model)


_FUTURES: dict[tuple[str | None, str, str | None], Future] = {}
_FUTURES_LOCK = threading.Lock()


def _engine_future(index: str | None, catalog: str, model: str | None) -> Future:
    """Start loading the engine in a background thread, once per server process and settings.

    A plain process-wide dict rather than ``st.cache_resource``, so that the server's launcher can start
    it before Streamlit runs any session (``ui/serve.py``).
    """
    key = (index, catalog, model)
    with _FUTURES_LOCK:
        future = _FUTURES.get(key)
        if future is None:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tricks-kb-engine")
            future = _FUTURES[key] = pool.submit(_load_catalog_and_engine, index, catalog, model)
            pool.shutdown(wait=False)
        return future


@st.cache_resource(show_spinner=False)
def _keyword_engine(catalog: str) -> Any:
    """BM25 over the catalog's passages: answers while the model is still loading (no torch needed)."""
    from ..search import SearchEngine

    return SearchEngine.keyword_only(_catalog(catalog)[0])


def _key() -> tuple[str | None, str, str | None]:
    idx = index_dir()
    return str(idx) if idx else None, str(catalog_dir()), settings.model_name()


def start_engine() -> Future:
    """Make sure the engine is loading (or loaded); cheap to call on every page."""
    return _engine_future(*_key())


def get_engine(wait: bool | float = True) -> tuple[Any, bool]:
    """(engine, ready). While the model is still loading after waiting ``wait`` seconds (``False``: none,
    ``True``: as long as it takes): (keyword-only engine, False).

    The full engine is loaded once per server and shared by every session: treat it as read-only.
    """
    future = start_engine()
    if not isinstance(wait, bool) and wait > 0:
        futures_wait([future], timeout=float(wait))
    if wait is True or future.done():
        try:
            return future.result(), True
        except Exception:  # SearchEngine.open should never raise; never let the page die of it
            log.exception("loading the search engine failed")
            return _keyword_engine(_key()[1]), True
    return _keyword_engine(_key()[1]), False
