"""Score search quality on the labelled queries in tests/eval (nDCG@10, Recall@5, MRR with ranx).

Also reads the real-question set (real_questions.yaml) and measures its coverage by the catalog.

Used by tests/test_retrieval_eval.py and bench/eval_retrieval.py so both print the same table.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

METRICS = ("ndcg@10", "recall@5", "mrr")


def load_eval(folder: Path, known_ids: set[str] | None = None) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Queries {qid: text} and qrels {qid: {trick id: grade}}, limited to ids in ``known_ids``."""
    with (folder / "queries.tsv").open(encoding="utf-8") as fh:
        queries = {r["qid"]: r["query"] for r in csv.DictReader(fh, delimiter="\t")}
    qrels: dict[str, dict[str, int]] = {}
    with (folder / "qrels.tsv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            if known_ids is None or r["doc"] in known_ids:
                qrels.setdefault(r["qid"], {})[r["doc"]] = int(r["grade"])
    qrels = {q: d for q, d in qrels.items() if q in queries and any(g >= 1 for g in d.values())}
    return {q: queries[q] for q in qrels}, qrels


# --- pooled judgments: entries written after a set was labelled, judged blind (tests/eval/pooled.md) ------

POOLED = "pooled_qrels.tsv"


def load_pooled(folder: Path) -> dict[str, dict[str, dict[str, int]]]:
    """{set: {qid: {trick id: grade}}} from pooled_qrels.tsv ('own' or 'real'; {} when the file is absent)."""
    path = folder / POOLED
    out: dict[str, dict[str, dict[str, int]]] = {}
    if not path.is_file():
        return out
    with path.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            out.setdefault(r["set"], {}).setdefault(r["qid"], {})[r["doc"]] = int(r["grade"])
    return out


def pooled_real(items: list[dict[str, Any]], folder: Path) -> dict[str, dict[str, int]]:
    """The pooled grades of the real questions by question text (pooled qids number the whole file)."""
    return {items[int(qid[1:]) - 1]["q"]: grades for qid, grades in load_pooled(folder).get("real", {}).items()
            if 0 < int(qid[1:]) <= len(items)}


def with_pooled(qrels: dict[str, dict[str, int]], pooled: dict[str, dict[str, int]] | None,
                known_ids: set[str]) -> dict[str, dict[str, int]]:
    """``qrels`` plus the pooled grades of pairs it does not label (a written label is never overridden)."""
    if not pooled:
        return qrels
    out = {q: dict(d) for q, d in qrels.items()}
    for qid, docs in pooled.items():
        if qid not in out:
            continue
        for doc, grade in docs.items():
            if grade and doc in known_ids and doc not in out[qid]:
                out[qid][doc] = grade
    return out


def run_queries(engine: Any, queries: dict[str, str], mode: str, k: int = 10) -> dict[str, dict[str, float]]:
    """A ranx-style run {qid: {trick id: score}} for one mode; scores are made strictly decreasing by rank."""
    run: dict[str, dict[str, float]] = {}
    for qid, text in queries.items():
        hits = engine.search(text, k=k, mode=mode).hits
        run[qid] = {h.id: float(k - i) for i, h in enumerate(hits)} or {"__none__": 0.0}
    return run


def score(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]) -> dict[str, float]:
    """nDCG@10, Recall@5 and MRR averaged over the queries."""
    import warnings

    from ranx import Qrels, Run, evaluate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's uint64->int64 cast notice inside ranx
        out = evaluate(Qrels(qrels), Run(run), list(METRICS))
    return {m: float(out[m]) for m in METRICS}


def evaluate_modes(engine: Any, folder: Path, modes: tuple[str, ...] = ("bm25", "dense", "hybrid"),
                   pooled: bool = False) -> tuple[dict[str, dict[str, float]], int]:
    """Scores per mode and the number of queries used (``pooled``: with the blind judgments of newer entries)."""
    queries, qrels = load_eval(folder, set(engine.tricks))
    if pooled:
        qrels = with_pooled(qrels, load_pooled(folder).get("own"), set(engine.tricks))
    return {m: score(qrels, run_queries(engine, queries, m)) for m in modes}, len(queries)


def table(results: dict[str, dict[str, float]], n_queries: int) -> str:
    """The scores as a small Markdown table."""
    lines = [f"| mode ({n_queries} queries) | " + " | ".join(METRICS) + " |",
             "| --- | " + " | ".join("---" for _ in METRICS) + " |"]
    for mode, s in results.items():
        lines.append(f"| {mode} | " + " | ".join(f"{s[m]:.3f}" for m in METRICS) + " |")
    return "\n".join(lines)


# --- the real-question development set (tests/eval/real_questions.yaml) ---------------------------

REAL_QUESTIONS = "real_questions.yaml"
FRESH_QUESTIONS = "real_questions_fresh.yaml"  # drawn later the same way; a development set since stop 21
THIRD_QUESTIONS = "real_questions_fresh3.yaml"  # drawn at stop 21; a development set since stop 22 (its gaps written)
FOURTH_QUESTIONS = "real_questions_fresh4.yaml"  # drawn at stop 22 on 268 entries; a development set since (gaps written)
FIFTH_QUESTIONS = "real_questions_fresh5.yaml"  # drawn at stop 22 on 284 entries; a development set since stop 23 (gaps written)
SIXTH_QUESTIONS = "real_questions_fresh6.yaml"  # drawn at stop 23 on 311 entries; a development set since stop 24 (gaps written)
SEVENTH_QUESTIONS = "real_questions_fresh7.yaml"  # drawn at stop 24 on 336 entries; a development set since stop 25 (gaps written)
EIGHTH_QUESTIONS = "real_questions_fresh8.yaml"  # drawn at stop 25 on 348 entries; a development set since (gaps written)
HELD_OUT_QUESTIONS = "real_questions_fresh9.yaml"  # drawn at stop 25, labelled blind on the final catalog, never tuned on


