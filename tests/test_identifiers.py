"""Identifiers in text (snake_case, camelCase, dotted keys) are split into words for BM25 and correction."""

from __future__ import annotations

import pytest

from tricks_kb.keywords import identifier_parts, tokenize, tokenizer_settings


@pytest.mark.parametrize(("word", "parts"), [
    ("total_grad_norm", ["total", "grad", "norm"]),
    ("lr_scheduler_type", ["lr", "scheduler", "type"]),
    ("warmupSteps", ["warmup", "Steps"]),
    ("CosineAnnealingLR", ["Cosine", "Annealing", "LR"]),
    ("BatchNorm", ["Batch", "Norm"]),
    ("LoRA", []), ("AdamW", []), ("ZeRO", []), ("warmup", []), ("bf16", []),
])
def test_identifier_parts(word, parts):
    assert identifier_parts(word) == parts


def test_tokens_keep_the_whole_identifier_and_add_its_parts():
    toks = tokenize("total_grad_norm spikes, optim.betas and lrScheduler")
    assert {"total_grad_norm", "total", "grad", "norm", "optim", "beta", "lrschedul", "lr", "schedul"} <= set(toks)
    assert tokenize("AdamW LoRA") == ["adamw", "lora"]


def test_a_pasted_config_key_matches_the_words_of_an_entry():
    assert set(tokenize("warmup_ratio")) >= set(tokenize("warmup ratio"))
    assert set(tokenize("BatchNorm")) >= set(tokenize("batch norm")) | set(tokenize("batchnorm"))


def test_the_manifest_records_identifier_splitting():
    s = tokenizer_settings()
    assert s["identifiers"] == "split" and s["version"] >= 2


def test_the_corrector_leaves_identifiers_of_known_words_alone(search_engine):
    assert search_engine.correct("lrScheduler warmup_ratio") == "lrScheduler warmup_ratio"
    assert "warmup" in search_engine.correct("warmpu_ratio")
