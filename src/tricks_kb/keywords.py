"""Keyword side of search: the tokenizer (stop words, Snowball stems), bm25s indexes and BM25 scoring.

The tokenizer's settings (``tokenizer_settings``) are recorded in the index manifest, so an index
built with another tokenizer is reported stale instead of loading as "ok".
"""

from __future__ import annotations

import re
import sys
import threading
from types import ModuleType
from typing import Any

from .passages import Passage

MAX_QUERY_TOKENS = 64  # words of a query that are corrected
MAX_KEYWORD_TOKENS = 512  # tokens of a (pasted) query that BM25 scores
WORD_PATTERN = r"(?u)\b\w\w+\b"
TOKENIZER_VERSION = 2  # bump when tokenize() changes in a way the settings below do not show
IDENTIFIERS = "split"  # snake_case and camelCase words also give their parts (recorded in the manifest)

_STEMMER: Any = None
_STOP: set[str] = set()
_WORD = re.compile(WORD_PATTERN)
_CAMEL = re.compile(r"[a-z][A-Z][a-z]")  # lower, upper, lower: "lrScheduler", "BatchNorm"; not "LoRA", "AdamW"
_CAMEL_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_PART = re.compile(r"[^\W_]+")

# bm25s imports numba and scipy whenever they are installed, and tqdm.auto (which imports asyncio and ssl):
# 0.3-0.6 s of a one-shot `tricks-kb search`. This project builds and scores with bm25s's default numpy
# backends and never shows its progress bars, which need none of them; bm25s guards each of these imports
# itself, so hiding them while it is first imported gives the same scores (tests/test_fast_start.py).
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


def _bm25s() -> ModuleType:
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


def _stemmer() -> Any:
    global _STEMMER
    if _STEMMER is None:
        try:
            import Stemmer

            _STEMMER = Stemmer.Stemmer("english")
        except ImportError:
            _STEMMER = False
    return _STEMMER


def stem_words(words: list[str]) -> list[str]:
    """English Snowball stems (PyStemmer); identity when it is unavailable."""
    stemmer = _stemmer()
    return stemmer.stemWords(words) if stemmer else list(words)


def identifier_parts(word: str) -> list[str]:
    """The words inside an identifier: ``total_grad_norm`` -> total, grad, norm; ``lrScheduler`` -> lr,
    Scheduler; ``BatchNorm`` -> Batch, Norm. Names like ``LoRA`` or ``AdamW`` are not split ([] when
    nothing splits). Dotted keys (``optim.betas``) are split by the word pattern already."""
    parts = []
    for piece in _PART.findall(word):
        parts.extend(_CAMEL_PART.findall(piece) if _CAMEL.search(piece) else [piece])
    return parts if len(parts) > 1 else []


def split_identifiers(text: str) -> list[str]:
    """Words of ``text`` (original case), each identifier followed by its parts (see ``identifier_parts``)."""
    out = []
    for w in _WORD.findall(text):
        out.append(w)
        out.extend(p for p in identifier_parts(w) if len(p) >= 2)
    return out


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without English stop words, stemmed: the same for passages and queries.

    An identifier keeps its whole form and adds its parts, so ``warmup_ratio`` in a pasted config
    matches "warmup" in an entry, and "batchnorm" still matches ``BatchNorm``.
    """
    if not _STOP:
        _bm25s()
        from bm25s.stopwords import STOPWORDS_EN

        _STOP.update(STOPWORDS_EN)
    return stem_words([w for w in (x.lower() for x in split_identifiers(text)) if w not in _STOP])


def tokenizer_settings() -> dict[str, Any]:
    """What ``tokenize`` does, as recorded in the manifest (a different value means a stale index)."""
    return {"version": TOKENIZER_VERSION, "pattern": WORD_PATTERN, "lowercase": True,
            "stopwords": "bm25s-en", "identifiers": IDENTIFIERS, "stemmer": "snowball-english" if _stemmer() else "none"}


def build_bm25(passages: list[Passage]) -> Any:
    """A bm25s index over the passages, documents in passage order."""
    import warnings

    bm25s = _bm25s()
    corpus = [tokenize(p.text) for p in passages]
    retriever = bm25s.BM25()
    with warnings.catch_warnings():
        # An empty catalog is reported to the user elsewhere; numpy's mean-of-empty warning adds nothing.
        warnings.simplefilter("ignore", RuntimeWarning)
        retriever.index(_as_tokenized(corpus), show_progress=False)
    return retriever


def _as_tokenized(corpus: list[list[str]]) -> Any:
    bm25s = _bm25s()

    vocab: dict[str, int] = {"": 0}
    ids = []
    for doc in corpus:
        row = []
        for w in doc:
            if w not in vocab:
                vocab[w] = len(vocab)
            row.append(vocab[w])
        ids.append(row or [0])
    return bm25s.tokenization.Tokenized(ids=ids, vocab=vocab)


def load_bm25(path: str) -> Any:
    """A saved bm25s index (scores only, no corpus)."""
    return _bm25s().BM25.load(path, load_corpus=False, show_progress=False)


class KeywordSearcher:
    """BM25 scores of passages for a query (thread-safe: reads only)."""

    def __init__(self, bm25: Any, n_passages: int) -> None:
        self.bm25 = bm25
        self.n_passages = n_passages

    def search(self, text: str, pmask: Any, n: int) -> dict[int, float]:
        """Scores of the best ``n`` passages (only those in ``pmask`` when given), zero scores left out."""
        import numpy as np

        toks = [t for t in tokenize(text)[:MAX_KEYWORD_TOKENS] if t in self.bm25.vocab_dict]
        if not toks or not self.n_passages:
            return {}
        scores = self.bm25.get_scores(toks)
        if pmask is not None:
            scores = np.where(pmask, scores, 0.0)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        return {int(i): float(scores[i]) for i in top if scores[i] > 0}
