"""Imports of third-party packages without the optional accelerators this project never uses (faster start).

bm25s imports numba and scipy whenever they are installed, and tqdm.auto (which imports asyncio and ssl):
0.3-0.6 s of a one-shot ``tricks-kb search``. The project builds and scores with bm25s's default numpy
backends and never shows its progress bars, which need none of them: hiding them while bm25s is first
imported gives the same scores (tests/test_fast_start.py); bm25s guards each of these imports itself.
"""

from __future__ import annotations

import sys
import threading
from types import ModuleType

_UNUSED_BY_BM25S = ("numba", "scipy", "tqdm")


class _HideFrom:
    """A meta-path finder that makes ``import <name>`` fail, only in one thread (others import as usual)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.thread = threading.get_ident()

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if threading.get_ident() == self.thread and fullname.split(".")[0] in self.names:
            raise ImportError(f"{fullname} is not used by tricks-kb's bm25s backends")
        return None


def bm25s() -> ModuleType:
    """The bm25s module, imported (the first time) with numba, scipy and tqdm hidden from it."""
    mod = sys.modules.get("bm25s")
    if mod is not None:
        return mod
    hide = _HideFrom(tuple(n for n in _UNUSED_BY_BM25S if n not in sys.modules))
    sys.meta_path.insert(0, hide)
    try:
        import bm25s as mod
    finally:
        sys.meta_path.remove(hide)
    return mod
