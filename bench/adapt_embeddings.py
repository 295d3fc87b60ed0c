"""Experiment (issue 13): adapt the embedding model to the catalog, then rank with it against the base model.

    .venv/bin/python bench/adapt_embeddings.py [--work DIR] [--lr 2e-4] [--epochs 1] [--rank 16] [--claims]
                                               [--real-questions] [--dense-weight 0.6 0.7] [--held-out]

Trains low-rank (LoRA) updates of every linear layer of the encoder of the packaged all-MiniLM-L6-v2, merges
them into a model folder (WORK/model), embeds the catalog with it into WORK/index, and prints hybrid and
dense nDCG@10 / Recall@5 of the base model (committed index) and the adapted one, on the development sets
(own phrasings and real dev questions with pooled judgments, the first fresh set) and, with --held-out, on
the held-out sets too. Training pairs come from the catalog only, never from an evaluation set: each
symptom, the name and each alias of a trick (with --claims, each claim statement too) paired with that
trick's entry passage; with --real-questions also each real practitioner question of the sets that are
training data here (real_questions.yaml, the first fresh set and the third set) paired with each entry that
answers it, and then the fourth set is the validation set that decides (it is not trained on). Loss: in-batch-negatives ranking loss (sentence-transformers, scale 20), with no
trick twice in a batch; AdamW, linear warm-up over the first tenth, then linear decay; seed 1234.
Figures and the decision are in docs/benchmarks.md ("Stop 21").
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "eval"
SEED = 1234
ALPHA_PER_RANK = 2.0
TARGETS = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
           "intermediate.dense", "output.dense")


def training_pairs(tricks: dict, claims: bool, real: bool = False) -> list[tuple[str, str, str]]:
    """(trick id, anchor, entry passage) for every symptom, name and alias (and claim) of every trick, and with
    ``real`` every (question, answering entry) of the real-question training sets."""
    from tricks_kb.passages import entry_text
    from tricks_kb.retrieval_eval import (
        FRESH_QUESTIONS,
        REAL_QUESTIONS,
        THIRD_QUESTIONS,
        answering_ids,
        load_real_questions,
    )

    pairs = []
    for tid in sorted(tricks):
        t = tricks[tid]
        anchors = [*t.symptoms, t.name, *t.aliases] + ([c.statement for c in t.claims] if claims else [])
        pairs += [(tid, a, entry_text(t)) for a in anchors]
    if real:
        for name in (REAL_QUESTIONS, FRESH_QUESTIONS, THIRD_QUESTIONS):
            for it in load_real_questions(EVAL / name):
                pairs += [(tid, it["q"], entry_text(tricks[tid])) for tid in sorted(answering_ids(it, set(tricks)))]
    return pairs


def batches(pairs: list[tuple[str, str, str]], size: int, rng: random.Random) -> list[list[tuple[str, str, str]]]:
    """One epoch of shuffled batches in which no trick appears twice (no in-batch negative is a positive)."""
    rest = pairs[:]
    rng.shuffle(rest)
    out = []
    while rest:
        seen: set[str] = set()
        batch, left = [], []
        for p in rest:
            if len(batch) < size and p[0] not in seen:
                batch.append(p)
                seen.add(p[0])
            else:
                left.append(p)
        out.append(batch)
        rest = left
    return out


def train_merged(base: Path, out: Path, tricks: dict, args: argparse.Namespace) -> dict[str, float]:
    """Train LoRA updates on the catalog pairs and save base + updates as a sentence-transformers folder."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    torch.manual_seed(SEED)
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    pairs = training_pairs(tricks, args.claims, args.real_questions)
    plan = [b for _ in range(args.epochs) for b in batches(pairs, 32, random.Random(SEED))]  # noqa: S311
    model = SentenceTransformer(str(base), device="cpu")
    encoder = model[0].auto_model
    for p in encoder.parameters():
        p.requires_grad_(False)
    loras = []
    for name, module in list(encoder.named_modules()):
        if isinstance(module, torch.nn.Linear) and name.startswith("encoder.layer.") and name.endswith(TARGETS):
            a = torch.nn.Parameter(torch.empty(args.rank, module.in_features))
            torch.nn.init.kaiming_uniform_(a, a=math.sqrt(5))
            b = torch.nn.Parameter(torch.zeros(module.out_features, args.rank))
            module.register_parameter("lora_A", a)
            module.register_parameter("lora_B", b)
            module.register_forward_hook(lambda m, x, y: y + (x[0] @ m.lora_A.T @ m.lora_B.T) * ALPHA_PER_RANK)
            loras.append(module)
    loss = MultipleNegativesRankingLoss(model, scale=20.0)
    opt = torch.optim.AdamW([p for m in loras for p in (m.lora_A, m.lora_B)], lr=args.lr, weight_decay=0.0)
    warm = max(1, len(plan) // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (len(plan) - s) / max(1, len(plan) - warm)))
    print(f"{len(pairs)} pairs, {len(plan)} steps, rank {args.rank}, lr {args.lr}", file=sys.stderr)
    model.train()
    t0 = time.perf_counter()
    for step, batch in enumerate(plan):
        value = loss([model.preprocess([p[1] for p in batch]), model.preprocess([p[2] for p in batch])], None)
        value.backward()
        opt.step()
        sched.step()
        opt.zero_grad()
        if step % 10 == 0:
            print(f"step {step + 1}/{len(plan)} loss {value.item():.3f} ({time.perf_counter() - t0:.0f} s)",
                  file=sys.stderr)
    with torch.no_grad():
        for m in loras:
            m.weight += (m.lora_B @ m.lora_A) * ALPHA_PER_RANK
            m._forward_hooks.clear()
            del m.lora_A, m.lora_B
    model.eval()
    model.save(str(out))
    return {"pairs": len(pairs), "steps": len(plan), "seconds": time.perf_counter() - t0}


def evaluate(engine, held_out: bool) -> dict[str, dict[str, dict[str, float]]]:
    """Per set, per mode (dense, hybrid): nDCG@10 and Recall@5."""
    from tricks_kb.retrieval_eval import (
        FOURTH_QUESTIONS,
        FRESH_QUESTIONS,
        HELD_OUT_QUESTIONS,
        REAL_QUESTIONS,
        evaluate_modes,
        evaluate_real,
        load_real_questions,
        pooled_real,
        split_real,
    )

    modes = ("dense", "hybrid")
    items = load_real_questions(EVAL / REAL_QUESTIONS)
    pooled = pooled_real(items, EVAL)
    dev, held = split_real(items)
    out = {"own (pooled)": evaluate_modes(engine, EVAL, modes=modes, pooled=True)[0],
           "real dev (pooled)": evaluate_real(engine, dev, modes=modes, pooled=pooled)[0],
           "fresh": evaluate_real(engine, load_real_questions(EVAL / FRESH_QUESTIONS), modes=modes)[0],
           "fourth set (validation with --real-questions)":
               evaluate_real(engine, load_real_questions(EVAL / FOURTH_QUESTIONS), modes=modes)[0]}
    if held_out:
        out["real held-out (pooled)"] = evaluate_real(engine, held, modes=modes, pooled=pooled)[0]
        out["newest set (held out)"] = evaluate_real(engine, load_real_questions(EVAL / HELD_OUT_QUESTIONS),
                                                   modes=modes)[0]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=None, help="folder for the model and index (default: a temp dir)")
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--claims", action="store_true", help="also pair each claim statement with its entry")
    ap.add_argument("--real-questions", action="store_true",
                    help="also train on the real questions of the earlier sets (the fourth set validates)")
    ap.add_argument("--dense-weight", type=float, nargs="+", default=[0.6, 0.7])
    ap.add_argument("--held-out", action="store_true", help="also print the held-out sets (not for tuning)")
    args = ap.parse_args()

    from tricks_kb.build import build
    from tricks_kb.catalog import load_catalog
    from tricks_kb.embed import DEFAULT_MODEL_NAME, model_info
    from tricks_kb.search import Fusion, SearchEngine

    work = args.work or Path(tempfile.mkdtemp(prefix="tricks-kb-adapt-"))
    tricks = load_catalog().tricks
    model_dir, index_dir = work / "model", work / "index"
    shutil.rmtree(model_dir, ignore_errors=True)
    rep = train_merged(model_info(DEFAULT_MODEL_NAME).path, model_dir, tricks, args)
    built = build(tricks, index_dir, model=str(model_dir), force=True)
    print(f"trained on {rep['pairs']} pairs in {rep['seconds']:.0f} s; indexed {built.passages} passages "
          f"in {built.seconds:.0f} s; model and index in {work}")
    rows = []
    for w in args.dense_weight:
        fusion = replace(Fusion(), dense_weight=w)
        for label, engine in (("base", SearchEngine.load(fusion=fusion)),
                              ("adapted", SearchEngine.load(index_dir=index_dir, model=str(model_dir), fusion=fusion))):
            for name, res in evaluate(engine, args.held_out).items():
                rows.append((name, w, label, res))
    print("\n| set | dense weight | model | hybrid nDCG@10 | hybrid R@5 | dense nDCG@10 | dense R@5 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, w, label, res in sorted(rows, key=lambda r: (r[0], r[1], r[2] != "base")):
        print(f"| {name} | {w} | {label} | {res['hybrid']['ndcg@10']:.3f} | {res['hybrid']['recall@5']:.3f} | "
              f"{res['dense']['ndcg@10']:.3f} | {res['dense']['recall@5']:.3f} |")


if __name__ == "__main__":
    main()
