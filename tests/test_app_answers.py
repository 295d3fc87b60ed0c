"""The app's search cards show the answering claim and the verdict's reason; nothing close is said plainly."""

from __future__ import annotations

import pytest
from test_app import app_env, card_labels, md, run  # noqa: F401 - app_env is a fixture

pytestmark = pytest.mark.slow


def test_card_shows_the_answer_and_the_verdict_reason(app_env):  # noqa: F811
    at = run({"q": "does label smoothing hurt knowledge distillation"})
    text = md(at)
    assert "**Answer** (claim " in text and "source " in text
    assert "**Why " in text


def test_nothing_close_says_so_and_offers_the_catalog(app_env):  # noqa: F811
    at = run({"q": "how do I bake sourdough bread"})
    assert any("No trick matches this question" in i.value for i in at.info)
    assert [b for b in at.button if b.label == "Browse the whole catalog"]
    assert card_labels(at)  # the nearest entries, as links


def test_comparison_offers_a_compare_link(app_env):  # noqa: F811
    at = run({"q": "cosine vs WSD"})
    links = [p.proto for p in at.get("page_link") if "ompare" in p.proto.label]
    assert links and "cosine-decay" in links[0].query_string and "warmup-stable-decay" in links[0].query_string
