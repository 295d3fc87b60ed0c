"""Settings: the only place ``TRICKS_KB_*`` variables are read and default folders are decided.

Folders: ``$TRICKS_KB_CATALOG`` / ``$TRICKS_KB_INDEX`` win; otherwise the project is
``$TRICKS_KB_HOME``, else the current directory or its git root when it holds ``tricks/`` (so a
command run inside another clone works on that clone, not on the checkout this package happens to be
installed from), else that installed checkout, else the catalog, index and rubric bundled in an installed
wheel (``tricks_kb/data``), else the current directory. Threads: batch work (builds, batches of texts) uses ``OMP_NUM_THREADS`` (default
2, at most the CPU count); a query embeds with ``$TRICKS_KB_QUERY_THREADS`` threads (default 1).
"""

from __future__ import annotations

import os
from pathlib import Path

CATALOG_ENV = "TRICKS_KB_CATALOG"
INDEX_ENV = "TRICKS_KB_INDEX"
HOME_ENV = "TRICKS_KB_HOME"
MODEL_ENV = "TRICKS_KB_MODEL"
CACHE_ENV = "TRICKS_KB_CACHE"
EMBED_ENV = "TRICKS_KB_EMBED"
EMBED_BACKENDS = ("torch", "onnx", "auto")
QUERY_THREADS_ENV = "TRICKS_KB_QUERY_THREADS"
BUILD_PAUSE_ENV = "TRICKS_KB_BUILD_PAUSE_AT"  # test seam: a build pauses at this named stage
QUERY_BATCH_MAX = 4  # at most this many texts in one encode call count as a query (one thread)


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def _installed_checkout() -> Path | None:
    here = Path(__file__).resolve().parents[2]
    return here if (here / "tricks").is_dir() else None


def _bundled() -> Path | None:
    """``tricks_kb/data`` of an installed wheel (tricks/, index/, docs/evidence.md, schema/)."""
    here = Path(__file__).resolve().parent / "data"
    return here if (here / "tricks").is_dir() else None


def _cwd_project() -> Path | None:
    """The current directory, or its git root, when it holds a ``tricks/`` folder."""
    cwd = Path.cwd()
    if (cwd / "tricks").is_dir():
        return cwd
    for folder in (cwd, *cwd.parents):
        if (folder / ".git").exists():
            return folder if (folder / "tricks").is_dir() else None
    return None


def repo_root() -> Path:
    """The project folder (see the module docstring for the order)."""
    home = _env(HOME_ENV)
    return (Path(home) if home else None) or _cwd_project() or _installed_checkout() or _bundled() or Path.cwd()


def catalog_dir() -> Path:
    """Folder of the catalog: ``$TRICKS_KB_CATALOG`` or ``<project>/tricks``."""
    env = _env(CATALOG_ENV)
    return Path(env) if env else repo_root() / "tricks"


def index_dir() -> Path:
    """Folder of the search index: ``$TRICKS_KB_INDEX`` or ``<project>/index``."""
    env = _env(INDEX_ENV)
    return Path(env) if env else repo_root() / "index"


def index_dir_override() -> Path | None:
    """``$TRICKS_KB_INDEX`` when set, else None (the default folder)."""
    env = _env(INDEX_ENV)
    return Path(env) if env else None


def model_name() -> str | None:
    """``$TRICKS_KB_MODEL``: a local model folder or a cached model name (None: the packaged default)."""
    return _env(MODEL_ENV)


def cache_dir() -> Path:
    """Derived files kept outside git (the model's ONNX export, weight fingerprints): ``$TRICKS_KB_CACHE``,
    else ``$XDG_CACHE_HOME/tricks-kb``, else ``~/.cache/tricks-kb``."""
    env = _env(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "tricks-kb"


def embed_backend(default: str) -> str:
    """``$TRICKS_KB_EMBED`` when it names an embedding backend (torch, onnx, auto), else ``default``."""
    env = (_env(EMBED_ENV) or "").strip().lower()
    return env if env in EMBED_BACKENDS else default


def build_pause_at() -> str | None:
    """Test seam: the build stage named by ``$TRICKS_KB_BUILD_PAUSE_AT``."""
    return _env(BUILD_PAUSE_ENV)


def _int_env(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, "") or default)
    except ValueError:
        return default


def batch_threads() -> int:
    """Threads for batch work: ``OMP_NUM_THREADS`` (default 2), at least 1, at most the CPU count."""
    return max(1, min(_int_env("OMP_NUM_THREADS", 2), os.cpu_count() or 1))


def query_threads() -> int:
    """Threads for embedding a query: ``$TRICKS_KB_QUERY_THREADS`` (default 1), at most the CPU count.

    A query is one short sequence: a second OpenMP thread buys nothing, and on a busy 2-core machine
    every op waits for it at a barrier (about 500 ms per query with 2 threads, 12-30 ms with 1).
    """
    return max(1, min(_int_env(QUERY_THREADS_ENV, 1), os.cpu_count() or 1))


def threads_for(n_texts: int) -> int:
    """The thread policy: a few texts are a query, more are a batch."""
    return query_threads() if n_texts <= QUERY_BATCH_MAX else batch_threads()
