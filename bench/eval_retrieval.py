"""Print retrieval quality (nDCG@10, Recall@5, MRR) of bm25, dense and hybrid search on tests/eval.

Usage: .venv/bin/python bench/eval_retrieval.py [--index DIR] [--fusion rrf|weighted] [--weight W]
Uses the committed index (patched in memory if stale); pass --index to use another one.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tricks_kb import search as search_mod
from tricks_kb.retrieval_eval import evaluate_modes, table
from tricks_kb.search import SearchEngine

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=None)
    ap.add_argument("--fusion", choices=("rrf", "weighted"), default=search_mod.FUSION)
    ap.add_argument("--weight", type=float, default=search_mod.DENSE_WEIGHT, help="dense weight for weighted fusion")
    args = ap.parse_args()
    search_mod.FUSION, search_mod.DENSE_WEIGHT = args.fusion, args.weight
    engine = SearchEngine.load(index_dir=args.index)
    if engine.notice:
        print(f"note: {engine.notice}")
    results, n = evaluate_modes(engine, ROOT / "tests" / "eval")
    print(f"fusion={args.fusion}" + (f" dense_weight={args.weight}" if args.fusion == "weighted" else f" k={search_mod.RRF_K}"))
    print(table(results, n))


if __name__ == "__main__":
    main()
