"""Scoring tricks from passage scores: the ``Fusion`` settings, dense + BM25 fusion and per-trick pooling.

``search.SearchEngine`` gets a cosine per passage (dense side) and a BM25 score per passage (keyword
side) for the query; ``fuse`` turns them into one score per passage and ``pool`` into one score per
trick (its best passage plus a share of the next ones), remembering each trick's best passage and best
claim. Every setting was chosen by measurement (docs/benchmarks.md, "Retrieval quality").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fusion:
    """How dense and keyword scores are fused and pooled; chosen by measurement (docs/benchmarks.md)."""

    method: str = "weighted"  # "weighted" (BM25 scaled by its max) or "rrf"
    dense_weight: float = 0.6
    rrf_k: int = 60
    min_candidates: int = 200  # passages taken from each side at least
    mention_bonus: float = 0.15  # added to a trick whose name or alias appears whole in a longer query
    second_weight: float = 0.2  # share of a trick's second-best passage score added to its best
    # Each passage's fused score is multiplied by the weight of its kind before pooling: the entry passage
    # (name, aliases, summary, how-to) says what a trick is about; a claim often shares only incidental
    # words with a question (a dataset, "labels", "weights"), and so outranked entries that answer it.
    entry_weight: float = 1.15
    claim_weight: float = 0.85
    symptom_weight: float = 1.0
    grade_bonus: float = 0.0  # evidence-aware order: added per grade step above D of a trick's best claim
    established_bonus: float = 0.0  # an entry-level prior for tricks with the verdict "established"
    # A pasted multi-line question (``query.prose_of``): passages are scored against its prose lines, and
    # against the whole paste (logs, tracebacks, configs) at these shares (docs/benchmarks.md, "Search III").
    paste_rest_dense: float = 0.8  # a passage's cosine: max(prose, this x whole paste)
    paste_rest_keyword: float = 0.2  # BM25: prose / its best + this x whole paste / its best
    floor: float = 0.30  # best passage cosine under which nothing is returned (0: off; docs/benchmarks.md)


def fuse(dense: dict[int, float], sparse: dict[int, float], mode: str, f: Fusion) -> dict[int, float]:
    """Passage scores from dense cosine and BM25: weighted (BM25 scaled by its max) or RRF."""
    if not dense:
        return dict(sparse)
    if not sparse or mode == "dense":
        return dict(dense)
    if f.method == "rrf":
        rd = {p: r for r, p in enumerate(sorted(dense, key=lambda p: -dense[p]), 1)}
        rs = {p: r for r, p in enumerate(sorted(sparse, key=lambda p: -sparse[p]), 1)}
        return {p: (1 / (f.rrf_k + rd[p]) if p in rd else 0.0) + (1 / (f.rrf_k + rs[p]) if p in rs else 0.0)
                for p in set(dense) | set(sparse)}
    w = f.dense_weight
    top = max(sparse.values())
    return {p: w * dense.get(p, 0.0) + (1 - w) * (sparse.get(p, 0.0) / top) for p in set(dense) | set(sparse)}


def emphasise(prose: dict[int, float], rest: dict[int, float], share: float, how: str) -> dict[int, float]:
    """Scores of one side for a paste from its prose lines' scores and the whole paste's: ``how`` "max"
    (cosines: the better of prose and ``share`` x rest) or "sum" (BM25: each scaled by its best)."""
    if how == "max":
        return {p: max(prose.get(p, -1.0), share * rest.get(p, -1.0)) for p in set(prose) | set(rest)}
    top_p = max(prose.values(), default=0.0) or 1.0
    top_r = max(rest.values(), default=0.0) or 1.0
    return {p: prose.get(p, 0.0) / top_p + share * rest.get(p, 0.0) / top_r for p in set(prose) | set(rest)}


@dataclass
class Pooled:
    """Per trick: its score and best passage (``best``), and its best-scoring claim passage (``claims``)."""

    best: dict[str, tuple[float, int | None]]
    claims: dict[str, tuple[float, int]]


def kind_weight(kind: str, f: Fusion) -> float:
    """The weight of a passage kind ("entry", "claim", "symptom"; 1 for any other)."""
    return {"entry": f.entry_weight, "claim": f.claim_weight, "symptom": f.symptom_weight}.get(kind, 1.0)


def pool(fused: dict[int, float], entry_of: list[str], kinds: list[str], known: dict | set,
         f: Fusion) -> Pooled:
    """One score per trick in ``known`` from its passages' fused scores, each times its kind's weight:
    best + ``second_weight`` x second. The passage reported for a trick is its best-scoring one before
    the weights (the text that matches the query best: a quoted claim shows that claim)."""
    best: dict[str, tuple[float, int | None]] = {}
    claims: dict[str, tuple[float, int]] = {}
    top: dict[str, float] = {}
    second: dict[str, float] = {}
    shown: dict[str, tuple[float, int]] = {}
    weights = {k: kind_weight(k, f) for k in ("entry", "claim", "symptom")}
    for pid, raw in fused.items():
        tid = entry_of[pid]
        if tid not in known:
            continue
        s = raw * weights.get(kinds[pid], 1.0)
        if tid not in top or s > top[tid]:
            if tid in top:
                second[tid] = top[tid]
            top[tid] = s
        elif s > second.get(tid, 0.0):
            second[tid] = s
        if tid not in shown or raw > shown[tid][0]:
            shown[tid] = (raw, pid)
        if kinds[pid] == "claim" and (tid not in claims or raw > claims[tid][0]):
            claims[tid] = (raw, pid)
    for tid, s in top.items():
        best[tid] = (s + f.second_weight * second.get(tid, 0.0), shown[tid][1])
    return Pooled(best, claims)