def load_real_questions(path: Path) -> list[dict[str, Any]]:
    """The items under ``questions:`` (q, source, relevant, optional missing), read with the strict loader."""
    from .loader import load_file

    loaded = load_file(path)
    if loaded.problems:
        raise ValueError("\n".join(p.format() for p in loaded.problems))
    return list(loaded.data.get("questions") or [])


def absorbed_topics(tricks: Mapping[str, Any]) -> dict[str, str]:
    """{folded name or alias: entry id}: where a proposed missing id was written into an entry under another id.

    An entry that lists a proposed id as its name or an alias ("pointwise vs pairwise reward model") claims
    that topic, so the question the id was proposed for counts as answered by that entry.
    """
    from .catalog import norm_label

    return {norm_label(label): tid for tid, t in tricks.items() for label in (t.name, *(t.aliases or []))}


def answering_ids(item: dict[str, Any], known_ids: set[str], absorbed: Mapping[str, str] | None = None) -> set[str]:
    """Catalog ids that answer an item: its grade-2 entries, plus its proposed missing id once that entry exists
    (under that id, or under another id that lists it as a name or alias: ``absorbed``)."""
    ids = {i for i, g in (item.get("relevant") or {}).items() if g == 2 and i in known_ids}
    missing = (item.get("missing") or {}).get("id")
    if missing in known_ids:
        ids.add(missing)
    elif missing and absorbed:
        from .catalog import norm_label

        owner = absorbed.get(norm_label(missing))
        if owner in known_ids:
            ids.add(owner)
    return ids


def coverage(items: list[dict[str, Any]], known_ids: set[str], absorbed: Mapping[str, str] | None = None) -> float:
    """Share of items that some existing entry answers (see :func:`answering_ids`)."""
    return sum(1 for it in items if answering_ids(it, known_ids, absorbed)) / len(items) if items else 0.0


def real_qrels(items: list[dict[str, Any]], known_ids: set[str], absorbed: Mapping[str, str] | None = None
               ) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Queries {qid: text} and qrels {qid: {id: grade}} for the items some existing entry answers or touches.

    A proposed missing id that now exists counts as grade 2, so the figures follow the catalog as it grows.
    """
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for n, it in enumerate(items, 1):
        grades = {i: int(g) for i, g in (it.get("relevant") or {}).items() if i in known_ids}
        grades.update(dict.fromkeys(answering_ids(it, known_ids, absorbed), 2))
        if grades:
            qid = f"r{n:03d}"
            queries[qid], qrels[qid] = it["q"], grades
    return queries, qrels


# --- figures on the real questions: dev/held-out split and the relevance floor -----------------------

DEV_ITEMS = 60  # methods are tuned on the first 60 real questions only; the rest is a held-out figure


def split_real(items: list[dict[str, Any]], dev: int = DEV_ITEMS) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(dev, held-out): the first ``dev`` items and the rest, in file order."""
    return items[:dev], items[dev:]


def graded_qrels(items: list[dict[str, Any]], known_ids: set[str], pooled: dict[str, dict[str, int]] | None = None,
                 absorbed: Mapping[str, str] | None = None) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """:func:`real_qrels` limited to the items some existing entry answers (a grade 2): the nDCG set.

    ``pooled``: blind grades of newer entries by question text (:func:`pooled_real`).
    """
    queries, qrels = real_qrels(items, known_ids, absorbed)
    if pooled:
        by_qid = {q: pooled[text] for q, text in queries.items() if text in pooled}
        qrels = with_pooled(qrels, by_qid, known_ids)
    keep = {q for q, g in qrels.items() if 2 in g.values()}
    return {q: queries[q] for q in keep}, {q: qrels[q] for q in keep}


def unanswerable(items: list[dict[str, Any]], known_ids: set[str], absorbed: Mapping[str, str] | None = None
                 ) -> list[str]:
    """Questions no existing entry answers (their proposed entry is not written yet)."""
    return [it["q"] for it in items if not answering_ids(it, known_ids, absorbed)]


def floor_rates(engine: Any, items: list[dict[str, Any]]) -> dict[str, float]:
    """How the relevance floor splits the questions (hybrid search).

    ``false_rejection``: share of answerable questions that get no results (must be 0);
    ``true_negative``: share of unanswerable ones that get none (higher is better, but the catalog
    often has something close to an unanswered question, so this stays low by design).
    """
    known, absorbed = set(engine.tricks), absorbed_topics(engine.tricks)
    answered = [it["q"] for it in items if answering_ids(it, known, absorbed)]
    unanswered = unanswerable(items, known, absorbed)

    def rejected(qs: list[str]) -> float:
        return sum(1 for q in qs if getattr(engine.search(q, k=10), "below_floor", False)) / len(qs) if qs else 0.0

    return {"false_rejection": rejected(answered), "true_negative": rejected(unanswered),
            "answerable": float(len(answered)), "unanswerable": float(len(unanswered))}


def evaluate_real(engine: Any, items: list[dict[str, Any]], modes: tuple[str, ...] = ("bm25", "dense", "hybrid"),
                  pooled: dict[str, dict[str, int]] | None = None) -> tuple[dict[str, dict[str, float]], int]:
    """Scores per mode on the real questions that an existing entry answers, and their number."""
    queries, qrels = graded_qrels(items, set(engine.tricks), pooled, absorbed_topics(engine.tricks))
    return {m: score(qrels, run_queries(engine, queries, m)) for m in modes}, len(queries)
