"""Print retrieval quality (nDCG@10, Recall@5, MRR) of bm25, dense and hybrid search on tests/eval.

Sets: the project's own phrasings (queries.tsv + qrels.tsv); the real practitioner questions
(real_questions.yaml), split into the first 60 (dev: methods are tuned on these only) and the rest
(held-out: reported, never tuned on); a fresh set of real questions drawn later the same way
(real_questions_fresh.yaml: reported only until stop 20, a development set since); a third set
drawn at stop 21 (real_questions_fresh3.yaml: held out until stop 22 wrote entries for its gaps, a
development set since); a fourth set drawn at stop 22 (real_questions_fresh4.yaml: measured once
held out, then its gaps were written, so a development set since); a fifth set drawn at the end of stop
22 (real_questions_fresh5.yaml: measured once held out, a development set since stop 23 wrote its gaps); a
sixth set drawn at stop 23 (real_questions_fresh6.yaml: measured once held out, a development set since stop 24
wrote its gaps); a seventh set drawn at stop 24 (real_questions_fresh7.yaml: measured once held out, a development
set since stop 25 wrote its gaps); an eighth set drawn at stop 25 (real_questions_fresh8.yaml: measured held out
on 348 and 367 entries, a development set since its gaps were written); and a ninth set drawn at the end of stop
25 (real_questions_fresh9.yaml: held out, reported, never tuned on). A proposed missing entry written under another id that lists the proposed id as an alias counts as
written (retrieval_eval.absorbed_topics). Figures with the
blind pooled judgments of entries written after a set was labelled (pooled_qrels.tsv) are printed
beside the labels as written. Only real questions that an existing entry answers (a grade 2) count
for the metrics; the relevance floor's false-rejection rate is measured on those, its true-negative
rate on the questions no entry answers yet.

Usage: .venv/bin/python bench/eval_retrieval.py [--index DIR] [--fusion rrf|weighted] [--weight W]
Uses the committed index (patched in memory if stale); pass --index to use another one.
"""

from __future__ import annotations

import argparse
from pathlib import Path

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
    coverage,
    evaluate_modes,
    evaluate_real,
    floor_rates,
    load_real_questions,
    pooled_real,
    split_real,
    table,
)
from tricks_kb.search import Fusion, SearchEngine

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "eval"


def floor_line(rates: dict[str, float]) -> str:
    """The relevance floor's split of a question set, as one line."""
    return (f"floor: false rejections {rates['false_rejection']:.3f} of {int(rates['answerable'])} answerable, "
            f"true negatives {rates['true_negative']:.3f} of {int(rates['unanswerable'])} unanswerable")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=None)
    ap.add_argument("--fusion", choices=("rrf", "weighted"), default=Fusion.method)
    ap.add_argument("--weight", type=float, default=Fusion.dense_weight, help="dense weight for weighted fusion")
    ap.add_argument("--dev-only", action="store_true", help="skip the held-out figures (while tuning)")
    args = ap.parse_args()
    fusion = Fusion(method=args.fusion, dense_weight=args.weight)
    engine = SearchEngine.load(index_dir=args.index, fusion=fusion)
    if engine.notice:
        print(f"note: {engine.notice}")
    print(f"{len(engine.tricks)} entries; fusion={args.fusion}"
          + (f" dense_weight={args.weight}" if args.fusion == "weighted" else f" k={fusion.rrf_k}"))
    results, n = evaluate_modes(engine, EVAL)
    print("\nown phrasings (queries.tsv)\n" + table(results, n))
    results, n = evaluate_modes(engine, EVAL, pooled=True)
    print("\nown phrasings, with the blind judgments of newer entries (pooled_qrels.tsv)\n" + table(results, n))
    items = load_real_questions(EVAL / REAL_QUESTIONS)
    pooled = pooled_real(items, EVAL)
    dev, held = split_real(items)
    for name, part in (("real questions, dev (first 60)", dev), ("real questions, held-out", held)):
        if name.endswith("held-out") and args.dev_only:
            continue
        results, n = evaluate_real(engine, part)
        rates = floor_rates(engine, part)
        print(f"\n{name}\n" + table(results, n))
        results, n = evaluate_real(engine, part, pooled=pooled)
        print(f"\n{name}, with the blind judgments of newer entries\n" + table(results, n))
        print(floor_line(rates))
    for name, file, held_out in (("fresh set", FRESH_QUESTIONS, False), ("third set", THIRD_QUESTIONS, False),
                                 ("fourth set", FOURTH_QUESTIONS, False), ("fifth set", FIFTH_QUESTIONS, False),
                                 ("sixth set", SIXTH_QUESTIONS, False), ("seventh set", SEVENTH_QUESTIONS, False),
                                 ("eighth set", EIGHTH_QUESTIONS, False),
                                 ("ninth set, held out", HELD_OUT_QUESTIONS, True)):
        path = EVAL / file
        if not path.is_file() or (held_out and args.dev_only):
            continue
        part = load_real_questions(path)
        known = set(engine.tricks)
        results, n = evaluate_real(engine, part)
        rates = floor_rates(engine, part)
        covered = coverage(part, known, absorbed_topics(engine.tricks))
        print(f"\nreal questions, {name} ({file}, labelled blind; coverage {covered:.1%} of "
              f"{len(part)})\n" + table(results, n))
        print(floor_line(rates))


if __name__ == "__main__":
    main()
