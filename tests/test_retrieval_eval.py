"""Retrieval quality on tests/eval (50 practitioner queries, graded qrels) over the whole catalog.

The index is built in a tmp dir from the real catalog (seeded with the committed index's vectors
when they match, so only changed passages are embedded); the committed index itself is not used.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tricks_kb.build import build
from tricks_kb.catalog import load_catalog
from tricks_kb.retrieval_eval import (
    EIGHTH_QUESTIONS,
    FIFTH_QUESTIONS,
    FOURTH_QUESTIONS,
    FRESH_QUESTIONS,
    SEVENTH_QUESTIONS,
    SIXTH_QUESTIONS,
    evaluate_modes,
    evaluate_real,
    load_real_questions,
    table,
)
from tricks_kb.search import SearchEngine

pytestmark = pytest.mark.slow

EVAL = Path(__file__).parent / "eval"
# Floors set from the measured figures (docs/benchmarks.md, "Search III": hybrid nDCG@10 0.868, MRR 0.953
# on 178 entries) with a margin, because catalog entries keep arriving and changing (52 new entries once
# cost these queries 0.021 nDCG@10).
FLOOR_NDCG10 = 0.83
FLOOR_MRR = 0.90
# Real practitioner questions (real_questions.yaml, all 171 items, every one answered now), with the blind
# pooled judgments of entries written after they were labelled (pooled.md): hybrid measured 0.850 nDCG@10,
# 0.755 Recall@5, 0.956 MRR on 255 entries (docs/benchmarks.md, "Stop 20"; labels alone: 0.812 / 0.808 / 0.869).
# Recall@5 falls as the catalog grows: 0.699 on 348 entries (stop 24), where the fifth round of pooled judgments
# graded 89 of the 121 new entries that reach these queries' top 10 as not relevant; nDCG@10 held at 0.840.
REAL_FLOOR_NDCG10 = 0.82
REAL_FLOOR_RECALL5 = 0.67
REAL_FLOOR_MRR = 0.92
# The fresh set (real_questions_fresh.yaml, drawn later; a development set since stop 21): 0.680 / 0.610 / 0.803
# on 255 entries, 0.625 / 0.547 on 382 (stop 25): the fresh sets have no pooled judgments, so every newer entry
# in a top 10 counts as a miss and the figures fall as the catalog grows.
FRESH_FLOOR_NDCG10 = 0.60
FRESH_FLOOR_RECALL5 = 0.52
# The third set (real_questions_fresh3.yaml; held out at stop 21, a development set since stop 22 wrote its
# missing topics): hybrid 0.641 nDCG@10, 0.573 Recall@5 on 255 entries; 0.646 / 0.585 on 268 (dense alone
# 0.650 / 0.550, bm25 0.552 / 0.468); 0.603 / 0.534 on 382 (stop 25).
THIRD_FLOOR_NDCG10 = 0.58
THIRD_FLOOR_RECALL5 = 0.51
# The fourth set (real_questions_fresh4.yaml), measured once held out on 268 entries: hybrid 0.749 nDCG@10,
# 0.649 Recall@5; a development set since its gaps were written (0.748 / 0.668 on 284 entries).
FOURTH_FLOOR_NDCG10 = 0.70
FOURTH_FLOOR_RECALL5 = 0.60
# The fifth set (real_questions_fresh5.yaml), measured once held out on 284 entries: hybrid 0.673 nDCG@10,
# 0.622 Recall@5; a development set since its gaps were written (0.677 / 0.626 on 311 entries).
FIFTH_FLOOR_NDCG10 = 0.63
FIFTH_FLOOR_RECALL5 = 0.58
# The sixth set (real_questions_fresh6.yaml), measured once held out on 311 entries: hybrid 0.657 nDCG@10,
# 0.607 Recall@5; a development set since its gaps were written (stop 24).
SIXTH_FLOOR_NDCG10 = 0.62
SIXTH_FLOOR_RECALL5 = 0.56
# One answerable question of the sixth set falls under the relevance floor: "How should this problem be
# solved?" names no problem (the thread's body does), so nothing in its words is close to any entry. The floor
# was set on the other development sets and was not moved for it when the set was held out.
SIXTH_FLOOR_REJECTIONS = 1
# The seventh set (real_questions_fresh7.yaml), measured once held out on 336 entries: hybrid 0.654 nDCG@10,
# 0.580 Recall@5 (docs/benchmarks.md, "Stop 24"); a development set since stop 25 wrote entries for its gaps.
SEVENTH_FLOOR_NDCG10 = 0.61
SEVENTH_FLOOR_RECALL5 = 0.53
# The eighth set (real_questions_fresh8.yaml), measured once held out on the 348 entries it was labelled on:
# hybrid 0.668 nDCG@10, 0.561 Recall@5, MRR 0.847; and once more on 367 (the 19 entries written for the seventh
# set's gaps, none against it): 0.654 / 0.553; a development set since stop 25 wrote its gaps (0.661 / 0.509
# on 382 entries).
EIGHTH_FLOOR_NDCG10 = 0.62
EIGHTH_FLOOR_RECALL5 = 0.47
# The ninth set (real_questions_fresh9.yaml, held out, never tuned on), measured once on the 382 entries it was
# labelled on: hybrid 0.573 nDCG@10, 0.430 Recall@5, MRR 0.756; bm25 alone 0.485 / 0.389, dense alone 0.550 /
# 0.409; the floor rejected none of its 44 answerable questions (docs/benchmarks.md, "Stop 25").
HELD_OUT_FLOOR_NDCG10 = 0.54
HELD_OUT_FLOOR_RECALL5 = 0.40


@pytest.fixture(scope="module")
def full_engine(catalog_dir, repo_root, tmp_path_factory):
    tricks = load_catalog([catalog_dir]).tricks
    if len(tricks) < 40:
        pytest.fail(f"the catalog has only {len(tricks)} valid entries; the eval needs the full catalog")
    idx = tmp_path_factory.mktemp("eval") / "index"
    committed = repo_root / "index"
    if (committed / "manifest.json").is_file():
        shutil.copytree(committed, idx)  # vectors are reused only where text and model match exactly
    build(tricks, idx)
    engine = SearchEngine.load(index_dir=idx, catalog_dir=catalog_dir)
    assert engine.status == "ok", engine.notice
    return engine


def test_hybrid_beats_each_method_alone(full_engine):
    results, n = evaluate_modes(full_engine, EVAL)
    print("\n" + table(results, n))
    assert n >= 40
    hybrid = results["hybrid"]
    assert hybrid["ndcg@10"] >= results["bm25"]["ndcg@10"]
    assert hybrid["ndcg@10"] >= results["dense"]["ndcg@10"]
    assert hybrid["ndcg@10"] >= FLOOR_NDCG10
    assert hybrid["mrr"] >= FLOOR_MRR


def _assert_hybrid_leads(results: dict, n: int, min_queries: int, floors: dict[str, float]) -> None:
    """Hybrid at least as good as bm25 and dense alone (nDCG@10), and at or above each floor given."""
    print("\n" + table(results, n))
    assert n >= min_queries
    hybrid = results["hybrid"]
    for mode in ("bm25", "dense"):
        assert hybrid["ndcg@10"] >= results[mode]["ndcg@10"], mode
    for metric, floor in floors.items():
        assert hybrid[metric] >= floor, metric


def test_hybrid_beats_each_method_alone_on_real_questions(full_engine):
    from tricks_kb.retrieval_eval import REAL_QUESTIONS, evaluate_real, load_real_questions, pooled_real

    items = load_real_questions(EVAL / REAL_QUESTIONS)
    results, n = evaluate_real(full_engine, items, pooled=pooled_real(items, EVAL))
    _assert_hybrid_leads(results, n, 60, {"ndcg@10": REAL_FLOOR_NDCG10, "recall@5": REAL_FLOOR_RECALL5,
                                          "mrr": REAL_FLOOR_MRR})


# The development sets drawn after the first: (file, fewest answerable questions, nDCG@10 floor, Recall@5 floor).
# The third set has its own test below (dense alone edges hybrid on nDCG@10 there).
DEV_SETS = {
    "fresh": (FRESH_QUESTIONS, 40, FRESH_FLOOR_NDCG10, FRESH_FLOOR_RECALL5),
    "fourth": (FOURTH_QUESTIONS, 50, FOURTH_FLOOR_NDCG10, FOURTH_FLOOR_RECALL5),
    "fifth": (FIFTH_QUESTIONS, 60, FIFTH_FLOOR_NDCG10, FIFTH_FLOOR_RECALL5),
    "sixth": (SIXTH_QUESTIONS, 50, SIXTH_FLOOR_NDCG10, SIXTH_FLOOR_RECALL5),
    "seventh": (SEVENTH_QUESTIONS, 45, SEVENTH_FLOOR_NDCG10, SEVENTH_FLOOR_RECALL5),
    "eighth": (EIGHTH_QUESTIONS, 45, EIGHTH_FLOOR_NDCG10, EIGHTH_FLOOR_RECALL5),
}


@pytest.mark.parametrize("name", list(DEV_SETS))
def test_hybrid_beats_each_method_alone_on_a_later_development_set(full_engine, name):
    file, min_queries, ndcg, recall = DEV_SETS[name]
    results, n = evaluate_real(full_engine, load_real_questions(EVAL / file))
    _assert_hybrid_leads(results, n, min_queries, {"ndcg@10": ndcg, "recall@5": recall})


def test_hybrid_on_the_third_set(full_engine):
    from tricks_kb.retrieval_eval import THIRD_QUESTIONS, evaluate_real, load_real_questions

    results, n = evaluate_real(full_engine, load_real_questions(EVAL / THIRD_QUESTIONS))
    print("\n" + table(results, n))
    assert n >= 40
    hybrid = results["hybrid"]
    # On this set dense alone edges hybrid on nDCG@10 (0.652 vs 0.641 when it was held out, 0.650 vs 0.646 on
    # 268 entries; not tuned away: docs/benchmarks.md "Stop 21"); hybrid must still beat bm25 on both and
    # dense on Recall@5.
    assert hybrid["ndcg@10"] >= results["bm25"]["ndcg@10"]
    assert hybrid["recall@5"] >= max(results["bm25"]["recall@5"], results["dense"]["recall@5"])
    assert hybrid["ndcg@10"] >= THIRD_FLOOR_NDCG10
    assert hybrid["recall@5"] >= THIRD_FLOOR_RECALL5


def test_hybrid_beats_each_method_alone_on_the_held_out_questions(full_engine):
    from tricks_kb.retrieval_eval import HELD_OUT_QUESTIONS, evaluate_real, load_real_questions

    results, n = evaluate_real(full_engine, load_real_questions(EVAL / HELD_OUT_QUESTIONS))
    _assert_hybrid_leads(results, n, 40, {"ndcg@10": HELD_OUT_FLOOR_NDCG10, "recall@5": HELD_OUT_FLOOR_RECALL5})
    assert results["hybrid"]["recall@5"] >= max(results["bm25"]["recall@5"], results["dense"]["recall@5"])


def test_the_relevance_floor_rejects_no_answerable_development_question(full_engine):
    from tricks_kb.retrieval_eval import (
        EIGHTH_QUESTIONS,
        FIFTH_QUESTIONS,
        FOURTH_QUESTIONS,
        FRESH_QUESTIONS,
        HELD_OUT_QUESTIONS,
        REAL_QUESTIONS,
        SEVENTH_QUESTIONS,
        SIXTH_QUESTIONS,
        THIRD_QUESTIONS,
        floor_rates,
        load_eval,
        load_real_questions,
    )

    for name in (REAL_QUESTIONS, FRESH_QUESTIONS, THIRD_QUESTIONS, FOURTH_QUESTIONS, FIFTH_QUESTIONS,
                 SEVENTH_QUESTIONS, EIGHTH_QUESTIONS, HELD_OUT_QUESTIONS):
        rates = floor_rates(full_engine, load_real_questions(EVAL / name))
        assert rates["answerable"] >= 40 and rates["false_rejection"] == 0.0, (name, rates)
    rates = floor_rates(full_engine, load_real_questions(EVAL / SIXTH_QUESTIONS))
    assert round(rates["false_rejection"] * rates["answerable"]) <= SIXTH_FLOOR_REJECTIONS, rates
    queries, _ = load_eval(EVAL, set(full_engine.tricks))
    rejected = [q for q in queries.values() if full_engine.search(q, k=10).below_floor]
    assert rejected == []
    for q in ("how do I bake sourdough bread", "best pizza in naples", "qwzx plorb vintashk"):
        assert full_engine.search(q, k=10).below_floor, q


def test_eval_files_are_consistent(catalog_dir):
    from tricks_kb.retrieval_eval import load_eval

    queries, qrels = load_eval(EVAL)
    assert len(queries) >= 40
    ids = {p.stem for p in Path(catalog_dir).glob("*.yaml")}
    unknown = {d for q in qrels.values() for d in q} - ids
    assert not unknown, f"qrels name ids missing from the catalog: {sorted(unknown)}"
    assert all(g in (1, 2) for q in qrels.values() for g in q.values())
    assert all(2 in q.values() for q in qrels.values())
