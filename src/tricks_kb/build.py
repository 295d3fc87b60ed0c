"""Building the search index: embed what changed (reusing unchanged vectors) and write it atomically."""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import settings
from .index import (
    BuildError,
    IndexError_,
    build_lock,
    check,
    clean_leftovers,
    load_index,
    os_message,
    pause_point,
    read_manifest,
    refuse_foreign_folder,
    write_index,
)
from .passages import catalog_passages, content_hash
from .schema import Trick
from .vectors import by_text_hash, reuse_or_embed

__all__ = ["BuildError", "BuildReport", "build"]


@dataclass
class BuildReport:
    """What a build did."""

    entries: int = 0
    passages: int = 0
    embedded: int = 0
    reused: int = 0
    skipped: list[str] = field(default_factory=list)
    up_to_date: bool = False
    seconds: float = 0.0
    encode_seconds: float = 0.0


def _old_vectors(index_dir: Path, fingerprint: str) -> dict[str, Any]:
    """text hash -> vector from the current index when it was built with the same model (else empty)."""
    try:
        old = load_index(index_dir)
    except IndexError_:
        return {}
    if old.manifest["model"].get("fingerprint") != fingerprint:
        return {}
    return by_text_hash(old.passages, old.faiss_index)


def _progress(total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc="embedding", unit="passage", file=sys.stderr,
                disable=not sys.stderr.isatty() or total < 64)


def build(tricks: dict[str, Trick], index_dir: Path | None = None, model: str | None = None,
          force: bool = False, skipped: list[str] | None = None) -> BuildReport:
    """Embed the valid entries (reusing unchanged vectors) and write the index atomically."""
    # Build beside the real folder: with index/ a symlink to another file system, a temp folder next to
    # the link could not be renamed into it ("Invalid cross-device link").
    index_dir = Path(index_dir or settings.index_dir()).resolve()
    refuse_foreign_folder(index_dir)
    with build_lock(index_dir):
        refuse_foreign_folder(index_dir)
        return _build(tricks, index_dir, model, force, skipped)


def _build(tricks: dict[str, Trick], index_dir: Path, model: str | None, force: bool,
           skipped: list[str] | None) -> BuildReport:
    from .embed import load_embedder, model_info

    t0 = time.perf_counter()
    report = BuildReport(entries=len(tricks), skipped=list(skipped or []))
    try:
        clean_leftovers(index_dir)
    except OSError as exc:
        raise BuildError(os_message(exc, index_dir)) from exc
    info = model_info(model)
    if not force and index_dir.exists():
        with contextlib.suppress(IndexError_):
            manifest = read_manifest(index_dir)
            if check(index_dir, tricks).ok and manifest["model"].get("fingerprint") == info.fingerprint:
                report.up_to_date = True
                report.passages = manifest["passage_count"]
                report.reused = report.passages
                report.seconds = time.perf_counter() - t0
                return report
    passages = catalog_passages(tricks)
    reuse = {} if force else _old_vectors(index_dir, info.fingerprint)
    missing = sum(1 for p in passages if p.text_hash not in reuse)
    dim = len(next(iter(reuse.values()))) if reuse else None
    embedder = None
    if missing or dim is None:
        embedder = load_embedder(info=info)
        dim = embedder.dim
    t1 = time.perf_counter()
    with _progress(missing) as bar:
        vectors, embedded = reuse_or_embed(passages, reuse, int(dim), embedder.encode if embedder else None,
                                           on_chunk=bar.update)
    if embedded:
        report.encode_seconds = time.perf_counter() - t1
    pause_point("embedded")
    write_index(index_dir, passages, vectors,
                {"name": info.name, "fingerprint": info.fingerprint, "dim": int(dim)},
                {tid: content_hash(t) for tid, t in tricks.items()})
    report.passages = len(passages)
    report.embedded = embedded
    report.reused = len(passages) - embedded
    report.seconds = time.perf_counter() - t0
    return report
