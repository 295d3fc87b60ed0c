"""The one public search function, used by the CLI, the app and the benchmarks.

Hybrid search fuses dense cosine similarity (faiss) with BM25 (bm25s) over passages (each trick's
entry text and each of its claims); results are per trick, the best passage wins. An exact name
or alias match ranks first, and misspelt query words are corrected against the catalog's own
vocabulary before scoring. ``SearchEngine.load`` never raises for a missing, stale or corrupt
index: it degrades to keyword search over the catalog and says why in ``notice``.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .passages import Passage, catalog_passages
from .schema import Trick

MAX_QUERY_CHARS = 512
MAX_QUERY_TOKENS = 64
RRF_K = 60
FUSION = "weighted"  # "weighted" or "rrf"; chosen by measurement (docs/benchmarks.md)
DENSE_WEIGHT = 0.6
MIN_CANDIDATES = 200
MAX_LIVE_EMBED = 3000  # a stale index is patched in memory when at most this many passages changed
FEW_HITS = 3
MENTION_BONUS = 0.15  # added to a trick whose name or alias appears whole in a longer query
MODES = ("hybrid", "dense", "bm25")


@dataclass
class Filters:
    """Optional filters: AND across fields, OR within a list."""

    categories: list[str] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    grades: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    tags: list[str] = field(default_factory=list)

    def active(self) -> list[str]:
        """Names of the fields that restrict anything."""
        out = [f for f in ("categories", "verdicts", "grades", "domains", "tags") if getattr(self, f)]
        if self.year_min is not None or self.year_max is not None:
            out.append("years")
        return out

    def without(self, name: str) -> Filters:
        """A copy with one field (or the year range) cleared."""
        d = dict(self.__dict__)
        if name == "years":
            d["year_min"] = d["year_max"] = None
        else:
            d[name] = []
        return Filters(**{k: (list(v) if isinstance(v, list) else v) for k, v in d.items()})


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

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class SearchResponse:
    """Hits, best first, with the mode used and anything the user should know.

    ``suggestions`` use stable wordings that the app parses: ``Did you mean “<query>”?`` and
    ``Loosen the <categories|verdicts|grades|domains|tags|years> filter (<n> results without it)``.
    """

    hits: list[Hit]
    mode: str
    notice: str | None = None
    suggestions: list[str] = field(default_factory=list)


@dataclass
class _Meta:
    category: str
    verdict: str
    grade: str
    domains: frozenset[str]
    years: tuple[int, ...]
    tags: frozenset[str]


_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


def clean_query(query: object) -> str:
    """Printable, single-spaced text, clipped at a word boundary to MAX_QUERY_CHARS."""
    if not isinstance(query, str):
        query = "" if query is None else str(query)
    query = query[: MAX_QUERY_CHARS * 8]
    out = []
    for ch in query:
        cat = unicodedata.category(ch)
        out.append(" " if cat[0] in "CZ" else ch)
    text = " ".join("".join(out).split())
    if len(text) > MAX_QUERY_CHARS:
        cut = text[:MAX_QUERY_CHARS]
        text = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return text


_LEXICON: dict[str, int] | None = None
_LEXICON_LOCK = threading.Lock()


def english_lexicon() -> dict[str, int]:
    """English words with their frequencies (pyspellchecker's list; loaded once, ~0.1 s; {} if missing).

    Used only to tell real words from typos: its list leaves out common misspellings ("recieve", "lenght").
    """
    global _LEXICON
    with _LEXICON_LOCK:
        if _LEXICON is None:
            try:
                from spellchecker import SpellChecker

                _LEXICON = dict(SpellChecker(distance=1).word_frequency.dictionary)
            except Exception:  # noqa: BLE001 - missing package or damaged data: correct without it
                _LEXICON = {}
        return _LEXICON


def _norm_name(text: str) -> str:
    return " ".join(_WORDS.findall(text.casefold().replace("-", " ")))


class SearchEngine:
    """Search over one catalog. Safe to share between threads (reads only; encoding is locked)."""

    status: str
    tricks: dict[str, Trick]

    def __init__(self, tricks: dict[str, Trick], passages: list[Passage], bm25: Any,
                 faiss_index: Any = None, embedder: Any = None, status: str = "ok",
                 notice: str | None = None) -> None:
        import numpy as np

        from .evidence import best_grade

        self.tricks = tricks
        self.status = status
        self.notice = notice
        self.passages = passages
        self.bm25 = bm25
        self.faiss_index = faiss_index
        self.embedder = embedder
        self._ivf = None  # (lists, lists probed) when the vectors are in an inverted file (large catalogs)
        if faiss_index is not None:
            import faiss

            from .index import inner_index

            faiss.omp_set_num_threads(1)  # one query at a time: avoid OpenMP spin-waits fighting torch's threads
            inner = inner_index(faiss_index)
            if isinstance(inner, faiss.IndexIVF):
                self._ivf = (int(inner.nlist), int(inner.nprobe))
        self.ids = sorted(tricks)
        self._row = {tid: i for i, tid in enumerate(self.ids)}
        self._p_trick = np.array([self._row.get(p.entry_id, -1) for p in passages], dtype="int64")
        self._meta = {tid: _Meta(
            category=t.category.value, verdict=t.verdict.value, grade=best_grade(t),
            domains=frozenset(d.value for d in t.applies_to.domains),
            years=tuple(s.year for s in t.sources.values()), tags=frozenset(t.tags),
        ) for tid, t in tricks.items()}
        metas = [self._meta[t] for t in self.ids]
        self._cat = np.array([m.category for m in metas], dtype=object)
        self._verd = np.array([m.verdict for m in metas], dtype=object)
        self._grade = np.array([m.grade for m in metas], dtype=object)
        self._dom = self._value_masks([m.domains for m in metas])
        self._tag = self._value_masks([m.tags for m in metas])
        pairs = [(r, y) for r, m in enumerate(metas) for y in m.years]
        self._year_row = np.array([r for r, _ in pairs], dtype="int64")
        self._year_val = np.array([y for _, y in pairs], dtype="int64")
        self._p_valid = self._p_trick >= 0
        self._p_row = np.maximum(self._p_trick, 0)
        self._entry_pids = {p.entry_id: i for i, p in reversed(list(enumerate(passages))) if p.kind == "entry"}
        self._exact: dict[str, str] = {}
        for tid in self.ids:
            t = tricks[tid]
            for label in (t.name, *t.aliases, tid):
                self._exact.setdefault(_norm_name(label), tid)
        self._name_vocab = sorted({w for label in self._exact for w in label.split() if len(w) >= 3 and not w.isdigit()}
                                  | {w for t in tricks.values() for tag in t.tags for w in tag.split("-")
                                     if len(w) >= 3})
        self._text_vocab = sorted({w for p in passages for w in _WORDS.findall(p.text.casefold())
                                   if len(w) >= 3 and not w.isdigit()})
        self._known = set(self._text_vocab) | set(self._name_vocab)
        from .index import stem_words

        self._known_stems = set(stem_words(sorted(self._known)))
        self._qcache: OrderedDict[str, Any] = OrderedDict()
        self._qlock = threading.Lock()

    # --- construction ------------------------------------------------------------------

    @classmethod
    def load(cls, index_dir: Path | None = None, catalog_dir: Path | None = None,
             model: str | None = None, dense: bool = True) -> SearchEngine:
        """Load the catalog and its index; degrade to keyword search (with a notice) on any index fault.

        ``dense=False`` (for BM25-only searching) never touches the model.
        """
        from .catalog import default_catalog_dir, load_catalog

        catalog_dir = Path(catalog_dir) if catalog_dir else default_catalog_dir()
        tricks: dict[str, Trick] = {}
        note = None
        if catalog_dir.is_dir():
            tricks = load_catalog([catalog_dir]).tricks
        else:
            note = f"catalog folder {catalog_dir} does not exist"
        engine = cls.open(tricks, index_dir=index_dir, model=model, dense=dense)
        if note:
            engine.notice = note + ("; " + engine.notice if engine.notice else "")
        return engine

    @classmethod
    def open(cls, tricks: dict[str, Trick], index_dir: Path | None = None,
             model: str | None = None, dense: bool = True) -> SearchEngine:
        """An engine for these tricks over the index in ``index_dir`` (patched in memory when stale).

        Queries are embedded by the ONNX backend when its export is there, else by torch (``embed``).
        ``dense=False`` gives a BM25-only engine that never loads the model (nor faiss).
        """
        from .embed import ModelError, load_embedder, model_info
        from .index import IndexError_, build_bm25, check_against, default_index_dir, load_index

        index_dir = Path(index_dir) if index_dir else default_index_dir()
        passages = catalog_passages(tricks)

        def keyword(status: str, why: str) -> SearchEngine:
            return cls(tricks, passages, build_bm25(passages), status=status,
                       notice=f"keyword search only: {why}")

        if not dense:
            return cls(tricks, passages, build_bm25(passages))

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
            embedder = load_embedder(info=info, backend="auto")
        except ModelError as exc:
            return keyword("model-missing", str(exc))
        if embedder.dim != idx.dim:
            return keyword("model-mismatch", f"the index has dimension {idx.dim} but the model gives "
                                             f"{embedder.dim}: run `tricks-kb build`")
        res = check_against(idx.manifest, tricks)
        if res.ok:
            return cls(tricks, idx.passages, idx.bm25, idx.faiss_index, embedder, status="ok")
        return cls._patched(tricks, passages, idx, embedder, res.describe(), keyword)

    @classmethod
    def _patched(cls, tricks, passages, idx, embedder, why, keyword) -> SearchEngine:
        import numpy as np

        from .index import build_bm25, make_faiss, vectors_of

        old = vectors_of(idx.faiss_index)
        reuse = {p.text_hash: old[i] for i, p in enumerate(idx.passages)}
        todo = [i for i, p in enumerate(passages) if p.text_hash not in reuse]
        if len(todo) > MAX_LIVE_EMBED:
            return keyword("stale", f"the index is stale ({why}): run `tricks-kb build`")
        vecs = np.zeros((len(passages), idx.dim), dtype="float32")
        for i, p in enumerate(passages):
            if p.text_hash in reuse:
                vecs[i] = reuse[p.text_hash]
        if todo:
            vecs[todo] = embedder.encode([passages[i].text for i in todo])
        return cls(tricks, passages, build_bm25(passages), make_faiss(vecs), embedder, status="stale",
                   notice=f"the index is stale ({why}); changed entries were embedded in memory for now: "
                          "run `tricks-kb build` to save them")

    # --- pieces ------------------------------------------------------------------------

    def _value_masks(self, values: list[frozenset[str]]) -> dict[str, Any]:
        import numpy as np

        out: dict[str, Any] = {}
        for row, vals in enumerate(values):
            for v in vals:
                out.setdefault(v, np.zeros(len(values), dtype=bool))[row] = True
        return out

    def _allowed(self, f: Filters | None):
        """Boolean mask over trick rows (None: no filter)."""
        import numpy as np

        if f is None or not f.active():
            return None
        n = len(self.ids)
        m = np.ones(n, dtype=bool)
        for values, column in ((f.categories, self._cat), (f.verdicts, self._verd),
                               ([str(g).upper() for g in f.grades], self._grade)):
            if values:
                m &= np.isin(column, [str(v) for v in values])
        for values, masks in ((f.domains, self._dom), (f.tags, self._tag)):
            if values:
                anyof = np.zeros(n, dtype=bool)
                for v in values:
                    if v in masks:
                        anyof |= masks[v]
                m &= anyof
        if f.year_min is not None or f.year_max is not None:
            lo = f.year_min if f.year_min is not None else -(10**9)
            hi = f.year_max if f.year_max is not None else 10**9
            ym = np.zeros(n, dtype=bool)
            ym[self._year_row[(self._year_val >= lo) & (self._year_val <= hi)]] = True
            m &= ym
        return m

    def _is_known(self, word: str) -> bool:
        """A catalog word, another form of one ("explodes" for "exploding"), an English word, a number, or
        too short to judge: not a typo."""
        from .index import stem_words

        return (len(word) < 4 or word.isdigit() or word in self._known
                or stem_words([word])[0] in self._known_stems or word in english_lexicon())

    def correct(self, text: str) -> str:
        """Replace misspelt query words with the closest catalog word (rapidfuzz).

        Only words that are neither English nor known to the catalog in any form are candidates, and a
        replacement must look like a typo of them (similar, and at most two letters longer or shorter):
        "lable" becomes "label", "warmpu" "warmup", but "seek", "explodes", "fine-tuning" or
        "interpolate" stay as they are.
        """
        from rapidfuzz import fuzz, process

        words = text.split()
        changed = False
        out = []
        for w in words:
            parts = _WORDS.findall(w.casefold())
            core = "".join(parts)
            if self._is_known(core) or all(self._is_known(p) for p in parts) or len(out) >= MAX_QUERY_TOKENS:
                out.append(w)
                continue
            best = None
            for vocab, cutoff in ((self._name_vocab, 80), (self._text_vocab, 85)):
                for cand, _, _ in process.extract(core, vocab, scorer=fuzz.ratio, score_cutoff=cutoff, limit=5):
                    if abs(len(cand) - len(core)) <= 2:
                        best = cand
                        break
                if best:
                    break
            if best is not None and best != core:
                out.append(best)
                changed = True
            else:
                out.append(w)
        return " ".join(out) if changed else text

    def _embed(self, texts: tuple[str, ...]):
        """Query vectors, one row per text, in one encode call for those not cached."""
        import numpy as np

        with self._qlock:
            rows = {t: self._qcache[t] for t in texts if t in self._qcache}
            for t in rows:
                self._qcache.move_to_end(t)
        todo = [t for t in dict.fromkeys(texts) if t not in rows]
        if todo:
            vecs = self.embedder.encode(todo, batch_size=len(todo))
            with self._qlock:
                for t, v in zip(todo, vecs, strict=True):
                    rows[t] = self._qcache[t] = v[None, :]
                while len(self._qcache) > 512:
                    self._qcache.popitem(last=False)
        return np.vstack([rows[t] for t in texts])

    def _dense(self, texts: tuple[str, ...], pmask, n: int) -> dict[int, float]:
        """Cosine scores of the best ``n`` passages; with several query texts, each passage's best score."""
        import faiss
        import numpy as np

        total = self.faiss_index.ntotal
        if total == 0:
            return {}
        params = None
        if pmask is not None:
            kept = int(pmask.sum())
            if kept == 0:
                return {}
            bits = np.packbits(pmask, bitorder="little")
            sel = faiss.IDSelectorBitmap(len(pmask), faiss.swig_ptr(bits))
            if self._ivf:
                # The nearest lists may hold few kept passages: probe more lists as the filter keeps fewer;
                # a filter keeping under nprobe/nlist (~3 %) of them probes every list: an exact scan.
                nlist, nprobe = self._ivf
                params = faiss.SearchParametersIVF(sel=sel, nprobe=min(nlist, -(-nprobe * total // kept)))
            else:
                params = faiss.SearchParameters(sel=sel)
            total = kept
        scores, ids = self.faiss_index.search(self._embed(texts), min(n, total), params=params)
        out: dict[int, float] = {}
        for row_ids, row_scores in zip(ids, scores, strict=True):
            for i, s in zip(row_ids, row_scores, strict=True):
                if i >= 0 and s > out.get(int(i), -2.0):
                    out[int(i)] = float(s)
        return out

    def _bm25(self, text: str, pmask, n: int) -> dict[int, float]:
        import numpy as np

        from .index import tokenize

        toks = [t for t in tokenize(text)[:MAX_QUERY_TOKENS] if t in self.bm25.vocab_dict]
        if not toks or not self.passages:
            return {}
        scores = self.bm25.get_scores(toks)
        if pmask is not None:
            scores = np.where(pmask, scores, 0.0)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        return {int(i): float(scores[i]) for i in top if scores[i] > 0}

    # --- search ------------------------------------------------------------------------

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               mode: str = "hybrid") -> SearchResponse:
        """Search; never raises for odd input (empty, huge, control characters, markup)."""
        k = max(1, min(int(k), 1000)) if isinstance(k, int) and not isinstance(k, bool) else 10
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        text = clean_query(query)
        allowed = self._allowed(filters)
        if not text:
            return self._browse(allowed)
        notice = self.notice
        mode_used = "keyword" if self.embedder is None and mode != "bm25" else mode
        corrected = self.correct(text)
        suggestions = [f"Did you mean “{corrected}”?"] if corrected != text else []
        hits = self._rank(text, corrected, k, allowed, mode_used)
        if filters is not None and filters.active() and len(hits) < FEW_HITS:
            suggestions += self._loosen(text, corrected, filters, mode_used)
        if not hits and not suggestions:
            suggestions.append("No trick matches these words: try other words, or an empty query to browse")
        return SearchResponse(hits=hits, mode=mode_used, notice=notice, suggestions=suggestions)

    def _rank(self, text: str, corrected: str, k: int, allowed, mode: str) -> list[Hit]:
        pmask = None
        if allowed is not None:
            if not allowed.any():
                return []
            pmask = allowed[self._p_row] & self._p_valid
        n = max(MIN_CANDIDATES, 20 * k)
        # A "correction" can also turn a real word the catalog lacks into a wrong one ("interpolate" ->
        # "iterate"): the dense side scores both texts and keeps each passage's better score.
        texts = (corrected,) if corrected == text else (text, corrected)
        dense = self._dense(texts, pmask, n) if mode in ("hybrid", "dense") else {}
        lexical_q = corrected if corrected == text else f"{corrected} {text}"
        sparse = self._bm25(lexical_q, pmask, n) if mode in ("hybrid", "bm25", "keyword") else {}
        fused = self.fuse(dense, sparse, mode)
        best: dict[str, tuple[float, int]] = {}
        for pid, s in fused.items():
            tid = self.passages[pid].entry_id
            if tid in self.tricks and (tid not in best or s > best[tid][0]):
                best[tid] = (s, pid)
        for tid in self._mentioned(corrected, text):
            if tid in best and (allowed is None or allowed[self._row[tid]]):
                best[tid] = (best[tid][0] + MENTION_BONUS, best[tid][1])
        order = sorted(best, key=lambda t: (-best[t][0], t))
        exact = [t for t in dict.fromkeys(self._exact.get(_norm_name(q)) for q in (text, corrected))
                 if t and (allowed is None or allowed[self._row[t]])]
        for tid in reversed(exact):
            if tid in order:
                order.remove(tid)
            order.insert(0, tid)
            if tid not in best:
                best[tid] = (0.0, self._entry_pid(tid))
        top = order[:k]
        lead = max((best[t][0] for t in top), default=0.0)
        hits = []
        for rank, tid in enumerate(top):
            s, pid = best[tid]
            if rank < len(exact):  # exact name/alias matches: ranked first, scores stay decreasing
                s = lead + 1.0 - 0.01 * rank
            hits.append(self._hit(tid, s, pid))
        return hits

    def _mentioned(self, *queries: str) -> set[str]:
        """Tricks named in a longer query ("lion vs adamw"): whole names or aliases of 3+ characters."""
        found: set[str] = set()
        for q in queries:
            words = _norm_name(q).split()
            if len(words) < 2:
                continue
            padded = " " + " ".join(words) + " "
            for n in range(1, min(6, len(words)) + 1):
                for i in range(len(words) - n + 1):
                    label = " ".join(words[i:i + n])
                    tid = self._exact.get(label)
                    if tid and len(label) >= 3 and label != " ".join(words) and f" {label} " in padded:
                        found.add(tid)
        return found

    def fuse(self, dense: dict[int, float], sparse: dict[int, float], mode: str,
             method: str | None = None, weight: float | None = None) -> dict[int, float]:
        """Passage scores from dense cosine and BM25: weighted (BM25 scaled by its max) or RRF."""
        if not dense:
            return dict(sparse)
        if not sparse or mode == "dense":
            return dict(dense)
        method = method or FUSION
        if method == "rrf":
            rd = {p: r for r, p in enumerate(sorted(dense, key=lambda p: -dense[p]), 1)}
            rs = {p: r for r, p in enumerate(sorted(sparse, key=lambda p: -sparse[p]), 1)}
            return {p: (1 / (RRF_K + rd[p]) if p in rd else 0.0) + (1 / (RRF_K + rs[p]) if p in rs else 0.0)
                    for p in set(dense) | set(sparse)}
        w = DENSE_WEIGHT if weight is None else weight
        top = max(sparse.values())
        return {p: w * dense.get(p, 0.0) + (1 - w) * (sparse.get(p, 0.0) / top)
                for p in set(dense) | set(sparse)}

    def _entry_pid(self, tid: str) -> int | None:
        return self._entry_pids.get(tid)

    def _hit(self, tid: str, score: float, pid: int | None) -> Hit:
        t, m = self.tricks[tid], self._meta[tid]
        p = self.passages[pid] if pid is not None and 0 <= pid < len(self.passages) else None
        if p is None or p.entry_id != tid:
            p = Passage(tid, "entry", None, t.summary)
        return Hit(id=tid, name=t.name, score=round(float(score), 6), verdict=m.verdict, category=m.category,
                   grade=m.grade, summary=t.summary, matched=p.text, matched_kind=p.kind,
                   claim_index=p.claim_index)

    def _browse(self, allowed) -> SearchResponse:
        import numpy as np

        pool = self.ids if allowed is None else [self.ids[i] for i in np.flatnonzero(allowed)]
        ids = sorted(pool, key=lambda t: (self.tricks[t].name.casefold(), t))
        hits = [self._hit(t, 0.0, None) for t in ids]
        sugg = [] if hits or allowed is None else ["No trick matches every filter: loosen the filters"]
        return SearchResponse(hits=hits, mode="browse", notice=self.notice, suggestions=sugg)

    def _loosen(self, text: str, corrected: str, filters: Filters, mode: str) -> list[str]:
        out = []
        for name in filters.active():
            n = len(self._rank(text, corrected, 10, self._allowed(filters.without(name)), mode))
            if n:
                out.append(f"Loosen the {name} filter ({n}{'+' if n >= 10 else ''} results without it)")
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
