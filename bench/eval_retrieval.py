"""Print retrieval quality (nDCG@10, Recall@5, MRR) of bm25, dense and hybrid search on tests/eval.

Usage: .venv/bin/python bench/eval_retrieval.py [--index DIR] [--fusion rrf|weighted] [--weight W]
Uses the committed index (patched in memory if stale); pass --index to use another one.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tricks_kb.retrieval_eval import evaluate_modes, table
from tricks_kb.search import Fusion, SearchEngine

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=None)
    ap.add_argument("--fusion", choices=("rrf", "weighted"), default=Fusion.method)
    ap.add_argument("--weight", type=float, default=Fusion.dense_weight, help="dense weight for weighted fusion")
    args = ap.parse_args()
    fusion = Fusion(method=args.fusion, dense_weight=args.weight)
    engine = SearchEngine.load(index_dir=args.index, fusion=fusion)
    if engine.notice:
        print(f"note: {engine.notice}")
    results, n = evaluate_modes(engine, ROOT / "tests" / "eval")
    print(f"fusion={args.fusion}" + (f" dense_weight={args.weight}" if args.fusion == "weighted" else f" k={fusion.rrf_k}"))
    print(table(results, n))


if __name__ == "__main__":
    main()
