"""Safe text helpers of the app: escaped catalog text renders as exactly that text under CommonMark."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from tricks_kb.catalog import close_ids, resolve_id
from tricks_kb.ui.text import (
    WORD_JOINER,
    clean,
    escape_md,
    escape_md_block,
    highlight_md,
    md_link,
    query_terms,
    safe_url,
    snippet,
)
from tricks_kb.ui.views import landscape_rows, verdict_counts

MD = MarkdownIt("commonmark")  # html allowed, like a permissive renderer: escaping alone must make it safe
PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
            "![i](https://e.org/i.png)", ":red[x]", "$x^2$", "**b**", "_i_", "# h", "- li", "1. li", "> q",
            "`code`", "&lt;b&gt;", "<https://e.org>", "\\*", "|a|b|", "~~s~~", "<!-- c -->", "\u202e", "😀",
            "https://evil.example/x", "www.evil.example", "HTTP://EVIL.EXAMPLE", "user@evil.example",
            "(www.evil.example/login)", "wwww.evil.example"]
texts = st.one_of(st.text(max_size=200), st.lists(st.sampled_from(PAYLOADS), max_size=6).map(" ".join),
                  st.lists(st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=20)), max_size=6).map("".join))


def rendered_text(markdown: str) -> tuple[str, set[str]]:
    """(plain text, tag names) of the HTML that CommonMark makes of ``markdown``."""
    out = MD.render(markdown)
    tags = set(re.findall(r"<\s*/?\s*([a-zA-Z0-9]+)", out))
    # The WORD JOINERs that defuse auto-links are invisible; clean() drops any in the input itself.
    return html.unescape(re.sub(r"<[^>]*>", "", out)).replace(WORD_JOINER, "").strip(), tags


# The patterns of Streamlit's markdown auto-linking (remark-gfm autolink literal, as in its bundled JS),
# run on text after escapes are resolved; the e-mail one without its lookbehind (a stricter test).
GFM_URL = re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.I | re.ASCII)
GFM_EMAIL = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)", re.ASCII)


def _text_nodes(markdown: str) -> list[str]:
    return [html.unescape(t) for t in re.split(r"<[^>]*>", MD.render(markdown))]


@settings(max_examples=300, deadline=None)
@given(texts, st.text(max_size=20))
def test_no_bare_url_can_become_a_link(text, query):
    for md in (escape_md(text), highlight_md(text, query), escape_md_block(text)):
        for node in _text_nodes(md):
            assert not GFM_URL.search(node) and not GFM_EMAIL.search(node), (text, node)


def test_known_autolink_shapes_are_defused():
    for bare in ("https://evil.example/login", "see www.evil.example now", "mail a@b.example", "Http://x.y"):
        nodes = _text_nodes(escape_md(bare))
        assert not any(GFM_URL.search(n) or GFM_EMAIL.search(n) for n in nodes), nodes
        assert "".join(nodes).replace(WORD_JOINER, "").strip() == bare


@settings(max_examples=300, deadline=None)
@given(texts)
def test_escaped_text_renders_literally(text):
    plain, tags = rendered_text(escape_md(text))
    assert tags <= {"p"}
    assert plain == clean(text)


@settings(max_examples=200, deadline=None)
@given(texts, st.text(max_size=40))
def test_highlight_only_adds_bold(text, query):
    plain, tags = rendered_text(highlight_md(text, query))
    assert tags <= {"p", "strong"}
    assert plain == clean(text)


@settings(max_examples=300, deadline=None)
@given(texts.flatmap(lambda x: st.tuples(st.just(x), st.sampled_from(x.split() or ["a"]))))
def test_highlight_of_words_from_the_text(pair):
    text, query = pair  # queries made of the text's own words, so highlights really happen
    plain, tags = rendered_text(highlight_md(text, query))
    assert tags <= {"p", "strong"}
    assert plain == clean(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000), st.text(max_size=30))
def test_snippet_is_a_short_window_of_the_text(text, query):
    out = snippet(text, query, width=120)
    assert len(out) <= 124
    assert out.strip(" …") in clean(text)


def test_snippet_centres_on_the_first_match():
    text = "filler words " * 40 + "the warmup phase matters " + "more filler " * 40
    out = snippet(text, "warmup", width=100)
    assert "warmup" in out and out.startswith("… ") and out.endswith(" …")


def test_highlight_next_to_symbols():
    # found by Hypothesis: a highlighted word ending in a symbol could not close its bold marker
    for text, query in (("0×¹", "0×"), ("x²y", "x"), ("café's", "caf"), ("a_b", "a b")):
        plain, tags = rendered_text(highlight_md(text, query))
        assert plain == clean(text) and tags <= {"p", "strong"}, (text, query)


def test_highlight_marks_query_words():
    out = highlight_md("Loss spikes early; use warmup (2,000 steps).", "loss spike warm-up")
    assert "**Loss**" in out and "**spikes**" in out and "**warmup**" in out and "**early" not in out
    assert "**warmup**" in highlight_md("use warmup", "warmup")
    assert query_terms("How do I fix the loss") == ["fix", "loss"]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_block_escaping_keeps_text_and_breaks(text):
    _, tags = rendered_text(escape_md_block(text))
    assert tags <= {"p", "br"}


def test_safe_url_only_http():
    assert safe_url("https://arxiv.org/abs/1711.05101") == "https://arxiv.org/abs/1711.05101"
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>", "vbscript:x", "/relative",
                "//evil.org/x", "https://", "ftp://x.org/f", "https://a.org/x y", "", None, "https://a\x00.org"):
        assert safe_url(bad) is None, bad
    assert safe_url('https://e.org/"><img/src=x>') == "https://e.org/%22%3E%3Cimg/src=x%3E"


def test_md_link_renders_one_http_anchor():
    out = MD.render(md_link("a [label](javascript:x)", 'https://e.org/p(1)"><script>'))
    assert out.count("<a ") == 1 and 'href="https://e.org/' in out and "<script" not in out
    assert md_link("label", "javascript:alert(1)") == "label"


def test_views_resolve_and_close_matches(search_engine):
    tricks = search_engine.tricks
    assert resolve_id("adamw", tricks) == "adamw"
    assert resolve_id("label smoothing", tricks) == "label-smoothing"
    assert "adamw" in close_ids("adamx", tricks)
    assert "lr-warmup" in close_ids("warmup", tricks)
    assert close_ids("", tricks) == []


def test_landscape_rows_and_counts(search_engine):
    tricks = search_engine.tricks
    rows = landscape_rows(tricks)
    assert {r["id"] for r in rows} == set(tricks)
    for r in rows:
        assert abs(r["x"] - r["points"]) <= 0.35 and abs(r["y"] - r["independent_sources"]) <= 0.25
        assert r["url"] == f"trick?trick={r['id']}"
    counts = verdict_counts(tricks)
    assert counts[-1]["total"] == len(tricks) == sum(c["total"] for c in counts[:-1])
