"""Shape of the real-question sets (tests/eval/real_questions.yaml, the development set;
real_questions_fresh.yaml and real_questions_fresh3/4/5/6/7/8/9.yaml, drawn later the same way
for honest coverage and ranking figures) and their coverage."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from tricks_kb.catalog import load_catalog, norm_label
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
    absorbed_topics,
    answering_ids,
    coverage,
    load_real_questions,
    real_qrels,
)

PATH = Path(__file__).parent / "eval" / REAL_QUESTIONS
FRESH = Path(__file__).parent / "eval" / FRESH_QUESTIONS
THIRD = Path(__file__).parent / "eval" / THIRD_QUESTIONS
FOURTH = Path(__file__).parent / "eval" / FOURTH_QUESTIONS
FIFTH = Path(__file__).parent / "eval" / FIFTH_QUESTIONS
SIXTH = Path(__file__).parent / "eval" / SIXTH_QUESTIONS
SEVENTH = Path(__file__).parent / "eval" / SEVENTH_QUESTIONS
EIGHTH = Path(__file__).parent / "eval" / EIGHTH_QUESTIONS
HELD_OUT = Path(__file__).parent / "eval" / HELD_OUT_QUESTIONS
SETS = {"dev": PATH, "fresh": FRESH, "third": THIRD, "fourth": FOURTH, "fifth": FIFTH, "sixth": SIXTH,
        "seventh": SEVENTH, "eighth": EIGHTH, "held-out": HELD_OUT}  # order drawn
MIN_ITEMS = {PATH.name: 150, FRESH.name: 50, THIRD.name: 50, FOURTH.name: 60, FIFTH.name: 60, SIXTH.name: 60,
             SEVENTH.name: 60, EIGHTH.name: 60, HELD_OUT.name: 60}
KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
KEYS = {"q", "source", "relevant", "missing", "area"}
PAIRS = [(a, b) for i, a in enumerate(SETS) for b in list(SETS)[i + 1:]]


@pytest.fixture(scope="module", params=list(SETS.values()), ids=list(SETS))
def items(request) -> list[dict]:
    items = load_real_questions(request.param)
    assert len(items) >= MIN_ITEMS[request.param.name]
    return items


def _normalized(items: list[dict]) -> set[str]:
    return {" ".join(it["q"].casefold().split()) for it in items}


@pytest.mark.parametrize(("earlier", "later"), PAIRS, ids=[f"{b}-vs-{a}" for a, b in PAIRS])
def test_a_later_set_shares_no_thread_or_question_with_an_earlier_one(earlier, later):
    first, fresh = load_real_questions(SETS[earlier]), load_real_questions(SETS[later])
    assert not {it["source"] for it in first} & {it["source"] for it in fresh}
    assert not _normalized(first) & _normalized(fresh)


@pytest.fixture(scope="module")
def catalog(catalog_dir):
    return load_catalog([catalog_dir]).tricks


def test_items_have_the_right_keys(items):
    for n, it in enumerate(items, 1):
        assert set(it) <= KEYS and {"q", "source", "relevant"} <= set(it), f"item {n}: keys {sorted(it)}"
        assert isinstance(it["q"], str) and it["q"].strip() and "\n" not in it["q"], f"item {n}: q must be one line"
        assert re.match(r"^https://[^\s/]+\.[^\s/]+/\S+$", it["source"]), f"item {n}: source {it['source']!r}"


def test_no_duplicate_questions(items):
    seen: dict[str, int] = {}
    for n, it in enumerate(items, 1):
        key = " ".join(it["q"].casefold().split())
        assert key not in seen, f"item {n} repeats item {seen[key]}: {it['q']!r}"
        seen[key] = n


def test_relevant_ids_exist_and_grades_are_1_or_2(items, catalog):
    for n, it in enumerate(items, 1):
        for tid, grade in (it["relevant"] or {}).items():
            assert tid in catalog, f"item {n}: {tid!r} is not a catalog id"
            assert grade in (1, 2), f"item {n}: grade {grade!r} for {tid}"


def test_every_item_has_an_answer_or_a_missing_entry_but_not_both(items):
    for n, it in enumerate(items, 1):
        has_answer = 2 in (it["relevant"] or {}).values()
        missing = it.get("missing")
        assert has_answer != bool(missing), f"item {n}: needs exactly one of a grade-2 entry or `missing`"
        if missing:
            assert set(missing) == {"id", "topic"} and missing["topic"].strip(), f"item {n}: missing {missing}"
            assert KEBAB.match(missing["id"]), f"item {n}: missing id {missing['id']!r} is not kebab-case"


def test_a_missing_id_has_one_topic_and_names_no_other_entry(items, catalog):
    topics: dict[str, set[str]] = defaultdict(set)
    for it in items:
        if it.get("missing"):
            topics[it["missing"]["id"]].add(it["missing"]["topic"])
    assert all(len(t) == 1 for t in topics.values()), {k: v for k, v in topics.items() if len(v) > 1}
    labels = {norm_label(x): tid for tid, t in catalog.items() for x in (t.name, *(t.aliases or []))}
    graded = defaultdict(set)  # entries the labeller graded on the items proposing each id
    for it in items:
        if it.get("missing"):
            graded[it["missing"]["id"]] |= set(it["relevant"] or {})
    for mid in topics:
        owner = labels.get(norm_label(mid))
        # an entry the labeller saw and graded cannot have been the proposed one; an entry written later, or
        # extended later, that takes the proposed id itself as an alias absorbs the topic
        # (retrieval_eval.absorbed_topics)
        absorbed = owner is not None and mid in (catalog[owner].aliases or [])
        assert owner in (None, mid) or absorbed or owner not in graded[mid], \
            f"proposed {mid!r} is a name or alias of {owner!r}"


def test_a_missing_topic_written_under_another_id_counts_through_its_alias(catalog):
    tid = next(iter(catalog))
    item = {"q": "q", "source": "https://example.org/x", "relevant": {}, "missing": {"id": "some-new-topic",
                                                                                     "topic": "t"}}
    assert answering_ids(item, set(catalog), absorbed_topics(catalog)) == set()
    absorbed = {**absorbed_topics(catalog), norm_label("some new topic"): tid}
    assert answering_ids(item, set(catalog), absorbed) == {tid}
    assert answering_ids(item, set(catalog) - {tid}, absorbed) == set()  # only while that entry exists
    _, qrels = real_qrels([item], set(catalog), absorbed)
    assert qrels == {"r001": {tid: 2}}


def test_coverage_counts_a_missing_entry_once_it_exists(items, catalog):
    # Take the entry out of the catalog when it has been written since: the test must not depend on
    # some `missing` topic still being unwritten.
    item = next(it for it in items if it.get("missing"))
    mid = item["missing"]["id"]
    known = set(catalog) - {mid}
    assert answering_ids(item, known) == set()
    assert answering_ids(item, known | {mid}) == {mid}
    before = coverage(items, known)
    waiting = sum(1 for it in items if (it.get("missing") or {}).get("id") == mid)
    assert coverage(items, known | {mid}) == pytest.approx(before + waiting / len(items))
    answered = sum(1 for it in items if 2 in it["relevant"].values() or (it.get("missing") or {}).get("id") in known)
    assert before == pytest.approx(answered / len(items))


def test_real_qrels_grade_a_written_missing_entry_2(items, catalog):
    mid = next(it["missing"]["id"] for it in items if it.get("missing"))
    known = set(catalog) - {mid}
    _, before = real_qrels(items, known)
    queries, after = real_qrels(items, known | {mid})
    gained = [q for q, g in after.items() if g.get(mid) == 2]
    assert gained and all(queries[q] for q in gained)
    assert all(mid not in g for g in before.values())
