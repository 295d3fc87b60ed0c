"""Opening an index for search: its fallbacks (keyword search, with a notice) and the in-memory patch
of a stale index. Never raises for a missing, stale or corrupt index, or a missing model."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import settings
from .index import IndexError_, check_against, load_index
from .keywords import build_bm25
from .passages import Passage, catalog_passages
from .schema import Trick
from .vectors import by_text_hash, make_faiss, reuse_or_embed

MAX_LIVE_EMBED = 3000  # a stale index is patched in memory when at most this many passages changed


@dataclass
class OpenedIndex:
    """What a search engine needs: passages, both indexes (faiss and the model may be None), and status."""

    passages: list[Passage]
    bm25: Any
    faiss_index: Any = None
    embedder: Any = None
    status: str = "ok"
    notice: str | None = None


def keyword_only(tricks: dict[str, Trick], status: str = "ok", notice: str | None = None,
                 passages: list[Passage] | None = None) -> OpenedIndex:
    """BM25 over the catalog's passages, built in memory (no model, no torch)."""
    passages = catalog_passages(tricks) if passages is None else passages
    return OpenedIndex(passages, build_bm25(passages), status=status, notice=notice)


def open_index(tricks: dict[str, Trick], index_dir: Path | None = None, model: str | None = None) -> OpenedIndex:
    """The index in ``index_dir`` for these tricks (patched in memory when stale), else keyword search."""
    from .embed import ModelError, load_embedder, model_info

    index_dir = Path(index_dir) if index_dir else settings.index_dir()
    passages = catalog_passages(tricks)

    def keyword(status: str, why: str) -> OpenedIndex:
        return keyword_only(tricks, status, f"keyword search only: {why}", passages)

    try:
        try:
            idx = load_index(index_dir)
        except IndexError_ as exc:
            if exc.status != "corrupt":
                raise
            time.sleep(0.2)  # a build may have swapped the manifest between our reads: try once more
            idx = load_index(index_dir)
    except IndexError_ as exc:
        return keyword(exc.status, str(exc))
    try:
        info = model_info(model)
    except ModelError as exc:
        return keyword("model-missing", str(exc))
    built = idx.manifest["model"]
    if built.get("fingerprint") != info.fingerprint:
        return keyword("model-mismatch",
                       f"the index was built with model '{built.get('name')}' ({built.get('fingerprint')}) "
                       f"but the model in use is '{info.name}' ({info.fingerprint}); an index is never "
                       "queried with another model: run `tricks-kb build` with the model you search with")
    try:
        embedder = load_embedder(info=info, backend="auto")  # ONNX queries when the export is there
    except ModelError as exc:
        return keyword("model-missing", str(exc))
    if embedder.dim != idx.dim:
        return keyword("model-mismatch", f"the index has dimension {idx.dim} but the model gives "
                                         f"{embedder.dim}: run `tricks-kb build`")
    res = check_against(idx.manifest, tricks)
    if res.ok:
        return OpenedIndex(idx.passages, idx.bm25, idx.faiss_index, embedder)
    why = res.describe()
    reuse = by_text_hash(idx.passages, idx.faiss_index)
    if sum(1 for p in passages if p.text_hash not in reuse) > MAX_LIVE_EMBED:
        return keyword("stale", f"the index is stale ({why}): run `tricks-kb build`")
    vectors, _ = reuse_or_embed(passages, reuse, idx.dim, embedder.encode)
    return OpenedIndex(passages, build_bm25(passages), make_faiss(vectors), embedder, status="stale",
                       notice=f"the index is stale ({why}); changed entries were embedded in memory for now: "
                              "run `tricks-kb build` to save them")
