"""Hybrid search over a real index of the 12-entry fixture catalog (real model, faiss, bm25s)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tricks_kb.filters import Filters
from tricks_kb.query import clean_query
from tricks_kb.search import SearchEngine, search

pytestmark = pytest.mark.slow


def _ids(resp):
    return [h.id for h in resp.hits]


def test_hybrid_finds_symptom_query(search_engine):
    resp = search_engine.search("my loss spikes early in training", k=5)
    assert resp.mode == "hybrid" and resp.notice is None
    assert {"loss-spike-rollback", "gradient-clipping", "lr-warmup"} & set(_ids(resp)[:3])
    scores = [h.score for h in resp.hits]
    assert scores == sorted(scores, reverse=True)
    assert len(set(_ids(resp))) == len(resp.hits)  # one hit per trick


def test_misspelt_query_finds_label_smoothing(search_engine):
    resp = search_engine.search("lable smothing", k=5)
    assert _ids(resp)[0] == "label-smoothing"
    assert resp.corrected_query == "label smoothing"


@pytest.mark.parametrize("query", ["EMA of weights", "ema weights", "Label Smoothing", "WSD"])
def test_exact_name_or_alias_ranks_first(search_engine, query):
    expected = {"EMA of weights": "ema-weights", "ema weights": "ema-weights",
                "Label Smoothing": "label-smoothing", "WSD": "warmup-stable-decay"}[query]
    for mode in ("hybrid", "bm25", "dense"):
        assert _ids(search_engine.search(query, k=3, mode=mode))[0] == expected


def test_claim_passage_is_reported(search_engine):
    resp = search_engine.search("PaLM restarted about 100 steps before each spike and skipped batches", k=3)
    top = resp.hits[0]
    assert top.id == "loss-spike-rollback"
    assert top.matched_kind == "claim" and isinstance(top.claim_index, int)
    claim = search_engine.tricks[top.id].claims[top.claim_index]
    assert claim.statement.split()[0] in top.matched


def test_modes_differ_but_agree_on_easy_query(search_engine):
    for mode in ("dense", "bm25", "hybrid"):
        assert "mixup" in _ids(search_engine.search("mix two training images and their labels", k=3, mode=mode))
    with pytest.raises(ValueError, match="mode must be one of"):
        search_engine.search("x", mode="nope")


def test_filters_combine(search_engine):
    f = Filters(category=["schedule"])
    ids = _ids(search_engine.search("learning rate", k=20, filters=f))
    assert ids and set(ids) <= {"cosine-decay", "lr-warmup", "warmup-stable-decay"}
    f = Filters(category=["schedule", "optimizer"], verdict=["established"])
    ids = set(_ids(search_engine.search("learning rate", k=20, filters=f)))
    assert ids == {"lr-warmup", "adamw"}
    f = Filters(year_min=2024, year_max=2024, category=["schedule"])
    ids = set(_ids(search_engine.search("decay", k=20, filters=f)))
    assert "warmup-stable-decay" in ids and ids <= {"warmup-stable-decay", "cosine-decay", "lr-warmup"}
    ids = set(_ids(search_engine.search("regularization", k=20, filters=Filters(grade=["D"]))))
    assert ids and all(search_engine.search("", filters=Filters(grade=["D"])).hits)
    assert ids <= {h.id for h in search_engine.search("", filters=Filters(grade=["D"])).hits}
    ids = set(_ids(search_engine.search("training", k=20, filters=Filters(tag=["llm-stability"]))))
    assert ids == {"gradient-clipping", "loss-spike-rollback"}
    ids = set(_ids(search_engine.search("training", k=20, filters=Filters(domain=["tabular"]))))
    assert ids == {"mixup"}


def test_no_hits_suggests_loosening(search_engine):
    f = Filters(category=["augmentation"], verdict=["established"])
    resp = search_engine.search("mixup", filters=f)
    assert resp.hits == []
    assert set(resp.loosen) == {"verdict", "category"} and all(n > 0 for n in resp.loosen.values())


def test_browse_mode_lists_all_sorted_by_name(search_engine):
    resp = search_engine.search("   ")
    assert resp.mode == "browse"
    assert len(resp.hits) == len(search_engine.tricks) == 12
    names = [h.name.casefold() for h in resp.hits]
    assert names == sorted(names)
    resp = search_engine.search("", filters=Filters(category=["schedule"]))
    assert {h.id for h in resp.hits} == {"cosine-decay", "lr-warmup", "warmup-stable-decay"}


@pytest.mark.parametrize("query", [
    "a" * 100_000, "warmup " * 20_000, "\x00\x01\x1b[31m learning rate \x7f", "🔥🚀 label smoothing 🤖",
    "<script>alert('x')</script> dropout", "' OR 1=1; --", "\u202e\u200b\ufeff", "é" * 5000, "😀" * 3000,
])
def test_odd_queries_get_sensible_answers(search_engine, query):
    resp = search_engine.search(query, k=5)
    assert resp.mode in ("hybrid", "browse")
    assert len(resp.hits) <= 12
    for h in resp.hits:
        assert h.id in search_engine.tricks


def test_odd_query_still_finds_the_words(search_engine):
    assert _ids(search_engine.search("<b>dropout</b>\x00", k=1)) == ["dropout"]
    assert _ids(search_engine.search("🔥 label smoothing 🤖", k=1)) == ["label-smoothing"]


def test_clean_query_clips_and_strips():
    assert clean_query("a\x00b\tc\n\x1b") == "a b c"
    long = clean_query("word " * 10_000)
    assert len(long) <= 512 and long.endswith("word")
    assert clean_query(None) == ""


def test_threads_give_identical_results(search_engine):
    queries = ["my loss spikes early in training", "lable smothing", "EMA of weights", "weight decay AdamW",
               "cosine or WSD?", "", "<script>", "regularize a classifier"] * 4
    serial = [[(h.id, h.score, h.matched) for h in search_engine.search(q, k=5).hits] for q in queries]
    with ThreadPoolExecutor(max_workers=16) as pool:
        parallel = list(pool.map(lambda q: [(h.id, h.score, h.matched) for h in search_engine.search(q, k=5).hits],
                                 queries))
    assert parallel == serial


def test_module_search_function_uses_given_engine(search_engine):
    resp = search("dropout", k=2, engine=search_engine)
    assert resp.hits[0].id == "dropout" and len(resp.hits) == 2


def _cli(search_index, *args, stdin=None):
    env = dict(os.environ, TRICKS_KB_CATALOG=str(search_index.catalog_dir), TRICKS_KB_INDEX=str(search_index.index_dir))
    return subprocess.run([sys.executable, "-m", "tricks_kb", *args], capture_output=True, text=True, env=env,
                          input=stdin, timeout=300)


def test_cli_search_json_and_batch(search_index, tmp_path):
    out = _cli(search_index, "search", "gradeint clipping", "--json", "--k", "3")
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    assert hits[0]["id"] == "gradient-clipping"
    assert {"id", "name", "score", "verdict", "matched", "category", "grade", "matched_kind"} <= set(hits[0])
    for h in hits:  # claims are numbered from 1 for people, as in `show`, the app and the CSV
        assert h["claim_number"] == (None if h["claim_index"] is None else h["claim_index"] + 1)
    batch = tmp_path / "q.txt"
    batch.write_text("dropout\n\nlable smothing\nwarmup\n", encoding="utf-8")
    out = _cli(search_index, "search", "--batch", str(batch), "--json", "--k", "2", "--category", "regularization")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 4
    assert lines[0][0]["id"] == "dropout"
    assert all(h["category"] == "regularization" for h in lines[1])  # browse with a filter
    assert lines[2][0]["id"] == "label-smoothing"
    assert all(h["category"] == "regularization" for line in lines for h in line)


def test_cli_search_text_and_bad_input(search_index):
    out = _cli(search_index, "search", "label smoothing", "--k", "2")
    assert out.returncode == 0 and "Label smoothing [label-smoothing]" in out.stdout
    out = _cli(search_index, "search", "lable smothing", "--k", "2")
    assert out.returncode == 0 and "hint: Did you mean “label smoothing”?" in out.stdout
    out = _cli(search_index, "search", "mixup", "--category", "augmentation", "--verdict", "established")
    assert out.returncode == 0 and "no results" in out.stdout
    assert "hint: Loosen the verdict filter (--verdict)" in out.stdout and "Loosen the category filter" in out.stdout
    out = _cli(search_index, "search", "qqqqzzzz xxxyyyww", "--mode", "bm25")
    assert out.returncode == 0 and "try other words" in out.stdout
    out = _cli(search_index, "search", "x", "--category", "nonsense")
    assert out.returncode == 2 and "invalid choice" in out.stderr and "Traceback" not in out.stderr
    out = _cli(search_index, "search", "x", "--k", "0")
    assert out.returncode == 2 and "expected 1..1000" in out.stderr
    out = _cli(search_index, "search", "--batch", "/nonexistent/file")
    assert out.returncode == 2 and "cannot read" in out.stderr and "Traceback" not in out.stderr
    out = _cli(search_index, "search", "x", "--year-min", "2024", "--year-max", "2020")
    assert out.returncode == 2 and "after" in out.stderr


def test_engine_load_is_per_catalog(search_index):
    eng = SearchEngine.load(index_dir=search_index.index_dir, catalog_dir=search_index.catalog_dir)
    assert eng.status == "ok" and set(eng.tricks) == set(eng.search("").hits[i].id for i in range(12))


def test_no_matching_words_gets_a_hint(search_engine):
    resp = search_engine.search("qqqqzzzz xxxyyyww", mode="bm25")
    assert resp.hits == [] and resp.mode == "bm25"
    assert resp.corrected_query is None and resp.loosen == {}


def test_exact_matches_keep_scores_decreasing(search_engine):
    # "lable smothing" is corrected to an exact name: the corrected match leads, scores still decrease
    resp = search_engine.search("lable smothing", k=5)
    scores = [h.score for h in resp.hits]
    assert resp.hits[0].id == "label-smoothing" and scores == sorted(scores, reverse=True)


def test_large_catalogs_use_an_inverted_file_with_the_same_results(search_engine, work, monkeypatch):
    """Above IVF_MIN_PASSAGES the vectors go into an IVF index: it keeps every vector exactly, ranks
    like the exact index, and a filter widens the lists probed (here to all: exact results)."""
    import faiss
    import numpy as np

    from tricks_kb import index as index_mod
    from tricks_kb import vectors

    cat, idx = work
    loaded = index_mod.load_index(idx)
    vecs = vectors.vectors_of(loaded.faiss_index)
    monkeypatch.setattr(vectors, "IVF_MIN_PASSAGES", 10)
    index_mod.write_index(idx, loaded.passages, vecs, loaded.manifest["model"],
                          {tid: e["hash"] for tid, e in loaded.manifest["entries"].items()})
    engine = SearchEngine.load(index_dir=idx, catalog_dir=cat)
    assert engine.status == "ok", engine.notice
    inner = vectors.inner_index(engine.faiss_index)
    assert isinstance(inner, faiss.IndexIVFFlat) and inner.nlist == vectors.ivf_lists(len(vecs)) > 10
    assert inner.nprobe < inner.nlist
    assert np.array_equal(vectors.vectors_of(engine.faiss_index), vecs)

    queries = ("my loss spikes early in training", "mix two images", "warmup with adam", "lable smothing")
    for q in queries:
        want = [h.id for h in search_engine.search(q, k=5).hits]
        got = [h.id for h in engine.search(q, k=5).hits]
        assert got[0] == want[0] and len(set(got) & set(want)) >= 4, (q, got, want)
    f = Filters(category=["schedule", "optimizer"])
    probed = []
    real_search = engine.faiss_index.search
    monkeypatch.setattr(engine.faiss_index, "search", lambda *a, params=None: (
        probed.append(getattr(params, "nprobe", None)), real_search(*a, params=params))[1])
    for q in queries:
        for mode in ("hybrid", "dense"):
            want = [(h.id, h.matched) for h in search_engine.search(q, k=8, filters=f, mode=mode).hits]
            got = [(h.id, h.matched) for h in engine.search(q, k=8, filters=f, mode=mode).hits]
            assert got == want, (q, mode)
    assert inner.nlist in probed  # a filter widens the lists probed (here to all: an exact scan of the kept)
    assert set(probed) <= {inner.nlist, None}  # None: unfiltered searches behind "loosen a filter" hints
    assert engine.search("learning rate", filters=Filters(verdict=["no-such-verdict"])).hits == []


def test_spelling_correction_fixes_typos_but_not_real_words(search_engine):
    fix = search_engine.correct
    assert fix("lable smothing") == "label smoothing"
    assert fix("gradeint clipping") == "gradient clipping"
    # Real words the catalog lacks, or has in another form, are not "corrected" into other words.
    for query in ("interpolate two images", "gradients explode", "fine-tuning with adam", "seek flat minima",
                  "randomly drop units to prevent co-adaptation"):
        assert fix(query) == query, fix(query)
    # When a query is corrected, the dense side scores both texts and keeps each passage's better score.
    typed, fixed = "lable smothing", search_engine.correct("lable smothing")
    assert fixed == "label smoothing"
    both = search_engine.dense.search((typed, fixed), None, 1000)
    one, other = search_engine.dense.search((typed,), None, 1000), search_engine.dense.search((fixed,), None, 1000)
    assert both and set(both) == set(one) == set(other)
    assert all(abs(both[p] - max(one[p], other[p])) < 1e-6 for p in both)
    assert any(one[p] > other[p] for p in both) and any(other[p] > one[p] for p in both)


def test_pooling_weighs_passage_kinds_and_adds_the_second_best():
    # Pure scoring, no index: a trick's score is its best weighted passage plus second_weight x its second.
    from tricks_kb.fusion import Fusion, fuse, pool

    entry_of = ["a", "a", "b", "b"]
    kinds = ["entry", "claim", "entry", "symptom"]
    f = Fusion(entry_weight=1.15, claim_weight=0.85, symptom_weight=1.0, second_weight=0.2)
    pooled = pool({0: 0.5, 1: 0.6, 2: 0.4, 3: 0.3}, entry_of, kinds, {"a", "b"}, f)
    # "a" ranks by its entry (0.575 weighted) but reports its claim, the passage that matched best
    assert pooled.best["a"][1] == 1 and pooled.best["a"][0] == pytest.approx(0.5 * 1.15 + 0.2 * 0.6 * 0.85)
    assert pooled.best["b"][0] == pytest.approx(0.4 * 1.15 + 0.2 * 0.3)
    assert pooled.claims == {"a": (pytest.approx(0.6), 1)}  # the best claim is kept for the answer
    neutral = pool({0: 0.5, 1: 0.6}, entry_of, kinds, {"a"}, Fusion(entry_weight=1.0, claim_weight=1.0))
    assert neutral.best["a"] == (pytest.approx(0.6 + 0.2 * 0.5), 1)  # equal weights: the plain best passage
    assert pool({0: 0.5, 2: 0.4}, entry_of, kinds, {"b"}, f).best.keys() == {"b"}  # unknown tricks are left out
    # weighted fusion scales BM25 by its best score; dense mode ignores BM25
    assert fuse({0: 0.5}, {0: 2.0, 1: 4.0}, "hybrid", f) == pytest.approx({0: 0.6 * 0.5 + 0.4 * 0.5, 1: 0.4})
    assert fuse({0: 0.5}, {1: 4.0}, "dense", f) == {0: 0.5}
