"""Shared, read-only resources cached once per server: the catalog and the search engine."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import streamlit as st

from ..schema import Trick

log = logging.getLogger(__name__)
BUILD_COMMAND = "tricks-kb build"


def index_dir() -> Path | None:
    """$TRICKS_KB_INDEX when set (else the engine's default, the committed index/)."""
    env = os.environ.get("TRICKS_KB_INDEX")
    return Path(env) if env else None


def catalog_dir() -> Path:
    """$TRICKS_KB_CATALOG or <repo>/tricks."""
    from ..catalog import default_catalog_dir

    return default_catalog_dir()


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


@st.cache_resource(show_spinner="Loading the search index and model…")
def _engine(index: str | None, catalog: str, model: str | None) -> Any:
    from ..search import SearchEngine

    engine = SearchEngine.load(index_dir=Path(index) if index else None, catalog_dir=Path(catalog), model=model)
    log.info("search engine loaded: status=%s, %d tricks", engine.status, len(engine.tricks))
    return engine


def get_engine() -> Any:
    """The search engine (model + faiss + BM25), loaded once per server; it never raises on a bad index."""
    idx = index_dir()
    return _engine(str(idx) if idx else None, str(catalog_dir()), os.environ.get("TRICKS_KB_MODEL") or None)
