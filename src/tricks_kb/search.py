"""Ranking: the one public search function and ``SearchEngine``, used by the CLI, the app and the benchmarks.

Hybrid search fuses a dense searcher (faiss cosine, ``vectors.DenseSearcher``) with a keyword searcher
(BM25, ``keywords.KeywordSearcher``) over passages (each trick's entry text and each of its claims),
with the fusion settings passed in (``Fusion``); results are per trick, the best passage wins. An
exact name or alias match ranks first, and misspelt query words are corrected against the catalog's
own vocabulary (``query.QueryReader``) before scoring. ``SearchEngine.load`` never raises for a
missing, stale or corrupt index: it degrades to keyword search and says why in ``notice``
(``opening.open_index``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .filters import FilterMasks, Filters
from .fusion import Fusion, emphasise, fuse, pool
from .keywords import KeywordSearcher
from .passages import Passage
from .query import MAX_PASTE_CHARS, QueryReader, chunks, clean_query, prose_of
from .schema import Trick

FEW_HITS = 3  # fewer hits than this with filters on: count the results without each filter
LOOSEN_PROBE = 10  # results counted without a filter, at most (``loosen`` values: 10 means 10 or more)
MODES = ("hybrid", "dense", "bm25")


@dataclass
class Hit:
    """One trick in the results."""

    id: str
    name: str
    score: float
    verdict: str
    category: str
    grade: str
    summary: str
    matched: str
    matched_kind: str
    claim_index: int | None
    answer: dict[str, Any] | None = None  # the claim that best answers the query: see ``answer_of``
    verdict_reason_short: str = ""  # the verdict's reason, first sentence

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class SearchResponse:
    """Hits, best first, with the mode used and what the user may want to do next, as fields.

    ``corrected_query``: the query with misspelt words corrected (None when nothing changed).
    ``loosen``: for each active filter (``filters.Filters.active`` names), how many results the query
    has without it, at most ``LOOSEN_PROBE``; filled only when the filters leave fewer than
    ``FEW_HITS`` hits, and only filters whose removal gives results.
    """

    hits: list[Hit]
    mode: str
    notice: str | None = None
    corrected_query: str | None = None
    loosen: dict[str, int] = field(default_factory=dict)
    below_floor: bool = False  # nothing in the catalog is close: ``hits`` is empty, ``suggestions`` the nearest
    suggestions: list[str] = field(default_factory=list)  # ids of the nearest tricks when below the floor
    compare: list[str] = field(default_factory=list)  # "X vs Y": the two ids, first in ``hits``


@dataclass
class _Ranked:
    hits: list[Hit]
    below_floor: bool = False
    compare: list[str] = field(default_factory=list)


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` (up to the first '. ', '! ' or '? '), at most 240 characters."""
    import re

    text = " ".join(text.split())
    m = re.search(r"(?<=[.!?])\s+(?=[A-Z(\"'])", text)
    out = text[: m.start()] if m else text
    return out if len(out) <= 240 else out[:237].rsplit(" ", 1)[0] + "..."


def answer_of(trick: Trick, index: int | None, grades: list[str] | None = None) -> dict[str, Any] | None:
    """The answer field of a hit: claim ``index`` (0-based; None: the best-graded claim, first on ties) as
    ``{claim: 1-based number, statement, effect, grade, source: first source key}``."""
    from .evidence import GRADES, grade_claims

    if not trick.claims:
        return None
    grades = grades or [g.grade for g in grade_claims(trick)]
    if index is None or not 0 <= index < len(trick.claims):
        index = min(range(len(grades)), key=lambda i: (GRADES.index(grades[i]), i))
    c = trick.claims[index]
    return {"claim": index + 1, "statement": c.statement, "effect": c.effect.value, "grade": grades[index],
            "source": c.sources[0]}


