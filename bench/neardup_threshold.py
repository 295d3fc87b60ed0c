"""Measure the embedding threshold of the near-duplicate guard (TK101) on the real catalog.

For every valid entry: the cosine similarity of its entry passage to its nearest *other* entry
(distinct tricks: the guard must stay quiet), and to a simulated re-submission of itself
(same trick written again: name replaced by an alias, summary kept, how-to dropped: the
guard should fire). Prints both distributions and the closest distinct pairs.

    .venv/bin/python bench/neardup_threshold.py [--json out.json]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from tricks_kb.catalog import load_catalog
from tricks_kb.embed import load_embedder
from tricks_kb.neardup import EMBEDDING_THRESHOLD, TOKEN_OVERLAP_THRESHOLD, entry_labels, lexical_score
from tricks_kb.passages import entry_text


def resubmission_text(t) -> str:
    """The same trick written again by someone else, roughly: another name, the summary, no recipe."""
    name = t.aliases[0] if t.aliases else t.id.replace("-", " ")
    return " ".join([name + ".", t.summary])


def renamed_text(t) -> str:
    """The same entry submitted under another name (first alias) with its aliases dropped."""
    name = t.aliases[0] if t.aliases else t.id.replace("-", " ")
    return entry_text(t.model_copy(update={"name": name, "aliases": []}))


def pct(values: np.ndarray) -> dict[str, float]:
    return {k: round(float(np.percentile(values, q)), 3) for k, q in
            (("min", 0), ("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()
    cat = load_catalog()
    tricks = sorted(cat.tricks.values(), key=lambda t: t.id)
    emb = load_embedder()
    vecs = np.asarray(emb.encode([entry_text(t) for t in tricks]), dtype="float32")
    dups = np.asarray(emb.encode([resubmission_text(t) for t in tricks]), dtype="float32")
    renamed = np.asarray(emb.encode([renamed_text(t) for t in tricks]), dtype="float32")
    renamed_sim = (vecs * renamed).sum(axis=1)
    sims = vecs @ vecs.T
    np.fill_diagonal(sims, -1.0)
    nn = sims.max(axis=1)
    self_sim = (vecs * dups).sum(axis=1)
    order = np.argsort(-nn)
    pairs = sorted({tuple(sorted((tricks[i].id, tricks[int(sims[i].argmax())].id))) + (round(float(nn[i]), 3),)
                    for i in order[:10]}, key=lambda p: -p[2])
    lex = [max((lexical_score(x, y)[0] for b in tricks if b is not a for x in _labels_t(a) for y in _labels_t(b)
                if x.casefold() != y.casefold()), default=0.0) for a in tricks]
    out = {
        "entries": len(tricks),
        "nearest_distinct_similarity": pct(nn),
        "resubmission_similarity": pct(self_sim),
        "renamed_copy_similarity": pct(renamed_sim),
        "renamed_copies_caught": int((renamed_sim >= EMBEDDING_THRESHOLD).sum()),
        "distinct_pairs_at_or_above_threshold": int((nn >= EMBEDDING_THRESHOLD).sum()),
        "resubmissions_caught": int((self_sim >= EMBEDDING_THRESHOLD).sum()),
        "embedding_threshold": EMBEDDING_THRESHOLD,
        "closest_distinct_pairs": pairs,
        "nearest_distinct_token_overlap": pct(np.asarray(lex)),
        "token_overlap_threshold": TOKEN_OVERLAP_THRESHOLD,
    }
    print(json.dumps(out, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2)


def _labels_t(t):
    class _E:  # entry_labels takes an Entry; only .trick is read
        trick = t
    return entry_labels(_E)


if __name__ == "__main__":
    main()
