"""In-process query latency (p50/p95) of hybrid search on the shipped catalog and synthetic catalogs.

Usage: .venv/bin/python bench/bench_search.py [--sizes 10000 100000] [--queries 200]

Synthetic catalogs copy real entries under new ids with random summaries (words drawn from the
catalog's own vocabulary), one claim each and the template's symptoms (about 6.7 passages per
entry). Embedding hundreds of thousands of passages would take hours here, so each synthetic
passage gets the real vector of a passage of its template entry plus Gaussian noise (cosine ~0.8
to it): clustered like real embeddings, unlike uniform random vectors, which matters for IVF.
The index is written by ``index.write_index`` and served by ``SearchEngine.open``: the same code
path as the real index (exact faiss up to ``IVF_MIN_PASSAGES`` passages, IVF above). For
synthetic catalogs the dense top 10 is compared with an exact scan of the same vectors (recall@10).
The query-embedding cache is cleared before every query, so each timing includes embedding.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

from tricks_kb.embed import model_info  # noqa: E402
from tricks_kb.filters import Filters  # noqa: E402
from tricks_kb.index import write_index  # noqa: E402
from tricks_kb.passages import catalog_passages, content_hash  # noqa: E402
from tricks_kb.retrieval_eval import load_eval  # noqa: E402
from tricks_kb.search import SearchEngine  # noqa: E402
from tricks_kb.vectors import inner_index, vectors_of  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def queries(n: int) -> list[str]:
    base, _ = load_eval(ROOT / "tests" / "eval")
    qs = list(base.values())
    rng = random.Random(0)
    out = []
    while len(out) < n:
        q = rng.choice(qs).split()
        rng.shuffle(q)
        out.append(" ".join(q[: rng.randint(min(2, len(q)), len(q))]))
    return out


def time_queries(engine: SearchEngine, qs: list[str], filters: Filters | None = None) -> tuple[float, ...]:
    """(p50, p95) over every run, then (p50, p95) of each query's best of 3 runs (filters out other load)."""
    for q in qs[:10]:
        engine.search(q, k=10, filters=filters)
    every, best = [], []
    for q in qs:
        runs = []
        for _ in range(3):
            engine.clear_query_cache()
            t = time.perf_counter()
            engine.search(q, k=10, filters=filters)
            runs.append((time.perf_counter() - t) * 1000)
        every += runs
        best.append(min(runs))

    def pct(xs: list[float]) -> tuple[float, float]:
        xs = sorted(xs)
        return statistics.median(xs), xs[int(0.95 * (len(xs) - 1))]

    return (*pct(every), *pct(best))


def synthetic(n: int, real: dict, real_vecs, real_passages: list, out_dir: Path) -> SearchEngine:
    rng = random.Random(n)
    words = sorted({w for p in catalog_passages(real) for w in p.text.lower().split() if w.isalpha() and len(w) > 3})
    templates = [real[t] for t in sorted(real)]
    tricks, template_of = {}, {}
    for i in range(n):
        t = templates[i % len(templates)]
        summary = " ".join(rng.choices(words, k=rng.randint(12, 30))).capitalize() + "."
        tid = f"syn-{i:06d}-{t.id}"[:80]
        template_of[tid] = t.id
        tricks[tid] = t.model_copy(update={"id": tid, "name": f"{t.name} {i}", "summary": summary,
                                           "claims": t.claims[:1]})
    passages = catalog_passages(tricks)
    by_entry: dict[str, list[int]] = {}
    for i, p in enumerate(real_passages):
        by_entry.setdefault(p.entry_id, []).append(i)
    nrng = np.random.default_rng(n)
    base = np.array([rng.choice(by_entry[template_of[p.entry_id]]) for p in passages])
    vecs = real_vecs[base] + nrng.standard_normal((len(passages), real_vecs.shape[1])).astype("float32") * 0.04
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    info = model_info()
    t0 = time.perf_counter()
    write_index(out_dir, passages, vecs, {"name": info.name, "fingerprint": info.fingerprint, "dim": 384},
                {tid: content_hash(t) for tid, t in tricks.items()})
    print(f"  wrote synthetic index: {n} entries, {len(passages)} passages in {time.perf_counter() - t0:.1f}s")
    t0 = time.perf_counter()
    engine = SearchEngine.open(tricks, index_dir=out_dir)
    print(f"  loaded engine in {time.perf_counter() - t0:.1f}s (status {engine.status})")
    assert engine.status == "ok", engine.notice
    return engine


def dense_recall(engine: SearchEngine, qs: list[str], filters: Filters | None = None) -> float:
    """Mean overlap of the engine's dense top 10 with an exact scan of the same vectors."""
    xb = vectors_of(engine.faiss_index)
    pmask = engine.passage_mask(filters)
    out = []
    for q in qs[:50]:
        got = sorted(engine.dense.search((q,), pmask, 200).items(), key=lambda kv: -kv[1])[:10]
        scores = xb @ engine.dense.embed((q,))[0]
        if pmask is not None:
            scores = np.where(pmask, scores, -np.inf)
        exact = set(np.argsort(-scores)[:10].tolist())
        out.append(len({p for p, _ in got} & exact) / 10)
    return statistics.mean(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    qs = queries(args.queries)
    print(f"load average at start: {os.getloadavg()}")
    engine = SearchEngine.load()
    print(f"shipped catalog: {len(engine.tricks)} entries, {len(engine.passages)} passages, status {engine.status}")
    shipped_kind = type(inner_index(engine.faiss_index)).__name__.removeprefix("Index")
    rows = [("shipped", len(engine.tricks), len(engine.passages), shipped_kind, *time_queries(engine, qs), "")]
    f = Filters(category=["optimizer", "schedule"], year_min=2018)
    rare = Filters(verdict=["debunked"])
    rows.append(("shipped + filters", len(engine.tricks), len(engine.passages), shipped_kind,
                 *time_queries(engine, qs, f), ""))
    real = engine.tricks

    real_vecs = vectors_of(engine.faiss_index)
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as d:
            eng = synthetic(n, real, real_vecs, engine.passages, Path(d) / "index")
            kind = type(inner_index(eng.faiss_index)).__name__.removeprefix("Index")
            for label, flt in (("", None), (" + filters", f), (" + rare filter", rare)):
                mask = eng.passage_mask(flt)
                kept = len(eng.passages) if mask is None else int(mask.sum())
                rows.append((f"synthetic {n // 1000}k{label}", n, f"{len(eng.passages)} ({kept} kept)", kind,
                             *time_queries(eng, qs, flt), f"{dense_recall(eng, qs, flt):.3f}"))
            del eng
    print(f"load average at end: {os.getloadavg()}")
    print(f"\n{args.queries} queries x 3 runs, k=10, hybrid; 'best of 3' takes each query's fastest run")
    print("| catalog | entries | passages | vectors | p50 ms | p95 ms | p50 ms (best of 3) | p95 ms (best of 3) "
          "| dense recall@10 vs exact |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, n, p, kind, p50, p95, b50, b95, rec in rows:
        print(f"| {name} | {n} | {p} | {kind} | {p50:.1f} | {p95:.1f} | {b50:.1f} | {b95:.1f} | {rec} |")


if __name__ == "__main__":
    main()
