"""Search II over the real fixture index: the answer on each hit, the relevance floor, comparisons, long pastes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tricks_kb.query import clean_query
from tricks_kb.search import first_sentence

GIBBERISH = ["qwzx plorb vintashk", "asdkjh qwe zxcv", "how do I bake sourdough bread", "best pizza in naples"]


def _cli(search_index, *args):
    env = dict(os.environ, TRICKS_KB_CATALOG=str(search_index.catalog_dir), TRICKS_KB_INDEX=str(search_index.index_dir))
    return subprocess.run([sys.executable, "-m", "tricks_kb", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_each_hit_carries_the_claim_that_answers_and_the_verdict_reason(search_engine):
    hits = search_engine.search("does label smoothing hurt knowledge distillation", k=5).hits
    for h in hits:
        t = search_engine.tricks[h.id]
        a = h.answer
        assert a is not None and 1 <= a["claim"] <= len(t.claims)
        claim = t.claims[a["claim"] - 1]  # 1-based
        assert a["statement"] == claim.statement and a["effect"] == claim.effect.value
        assert a["source"] in claim.sources and a["grade"] in "ABCD"
        assert h.verdict_reason_short and t.verdict_reason.startswith(h.verdict_reason_short.rstrip("."))
    top = hits[0]
    assert top.id == "label-smoothing"
    assert "distill" in top.answer["statement"].casefold()


def test_first_sentence():
    assert first_sentence("Strong evidence. Many studies agree.") == "Strong evidence."
    assert first_sentence("No full stop here") == "No full stop here"
    assert len(first_sentence("word " * 200)) <= 240


def test_nothing_close_gives_no_hits_but_suggestions(search_engine):
    for q in GIBBERISH:
        resp = search_engine.search(q, k=10)
        assert resp.below_floor and resp.hits == [], q
        assert resp.suggestions and set(resp.suggestions) <= set(search_engine.tricks)


def test_answerable_questions_stay_above_the_floor(search_engine):
    for q in ["my loss spikes early in training", "lable smothing", "regularize a classifier", "EMA of weights",
              "total_grad_norm keeps growing", "warmup_ratio"]:
        resp = search_engine.search(q, k=5)
        assert not resp.below_floor and resp.hits, q


def test_compare_puts_both_first(search_engine):
    for q, pair in [("cosine vs WSD", {"cosine-decay", "warmup-stable-decay"}),
                    ("AdamW or weight decay?", {"adamw", "weight-decay"}),
                    ("mixup versus label smoothing", {"mixup", "label-smoothing"})]:
        resp = search_engine.search(q, k=5)
        assert set(resp.compare) == pair, q
        assert {h.id for h in resp.hits[:2]} == pair, q
    assert search_engine.search("gradient clipping for loss spikes", k=5).compare == []


def test_a_long_paste_uses_text_past_the_clip(search_engine):
    filler = ("Epoch 3 step 1200 | lr 3.0e-04 | throughput 812 samples/s | eval accuracy 0.41 | data loader ok. "
              * 8)
    assert len(filler) > 600
    paste = "Question about my run. " + filler + "The fix I am looking for: label smoothing of the targets."
    assert "label-smoothing" in {h.id for h in search_engine.search(paste, k=5).hits}
    # the same paste cut at the clip, as before: the words past it are lost
    assert "label-smoothing" not in {h.id for h in search_engine.search(clean_query(paste), k=5).hits}


def test_cli_prints_no_trick_matches_and_json_empty(search_index):
    out = _cli(search_index, "search", GIBBERISH[0])
    assert out.returncode == 0 and out.stdout.startswith("no trick matches"), out.stdout
    assert "hint: Nearest entries, though not close:" in out.stdout
    out = _cli(search_index, "search", GIBBERISH[0], "--json")
    assert out.returncode == 0 and json.loads(out.stdout) == []


def test_cli_shows_the_answer_and_json_has_the_new_fields(search_index):
    out = _cli(search_index, "search", "label smoothing", "--json", "--k", "2")
    hits = json.loads(out.stdout)
    assert {"answer", "verdict_reason_short", "claim_index", "matched"} <= set(hits[0])
    assert set(hits[0]["answer"]) == {"claim", "statement", "effect", "grade", "source"}
    out = _cli(search_index, "search", "label smoothing", "--k", "1")
    assert "    answer (claim " in out.stdout and "grade " in out.stdout
    out = _cli(search_index, "search", "cosine vs WSD", "--k", "2")
    assert "hint: Compare them: tricks-kb show" in out.stdout


def test_prose_of_keeps_the_lines_a_person_wrote():
    from tricks_kb.query import prose_of

    paste = ("Loss spikes after 2k steps with bf16\n"
             "Traceback (most recent call last):\n"
             '  File "train.py", line 212, in <module>\n'
             "INFO:root:step 1200 lr 0.000300 tokens/s 41230\n"
             "optimizer:\n  lr: 3e-4\n"
             "accelerate==0.24.1\n"
             "I already tried a lower learning rate but it still diverges.\n"
             "| GPU | util |\n")
    assert prose_of(paste) == ("Loss spikes after 2k steps with bf16 "
                               "I already tried a lower learning rate but it still diverges.")
    assert prose_of("one line only, however long it is") is None
    assert prose_of("two lines\nboth written by a person") is None  # nothing to weigh down
    assert prose_of("Traceback (most recent call last):\nValueError: bad") is None  # no prose at all


def test_a_pasted_log_does_not_drown_the_question(search_engine, monkeypatch):
    import tricks_kb.search as search_module

    log = ("INFO:root:optimizer adamw betas=(0.9, 0.95) weight_decay=0.1 dropout=0.1 ema_decay=0.9999\n"
           "INFO:root:scheduler cosine warmup_steps=2000 label_smoothing=0.1 mixup_alpha=0.8\n"
           "Epoch 3: 100%|##########| 782/782 [02:11<00:00, 5.95it/s, v_num=0]\n"
           '  File "train.py", line 180, in main\n')
    paste = "my loss spikes in the middle of training and does not come back\n" + log * 2
    assert search_engine.search(paste, k=5).hits[0].id == "loss-spike-rollback"
    # without the prose lines counting first, the config words in the log win
    monkeypatch.setattr(search_module, "prose_of", lambda query: None)
    assert search_engine.search(paste, k=5).hits[0].id != "loss-spike-rollback"
