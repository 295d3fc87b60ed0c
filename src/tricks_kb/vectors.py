"""Dense side of search: faiss indexes (flat or IVF), reading vectors back, reusing them, cosine scoring.

Cosine similarity is an inner product of L2-normalized vectors (``IndexFlatIP``, or ``IndexIVFFlat``
for large catalogs) inside ``IndexIDMap2``, whose ids are passage numbers.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from . import settings
from .passages import Passage

# Above this many passages an exact scan costs more than ~5 ms per query on a 2-core CPU (it is
# memory-bound: 36 ms for 670k x 384 float32), so the vectors go into an inverted file (IVF) instead:
# k-means lists, of which a query scans the nearest 1/32. IVF rather than HNSW because filters are
# often correlated with the query's topic: a graph walk then finds few kept passages (recall@10 0.39
# against 0.998 for IVF with more lists probed; bench/bench_search.py, docs/benchmarks.md).
IVF_MIN_PASSAGES = 100_000
IVF_TRAIN_PER_LIST = 64  # k-means training sample: this many vectors per list
QUERY_CACHE = 512  # query vectors kept per engine
EMBED_CHUNK = 256  # passages per encode call in a build


def ivf_lists(n: int) -> int:
    """Number of IVF lists for ``n`` vectors (2.5 sqrt(n): 2048 lists for 670k passages)."""
    return max(1, int(2.5 * math.sqrt(n)))


def inner_index(index: Any) -> Any:
    """The IndexFlatIP or IndexIVFFlat inside an IndexIDMap2."""
    import faiss

    return faiss.downcast_index(index.index)


def vectors_of(index: Any) -> Any:
    """All vectors of an IndexIDMap2 (flat or IVF) as an (n, d) float32 array, in id order."""
    import faiss
    import numpy as np

    inner, n, d = inner_index(index), index.ntotal, index.d
    vecs = np.zeros((n, d), dtype="float32")
    if isinstance(inner, faiss.IndexIVF):  # stored list by list, each vector under its sequence number
        lists = inner.invlists
        for no in range(inner.nlist):
            size = lists.list_size(no)
            if size:
                seq = faiss.rev_swig_ptr(lists.get_ids(no), size)
                codes = faiss.rev_swig_ptr(lists.get_codes(no), size * lists.code_size)
                vecs[seq] = np.frombuffer(codes, dtype="float32").reshape(size, d)
    elif n:
        vecs[:] = faiss.rev_swig_ptr(inner.get_xb(), n * d).reshape(n, d)
    out = np.empty_like(vecs)
    out[faiss.vector_to_array(index.id_map)] = vecs
    return out


def make_faiss(vectors: Any) -> Any:
    """IndexIDMap2 holding ``vectors`` with ids 0..n-1: exact IndexFlatIP, or IVF for large catalogs."""
    import faiss
    import numpy as np

    vectors = np.ascontiguousarray(vectors, dtype="float32")
    n, d = int(vectors.shape[0]), int(vectors.shape[1])
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(settings.batch_threads())  # k-means and list assignment are parallel; queries use 1
    try:
        if n <= IVF_MIN_PASSAGES:
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(d))
        else:
            nlist = ivf_lists(n)
            ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
            ivf.nprobe = max(16, nlist // 32)  # stored with the index; search widens it for filters
            sample = np.random.default_rng(0).choice(n, min(n, IVF_TRAIN_PER_LIST * nlist), replace=False)
            ivf.train(vectors[np.sort(sample)])
            index = faiss.IndexIDMap2(ivf)
        if n:
            index.add_with_ids(vectors, np.arange(n, dtype="int64"))
    finally:
        faiss.omp_set_num_threads(before)
    return index


def by_text_hash(passages: list[Passage], index: Any) -> dict[str, Any]:
    """text hash -> stored vector, for passages that ``index`` holds in the same order."""
    vecs = vectors_of(index)
    return {p.text_hash: vecs[i] for i, p in enumerate(passages)}


def reuse_or_embed(passages: list[Passage], reuse: dict[str, Any], dim: int,
                   encode: Callable[[list[str]], Any] | None,
                   on_chunk: Callable[[int], None] | None = None) -> tuple[Any, int]:
    """Vectors for ``passages``: reused by text hash where known, the rest embedded; (vectors, embedded).

    The one way vectors are assembled, used by the build and by the in-memory patch of a stale index.
    Texts to embed go in order of length (similar lengths per batch: little padding).
    """
    import numpy as np

    vectors = np.zeros((len(passages), dim), dtype="float32")
    todo = []
    for i, p in enumerate(passages):
        if p.text_hash in reuse:
            vectors[i] = reuse[p.text_hash]
        else:
            todo.append(i)
    if todo:
        if encode is None:
            raise ValueError("passages need embedding but no model was given")
        todo.sort(key=lambda i: len(passages[i].text))
        for s in range(0, len(todo), EMBED_CHUNK):
            rows = todo[s:s + EMBED_CHUNK]
            vectors[rows] = encode([passages[i].text for i in rows])
            if on_chunk:
                on_chunk(len(rows))
    return vectors, len(todo)


class DenseSearcher:
    """Cosine scores of passages for query texts (thread-safe: faiss reads; the query cache is locked)."""

    def __init__(self, faiss_index: Any, embedder: Any) -> None:
        import faiss

        self.faiss_index = faiss_index
        self.embedder = embedder
        faiss.omp_set_num_threads(1)  # one query at a time: avoid OpenMP spin-waits fighting torch's threads
        inner = inner_index(faiss_index)
        # (lists, lists probed) when the vectors are in an inverted file (large catalogs)
        self.ivf = (int(inner.nlist), int(inner.nprobe)) if isinstance(inner, faiss.IndexIVF) else None
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def clear_cache(self) -> None:
        """Forget cached query vectors."""
        with self._lock:
            self._cache.clear()

    def embed(self, texts: tuple[str, ...]) -> Any:
        """Query vectors, one row per text, in one encode call for those not cached."""
        import numpy as np

        with self._lock:
            rows = {t: self._cache[t] for t in texts if t in self._cache}
            for t in rows:
                self._cache.move_to_end(t)
        todo = [t for t in dict.fromkeys(texts) if t not in rows]
        if todo:
            vecs = self.embedder.encode(todo, batch_size=len(todo))
            with self._lock:
                for t, v in zip(todo, vecs, strict=True):
                    rows[t] = self._cache[t] = v[None, :]
                while len(self._cache) > QUERY_CACHE:
                    self._cache.popitem(last=False)
        return np.vstack([rows[t] for t in texts])

    def search(self, texts: tuple[str, ...], pmask: Any, n: int) -> dict[int, float]:
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
            if self.ivf:
                # The nearest lists may hold few kept passages: probe more lists as the filter keeps fewer;
                # a filter keeping under nprobe/nlist (~3 %) of them probes every list: an exact scan.
                nlist, nprobe = self.ivf
                params = faiss.SearchParametersIVF(sel=sel, nprobe=min(nlist, -(-nprobe * total // kept)))
            else:
                params = faiss.SearchParameters(sel=sel)
            total = kept
        scores, ids = self.faiss_index.search(self.embed(texts), min(n, total), params=params)
        out: dict[int, float] = {}
        for row_ids, row_scores in zip(ids, scores, strict=True):
            for i, s in zip(row_ids, row_scores, strict=True):
                if i >= 0 and s > out.get(int(i), -2.0):
                    out[int(i)] = float(s)
        return out
