"""Shared, read-only resources kept once per server process: the catalog and the search engine.

Rebuilt only when their files change on disk, never because a client asked to clear caches.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from pathlib import Path
from typing import Any

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


# Process-wide registry instead of st.cache_resource: any client can send Streamlit's clear_cache
# message, which empties st.cache_resource for everyone. These survive it; each entry is rebuilt
# only when what it was built from changed on disk (its fingerprint), and the replaced one is dropped.
_LOCK = threading.RLock()
_CATALOGS: OrderedDict[str, tuple[tuple, dict[str, Trick], int]] = OrderedDict()
_ENGINES: OrderedDict[tuple, tuple[tuple, Future]] = OrderedDict()
_KEYWORD: OrderedDict[str, tuple[tuple, Any]] = OrderedDict()
_CHECKED: dict[Any, tuple[float, tuple]] = {}
MAX_KEPT = 3  # configurations kept at once (one in production; tests switch folders)
RECHECK_SECONDS = 1.0  # how often the files are stat-ed to notice a rebuilt index or an edited catalog
LOADS = {"catalog": 0, "engine": 0, "keyword": 0}  # how often each was (re)built: for tests and logs


def _stat_key(path: Path) -> tuple:
    try:
        st_ = path.stat()
    except OSError:
        return ("missing",)
    return (st_.st_ino, st_.st_size, st_.st_mtime_ns)


def catalog_fingerprint(folder: Path) -> tuple:
    """Names, sizes and modification times of the catalog's files: changes when any file does."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return ("missing",)
    return tuple((n, *_stat_key(folder / n)) for n in names)


def index_fingerprint(index: Path | None) -> tuple:
    """The manifest's identity: a build replaces it (os.replace), which changes its inode and time."""
    return _stat_key((index or settings.index_dir()) / "manifest.json")


def _fresh(what: Any, compute: Any) -> tuple:
    """A fingerprint, recomputed at most every RECHECK_SECONDS per thing watched."""
    now = time.monotonic()
    seen = _CHECKED.get(what)
    if seen is None or now - seen[0] >= RECHECK_SECONDS:
        seen = (now, compute())
        _CHECKED[what] = seen
    return seen[1]


def _remember(table: OrderedDict, key: Any, value: Any) -> None:
    table[key] = value
    table.move_to_end(key)
    while len(table) > MAX_KEPT:
        table.popitem(last=False)


def _catalog(path: str) -> tuple[dict[str, Trick], int]:
    from ..catalog import load_catalog

    fp = _fresh(("catalog", path), lambda: catalog_fingerprint(Path(path)))
    with _LOCK:
        kept = _CATALOGS.get(path)
        if kept is not None and kept[0] == fp:
            return kept[1], kept[2]
        cat = load_catalog([Path(path)])
        tricks = cat.tricks
        invalid = sum(1 for e in cat.entries if e.trick is None) if Path(path).is_dir() else 0
        LOADS["catalog"] += 1
        _remember(_CATALOGS, path, (fp, tricks, invalid))
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
    frozen, 80-160 ms (docs/benchmarks.md). Unfreezing first lets the collector reclaim an engine
    that a rebuilt index replaced: frozen, its reference cycles would stay forever (a leak per reload).
    """
    import gc

    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _engine_future(index: str | None, catalog: str, model: str | None) -> Future:
    """The engine for this configuration, loading in a background thread; reloaded only when the index
    or the catalog changed on disk (a clear_cache from a client changes neither)."""
    tricks = _catalog(catalog)[0]
    fp = (_fresh(("index", index), lambda: index_fingerprint(Path(index) if index else None)),
          _fresh(("catalog", catalog), lambda: catalog_fingerprint(Path(catalog))))
    key = (index, catalog, model)
    with _LOCK:
        kept = _ENGINES.get(key)
        if kept is not None and kept[0] == fp:
            return kept[1]
        if kept is not None:
            log.info("index or catalog changed on disk: reloading the search engine")
        # numpy in this thread first: the server's main thread imports it too (Streamlit), and two
        # threads importing it at once can fail with "partially initialized module"
        import numpy  # noqa: F401

        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tricks-kb-engine")
        future = pool.submit(_load_engine, tricks, index, model)
        pool.shutdown(wait=False)
        LOADS["engine"] += 1
        _remember(_ENGINES, key, (fp, future))
        return future


def _keyword_engine(catalog: str) -> Any:
    """BM25 over the catalog's passages: answers while the model is still loading (no torch needed)."""
    from ..search import SearchEngine

    fp = _fresh(("catalog", catalog), lambda: catalog_fingerprint(Path(catalog)))
    with _LOCK:
        kept = _KEYWORD.get(catalog)
        if kept is not None and kept[0] == fp:
            return kept[1]
        engine = SearchEngine.keyword_only(_catalog(catalog)[0])
        LOADS["keyword"] += 1
        _remember(_KEYWORD, catalog, (fp, engine))
        return engine


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