class SearchEngine:
    """Search over one catalog. Safe to share between threads (reads only; encoding is locked)."""

    status: str
    tricks: dict[str, Trick]

    def __init__(self, tricks: dict[str, Trick], passages: list[Passage], bm25: Any,
                 faiss_index: Any = None, embedder: Any = None, status: str = "ok",
                 notice: str | None = None, fusion: Fusion | None = None) -> None:
        import numpy as np

        from .evidence import best_grade, grade_claims

        self.tricks = tricks
        self.status = status
        self.notice = notice
        self.passages = passages
        self.fusion = fusion or Fusion()
        self.embedder = embedder
        self.keyword = KeywordSearcher(bm25, len(passages))
        self.dense = None
        if faiss_index is not None:
            from .vectors import DenseSearcher

            self.dense = DenseSearcher(faiss_index, embedder)
        self.ids = sorted(tricks)
        self._row = {tid: i for i, tid in enumerate(self.ids)}
        p_trick = np.array([self._row.get(p.entry_id, -1) for p in passages], dtype="int64")
        self._grades = {tid: best_grade(t) for tid, t in tricks.items()}
        self._reasons = {tid: first_sentence(t.verdict_reason) for tid, t in tricks.items()}
        self._claim_grades = {tid: [g.grade for g in grade_claims(t)] for tid, t in tricks.items()}
        self.masks = FilterMasks(tricks, self.ids, self._grades)
        self._p_valid = p_trick >= 0
        self._p_entry = [p.entry_id for p in passages]
        self._p_kind = [p.kind for p in passages]
        self._p_row = np.maximum(p_trick, 0)
        self._entry_pids = {p.entry_id: i for i, p in reversed(list(enumerate(passages))) if p.kind == "entry"}
        self.reader = QueryReader(tricks, passages)

    @property
    def faiss_index(self) -> Any:
        return self.dense.faiss_index if self.dense else None

    @property
    def bm25(self) -> Any:
        return self.keyword.bm25

    # --- construction ------------------------------------------------------------------

    @classmethod
    def load(cls, index_dir: Path | None = None, catalog_dir: Path | None = None,
             model: str | None = None, fusion: Fusion | None = None, dense: bool = True) -> SearchEngine:
        """Load the catalog and its index; degrade to keyword search (with a notice) on any index fault.

        ``dense=False`` (BM25-only searching) never loads the model, the vectors or faiss.
        """
        from .catalog import load_catalog
        from .settings import catalog_dir as default_catalog_dir

        catalog_dir = Path(catalog_dir) if catalog_dir else default_catalog_dir()
        tricks: dict[str, Trick] = {}
        note = None
        if catalog_dir.is_dir():
            tricks = load_catalog([catalog_dir]).tricks
        else:
            note = f"catalog folder {catalog_dir} does not exist"
        engine = cls.open(tricks, index_dir=index_dir, model=model, fusion=fusion, dense=dense)
        if note:
            engine.notice = note + ("; " + engine.notice if engine.notice else "")
        return engine

    @classmethod
    def open(cls, tricks: dict[str, Trick], index_dir: Path | None = None, model: str | None = None,
             fusion: Fusion | None = None, dense: bool = True) -> SearchEngine:
        """An engine for these tricks over the index in ``index_dir`` (see ``opening.open_index``);
        with ``dense=False``, BM25 only (``keyword_only``)."""
        from .opening import open_index

        if not dense:
            return cls.keyword_only(tricks, fusion)

        return cls.from_opened(tricks, open_index(tricks, index_dir=index_dir, model=model), fusion)

    @classmethod
    def keyword_only(cls, tricks: dict[str, Trick], fusion: Fusion | None = None) -> SearchEngine:
        """BM25 over the catalog built in memory: no model, no torch (answers while the model loads)."""
        from .opening import keyword_only

        return cls.from_opened(tricks, keyword_only(tricks), fusion)

    @classmethod
    def from_opened(cls, tricks: dict[str, Trick], opened: Any, fusion: Fusion | None = None) -> SearchEngine:
        """An engine over an ``opening.OpenedIndex``."""
        return cls(tricks, opened.passages, opened.bm25, opened.faiss_index, opened.embedder,
                   status=opened.status, notice=opened.notice, fusion=fusion)

    # --- pieces ------------------------------------------------------------------------

    def correct(self, text: str) -> str:
        """The query with misspelt words replaced by catalog words (see ``query.QueryReader.correct``)."""
        return self.reader.correct(text)

    def clear_query_cache(self) -> None:
        """Forget cached query vectors (benchmarks time embedding too)."""
        if self.dense:
            self.dense.clear_cache()

    def passage_mask(self, filters: Filters | None) -> Any:
        """Boolean mask over passages kept by ``filters`` (None: no filter)."""
        allowed = self.masks.allowed(filters)
        return None if allowed is None else allowed[self._p_row] & self._p_valid

    def fuse(self, dense: dict[int, float], sparse: dict[int, float], mode: str) -> dict[int, float]:
        """Passage scores from dense cosine and BM25 (``fusion.fuse`` with this engine's settings)."""
        return fuse(dense, sparse, mode, self.fusion)

    # --- search ------------------------------------------------------------------------

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               mode: str = "hybrid") -> SearchResponse:
        """Search; never raises for odd input (empty, huge, control characters, markup)."""
        k = max(1, min(int(k), 1000)) if isinstance(k, int) and not isinstance(k, bool) else 10
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        text = clean_query(query)
        allowed = self.masks.allowed(filters)
        if not text:
            return self._browse(allowed)
        mode_used = "keyword" if self.embedder is None and mode != "bm25" else mode
        corrected = self.correct(text)
        full = clean_query(query, MAX_PASTE_CHARS) if len(text) >= 400 else text
        prose = prose_of(query) if isinstance(query, str) else None
        ranked = self._rank(text, corrected, k, allowed, mode_used, extra=chunks(full, text),
                            prose=clean_query(prose) if prose else None)
        hits = ranked.hits
        loosen: dict[str, int] = {}
        if filters is not None and filters.active() and len(hits) < FEW_HITS:
            loosen = self._loosen(text, corrected, filters, mode_used)
        resp = SearchResponse(hits=hits, mode=mode_used, notice=self.notice,
                              corrected_query=corrected if corrected != text else None, loosen=loosen,
                              compare=ranked.compare)
        if ranked.below_floor:
            resp.hits, resp.below_floor, resp.suggestions = [], True, [h.id for h in hits[:3]]
        return resp

    def _rank(self, text: str, corrected: str, k: int, allowed: Any, mode: str,
              extra: list[str] | None = None, prose: str | None = None) -> _Ranked:
        """Rank for the query; ``extra``: pieces of a long paste past the clipped ``text`` (both sides use them);
        ``prose``: the person-written lines of a multi-line paste, which count more than the rest."""
        pmask = None
        if allowed is not None:
            if not allowed.any():
                return _Ranked([])
            pmask = allowed[self._p_row] & self._p_valid
        n = max(self.fusion.min_candidates, 20 * k)
        # A "correction" can also turn a real word the catalog lacks into a wrong one ("interpolate" ->
        # "iterate"): the dense side scores both texts and keeps each passage's better score.
        texts = ((corrected,) if corrected == text else (text, corrected)) + tuple(extra or ())
        use_dense = self.dense is not None and mode in ("hybrid", "dense")
        dense = self.dense.search(texts, pmask, n) if use_dense else {}
        lexical_q = (corrected if corrected == text else f"{corrected} {text}") + "".join(f" {c}" for c in extra or ())
        sparse = self.keyword.search(lexical_q, pmask, n) if mode in ("hybrid", "bm25", "keyword") else {}
        if prose:
            f = self.fusion
            if dense:
                dense = emphasise(self.dense.search((prose,), pmask, n), dense, f.paste_rest_dense, "max")
            if sparse:
                sparse = emphasise(self.keyword.search(prose, pmask, n), sparse, f.paste_rest_keyword, "sum")
        fused = self.fuse(dense, sparse, mode)
        pooled = pool(fused, self._p_entry, self._p_kind, self.tricks, self.fusion)
        best, claims = pooled.best, pooled.claims
        for tid in self.reader.mentioned(corrected, text):
            if tid in best and (allowed is None or allowed[self._row[tid]]):
                best[tid] = (best[tid][0] + self.fusion.mention_bonus, best[tid][1])
        if self.fusion.grade_bonus or self.fusion.established_bonus:
            gb, eb = self.fusion.grade_bonus, self.fusion.established_bonus
            for tid, (sc, pid) in best.items():
                prior = gb * (3 - "ABCD".index(self._grades[tid])) + eb * (self.tricks[tid].verdict == "established")
                best[tid] = (sc + prior, pid)
        order = sorted(best, key=lambda t: (-best[t][0], t))
        exact = [t for t in dict.fromkeys(self.reader.named(q) for q in (text, corrected))
                 if t and (allowed is None or allowed[self._row[t]])]
        pair = [t for t in self._compared(corrected, mode) if allowed is None or allowed[self._row[t]]]
        pair = pair if len(pair) == 2 else []
        for tid in reversed(exact or pair):
            if tid in order:
                order.remove(tid)
            order.insert(0, tid)
            if tid not in best:
                best[tid] = (0.0, self._entry_pids.get(tid))
        top = order[:k]
        lead = max((best[t][0] for t in top), default=0.0)
        hits = []
        firsts = len(exact or pair)
        for rank, tid in enumerate(top):
            s, pid = best[tid]
            if rank < firsts:  # exact name/alias or compared names: ranked first, scores stay decreasing
                s = lead + 1.0 - 0.01 * rank
            claim = claims.get(tid)
            hits.append(self._hit(tid, s, pid, claim[1] if claim else None))
        floor = self.fusion.floor
        below = bool(floor and dense and not exact and not pair
                     and (max(dense.values()) < floor or not self.reader.has_known_word(corrected)))
        if below and pmask is not None:  # the floor judges the query against the whole catalog, not the filter
            below = max(self.dense.search(texts, None, 1).values(), default=0.0) < floor
        return _Ranked(hits, below_floor=below, compare=pair)

    def _compared(self, text: str, mode: str) -> list[str]:
        """The two tricks of a comparison: each side by name, or (for "vs") by its own best keyword hit."""
        sides = self.reader.comparison(text)
        if not sides:
            return []
        pair = []
        for side in sides[:2]:
            tid = self.reader.side(side)
            if tid is None and sides[2] and side.strip():
                top = self._rank(side, side, 1, None, "bm25").hits  # keyword side only: no second embedding
                tid = top[0].id if top else None
            pair.append(tid)
        return pair if pair[0] and pair[1] and pair[0] != pair[1] else []

    def _hit(self, tid: str, score: float, pid: int | None, claim_pid: int | None = None) -> Hit:
        t = self.tricks[tid]
        p = self.passages[pid] if pid is not None and 0 <= pid < len(self.passages) else None
        if p is None or p.entry_id != tid:
            p = Passage(tid, "entry", None, t.summary)
        index = None
        if claim_pid is not None and 0 <= claim_pid < len(self.passages):
            index = self.passages[claim_pid].claim_index
        return Hit(id=tid, name=t.name, score=round(float(score), 6), verdict=t.verdict.value,
                   category=t.category.value, grade=self._grades[tid], summary=t.summary, matched=p.text,
                   matched_kind=p.kind, claim_index=p.claim_index, answer=answer_of(t, index, self._claim_grades[tid]),
                   verdict_reason_short=self._reasons[tid])

    def _browse(self, allowed: Any) -> SearchResponse:
        import numpy as np

        pool = self.ids if allowed is None else [self.ids[i] for i in np.flatnonzero(allowed)]
        ids = sorted(pool, key=lambda t: (self.tricks[t].name.casefold(), t))
        return SearchResponse(hits=[self._hit(t, 0.0, None) for t in ids], mode="browse", notice=self.notice)

    def _loosen(self, text: str, corrected: str, filters: Filters, mode: str) -> dict[str, int]:
        out = {}
        for name in filters.active():
            n = len(self._rank(text, corrected, LOOSEN_PROBE, self.masks.allowed(filters.without(name)), mode).hits)
            if n:
                out[name] = n
        return out


_DEFAULT: SearchEngine | None = None
_DEFAULT_LOCK = threading.Lock()


def default_engine() -> SearchEngine:
    """The process-wide engine over the default catalog and index (loaded once)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = SearchEngine.load()
        return _DEFAULT


def search(query: str, k: int = 10, filters: Filters | None = None, engine: SearchEngine | None = None,
           mode: str = "hybrid") -> SearchResponse:
    """Search the catalog (see SearchEngine.search); uses the default engine when none is given."""
    return (engine or default_engine()).search(query, k=k, filters=filters, mode=mode)
