"""The Streamlit app's page logic, run headless with streamlit.testing.v1.AppTest (real model and index)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from tricks_kb.ui.text import STOPWORDS

pytestmark = pytest.mark.slow

APP = Path(__file__).resolve().parents[1] / "app.py"
TIMEOUT = 120  # the first run loads the embedding model


@pytest.fixture
def app_env(search_index, monkeypatch):
    """Point the app at the fixture catalog and its real index."""
    monkeypatch.setenv("TRICKS_KB_CATALOG", str(search_index.catalog_dir))
    monkeypatch.setenv("TRICKS_KB_INDEX", str(search_index.index_dir))
    return search_index


def run(params: dict[str, str] | None = None, page: str | None = None) -> AppTest:
    """Run app.py once, optionally with query parameters and on a given page (by url path)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    if page:
        at._page_hash = calc_hash(page)  # AppTest.switch_page only knows file pages; st.Page hashes url_path
    at.run()
    if any("still loading" in i.value for i in at.info):
        # cold start: keyword results came first while the model loads in the background; wait for it
        from tricks_kb.ui.resources import start_engine

        start_engine().result(timeout=TIMEOUT)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def card_labels(at: AppTest) -> list[str]:
    """The trick names on the result cards, in order."""
    return [p.proto.label for p in at.get("page_link") if p.proto.page.startswith("trick")
            or "trick" in p.proto.page]


def md(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n" + "\n".join(c.value for c in at.caption)


def test_search_ranks_and_highlights(app_env):
    at = run({"q": "warmup"})
    labels = card_labels(at)
    assert labels, "no result cards"
    assert "Learning\\-rate warmup" in labels[:2] or "Warmup\\-stable\\-decay \\(WSD\\) schedule" in labels[:2]
    assert "**warmup**" in md(at).lower()
    assert at.text_input(key="s_q").value == "warmup"


def test_filter_restricts_results_and_updates_url(app_env):
    at = run({"q": "learning rate"})
    before = card_labels(at)
    at.multiselect(key="f_verdict").set_value(["folklore"]).run()
    after = card_labels(at)
    assert after and len(after) < len(before)
    verdict_badges = re.findall(r":(\w+)-badge\[(established|promising|contested|folklore|debunked)\]", md(at))
    assert verdict_badges and {v for _, v in verdict_badges} == {"folklore"}
    assert at.query_params["verdict"] == "folklore"
    assert at.query_params["q"] == "learning rate"


def test_deep_link_restores_query_and_filters(app_env):
    at = run({"q": "warmup", "verdict": "folklore,established", "grade": "A"})
    assert at.text_input(key="s_q").value == "warmup"
    assert at.multiselect(key="f_verdict").value == ["folklore", "established"]
    assert at.multiselect(key="f_grade").value == ["A"]


def test_tag_filter_from_catalog_tags_and_url(app_env):
    at = run({"q": "training", "tag": "llm-stability,no-such-tag"})
    tags = at.multiselect(key="f_tag")
    assert tags.value == ["llm-stability"]  # unknown tags from the URL are dropped
    assert "llm-stability (2)" in tags.options  # the catalog's tags, each with its number of tricks
    assert sorted(card_labels(at)) == ["Gradient norm clipping", "Roll back and skip data after loss spikes"]
    assert at.query_params["tag"] == "llm-stability"
    tags.set_value([]).run()
    assert len(card_labels(at)) > 2 and "tag" not in at.query_params


def test_deep_link_ignores_unknown_filter_values(app_env):
    at = run({"verdict": "nonsense", "year_min": "abcd"})
    assert at.multiselect(key="f_verdict").value == []
    assert len(card_labels(at)) == 12  # browse mode: the whole fixture catalog


def test_trick_page_shows_everything(app_env):
    at = run({"trick": "adamw"})
    text = md(at)
    assert at.title[0].value.startswith("AdamW")
    claims = at.table[0].value
    assert len(claims) >= 2 and {"effect", "claim", "grade", "sources", "evidence", "magnitude"} <= set(claims.columns)
    assert "Verdicts the evidence supports" in text
    assert any("@" in c.value and "title" in c.value for c in at.code), "no BibTeX block"
    assert "arxiv.org/abs/" in text
    related = [p.proto.label for p in at.get("page_link")]
    assert "Weight decay" in related  # related trick present in the catalog is a link
    assert "no\\-decay\\-norm\\-bias" in text  # one that is not is plain text
    tag_links = {p.proto.label: p.proto.query_string for p in at.get("page_link") if "tag=" in p.proto.query_string}
    assert tag_links == {"adaptive": "tag=adaptive", "weight\\-decay": "tag=weight-decay"}  # tags open a search


def test_trick_page_explains_the_evidence(app_env, monkeypatch):
    monkeypatch.setenv("TRICKS_KB_REPO_URL", "https://github.com/example/tricks-kb")
    at = run({"trick": "adamw"})
    text = md(at)
    claims = at.table[0].value
    assert list(claims["no."]) == list(range(1, len(claims) + 1)), "claims are numbered from 1, in the table"
    assert list(claims.columns[:2]) == ["no.", "grade"]
    assert "Evidence for" in text and re.search(r"\*\*Claim 1\.\*\*", text)
    assert re.search(r"grade [ABCD] · (strong|moderate|weak|very weak) evidence", text)
    helps = [m.help for m in at.markdown if "badge[" in m.value and m.help]
    assert helps and "not whether the trick is good" in helps[0]  # the badge line explains itself
    expander = "\n".join(m.value for m in at.expander[0].markdown)
    assert "**A** from 8 points" in expander and "](/rubric)" in expander
    assert "@inproceedings{loshchilov2019," in "\n".join(c.value for c in at.code)  # same key as on the page
    assert "`loshchilov2019`" in text
    issue = re.search(r"\[Suggest an edit \\/ report an error\]\((https://github\.com/example/tricks-kb/issues/new\?[^)]+)\)",
                      text)
    assert issue and "title=adamw" in issue.group(1) and "tricks%2Fadamw.yaml" in issue.group(1)
    assert "https://github.com/example/tricks-kb/blob/main/tricks/adamw.yaml" in text
    assert not re.search(r"[.?!]\*?\.", text.replace("et al.", "")), "double punctuation"


def test_rubric_page_renders_the_rubric(app_env):
    at = run(page="rubric")
    assert at.markdown and "# Evidence grading" in at.markdown[0].value
    assert "## 3. Grades" in at.markdown[0].value


def test_trick_by_alias_resolves(app_env):
    at = run({"trick": "label smoothing"})
    assert at.title[0].value.startswith("Label smoothing")


def test_unknown_trick_suggests_close_matches(app_env):
    at = run({"trick": "adamx"})
    assert at.error and "no trick" in at.error[0].value.lower()
    assert "AdamW \\(decoupled weight decay\\)" in [p.proto.label for p in at.get("page_link")]


def test_compare_two_tricks(app_env):
    at = run({"compare": "adamw,weight-decay,not-a-trick"})
    assert at.multiselect(key="c_pick").value == ["adamw", "weight-decay"]
    assert at.warning and "not\\-a\\-trick" in at.warning[0].value
    text = md(at)
    assert "part\\-of" in text  # adamw is part-of weight-decay (from `related`)
    table = at.table[0].value  # one column per trick, the same rows for each
    assert list(table.columns) == ["AdamW (decoupled weight decay)", "Weight decay"]
    assert list(table.index[:6]) == ["What the evidence says", "Verdict", "Strongest evidence", "What it costs",
                                     "When to use it", "Typical values"]
    studies = [i for i in table.index if i.startswith("Study: ")]
    assert studies, "the two tricks share a source: it gets its own row"
    assert all(table.loc[row].str.contains(r"claim \d|cited|not cited").all() for row in studies)
    assert table.loc["Verdict"].str.match(r"^(established|promising|contested|folklore|debunked) \(").all()
    assert not table.to_string().count(".0000")  # magnitudes with sensible precision
    assert at.query_params["compare"] == "adamw,weight-decay"


def test_landscape_chart_and_counts(app_env):
    at = run(page="landscape")
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    spec = charts[0].proto.spec
    assert re.search(r'"href": \{"field": "url"', spec) and '"category"' in spec  # points link to trick pages
    counts = at.dataframe[0].value
    assert counts.iloc[-1]["category"] == "all" and counts.iloc[-1]["total"] == 12
    assert counts.iloc[:-1]["total"].sum() == 12
    assert "How to read it" in md(at)


def test_contribute_shows_template_and_command(app_env):
    at = run(page="contribute")
    code = "\n".join(c.value for c in at.code)
    assert "id: my-new-trick" in code and "verdict:" in code
    assert "tricks-kb validate tricks/my-new-trick.yaml" in code
    steps = [m.value for m in at.markdown if re.match(r"\*\*\d+\. ", m.value)]
    assert [int(re.match(r"\*\*(\d+)", s).group(1)) for s in steps] == list(range(1, len(steps) + 1))
    order = ["tricks-kb search", "./dev.sh setup", "tricks-kb new my-new-trick", "tricks-kb validate",
             "tricks-kb build", "git push"]
    positions = [code.index(c) for c in order]
    assert positions == sorted(positions), "the steps' commands come in the order of the steps"
    assert "symptoms:" in code
    guide = md(at)  # CONTRIBUTING.md in the expander: its relative links point at the repository's files
    assert "docs/recipe-check.md" in guide
    assert not re.search(r"\]\((?!https?://|#|/)[^)]+\)", guide), "a relative link would open a blank app page"


def test_relative_links_become_repository_links():
    from tricks_kb.ui.contrib import absolute_links

    text = "[doc](docs/a.md), [web](https://e.org/x), [anchor](#y)"
    assert absolute_links(text, "https://github.com/o/r") == (
        "[doc](https://github.com/o/r/blob/main/docs/a.md), [web](https://e.org/x), [anchor](#y)")
    assert absolute_links(text, None).startswith("doc (`docs/a.md`), [web](https://e.org/x)")


def test_no_results_gives_suggestions(app_env):
    at = run({"q": "lable smothing", "category": "optimizer"})
    buttons = [b.label for b in at.button]
    assert any("Search for" in b for b in buttons) or any("oosen" in b for b in buttons), buttons


def test_spelling_button_applies_correction(app_env):
    at = run({"q": "lable smothing"})
    spell = [b for b in at.button if b.label.startswith("Search for")]
    assert spell, [b.label for b in at.button]
    spell[0].click().run()
    assert "smoothing" in at.text_input(key="s_q").value


def test_bad_index_banner_and_keyword_results(search_index, corrupt_index, monkeypatch):
    monkeypatch.setenv("TRICKS_KB_CATALOG", str(search_index.catalog_dir))
    monkeypatch.setenv("TRICKS_KB_INDEX", str(corrupt_index))
    at = run({"q": "label smoothing"})
    assert at.warning and "keyword" in at.warning[0].value
    assert any(c.value == "tricks-kb build" for c in at.code)
    assert card_labels(at)[0] == "Label smoothing"


def test_missing_index_banner(search_index, tmp_path, monkeypatch):
    monkeypatch.setenv("TRICKS_KB_CATALOG", str(search_index.catalog_dir))
    monkeypatch.setenv("TRICKS_KB_INDEX", str(tmp_path / "no-index-here"))
    at = run({"q": "dropout"})
    assert "has not been built" in at.warning[0].value
    assert "Dropout" in card_labels(at)


def test_page_error_is_friendly(app_env, monkeypatch):
    import tricks_kb.ui.page_trick as page_trick

    def boom(*a, **k):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(page_trick, "claim_rows", boom)
    at = run({"trick": "adamw"})
    assert at.error and "Sorry, something went wrong" in at.error[0].value
    assert "secret internal detail" not in md(at)


def test_hostile_catalog_text_is_escaped(search_index, hostile_catalog, monkeypatch):
    monkeypatch.setenv("TRICKS_KB_CATALOG", str(hostile_catalog))
    monkeypatch.setenv("TRICKS_KB_INDEX", str(search_index.index_dir))
    at = run({"trick": "hostile-entry"})
    text = md(at) + at.title[0].value
    # a backtick span of catalog text is inline code, which markdown renders literally (the browser test
    # checks that no element comes of it); everything outside code spans must be escaped
    assert "`<img src=x onerror=window.__pwned=9>`" in text
    text = re.sub(r"(?<!\\)`[^`]*(?<!\\)`", "", text)
    for raw in ("<img", "<script", "<svg", "<iframe", "<style", "<b>", "<a "):
        assert not re.search(r"(?<!\\)" + re.escape(raw), text), raw  # only ever backslash-escaped
    assert ":red[" not in text and "](javascript" not in text
    assert "javascript:" not in "".join(re.findall(r"\]\(([^)]*)\)", text))  # no javascript link targets
    assert "\\<img src\\=x onerror\\=" in text  # shown, escaped
    assert "https://example.org/%22%3E%3Cimg/src=x/onerror=window.__pwned=6%3E" in text


HOSTILE = st.sampled_from(["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
                           ":red[x]", "$x$", "**b**", "\x00", "\u202e", "😀", "' OR 1=1 --", "&lt;b&gt;"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(HOSTILE, st.text(max_size=40)), min_size=1, max_size=4).map(" ".join))
def test_any_query_renders_without_error(app_env, query):
    at = run({"q": query})
    for m in at.markdown:
        # catalog or query text never brings raw HTML into markdown
        assert not re.search(r"(?<!\\)<(script|img)", m.value), m.value
    assert not at.error


def test_missing_model_banner(search_index, tmp_path, monkeypatch):
    monkeypatch.setenv("TRICKS_KB_CATALOG", str(search_index.catalog_dir))
    monkeypatch.setenv("TRICKS_KB_INDEX", str(search_index.index_dir))
    monkeypatch.setenv("TRICKS_KB_MODEL", str(tmp_path / "no-model-here"))
    at = run({"q": "gradient clipping"})
    assert "embedding model is not installed" in at.warning[0].value
    assert card_labels(at)[0] == "Gradient norm clipping"


def test_missing_catalog_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TRICKS_KB_CATALOG", str(tmp_path / "no-catalog"))
    monkeypatch.setenv("TRICKS_KB_INDEX", str(tmp_path / "no-index"))
    at = run({"q": "warmup"})
    assert "has no valid entries" in at.error[0].value
    assert card_labels(at) == []


def test_invalid_entries_are_counted_not_shown(search_index, tmp_path, monkeypatch):
    import shutil

    catalog = tmp_path / "tricks"
    shutil.copytree(search_index.catalog_dir, catalog)
    (catalog / "broken.yaml").write_text("id: broken\nname: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("TRICKS_KB_CATALOG", str(catalog))
    monkeypatch.setenv("TRICKS_KB_INDEX", str(search_index.index_dir))
    at = run()
    assert "1 catalog file(s) failed validation" in md(at)
    assert len(card_labels(at)) == 12


def test_huge_query_in_url_is_truncated(app_env):
    at = run({"q": "warmup " * 20000})
    assert len(at.text_input(key="s_q").value) <= 1000
    assert card_labels(at)


def test_engine_load_takes_its_objects_out_of_the_collectors_sight(search_index):
    # Without this, a full garbage collection over the model, catalog and index ran during most query
    # reruns and stalled the page for 250-330 ms (docs/benchmarks.md).
    import gc

    from tricks_kb.catalog import load_catalog
    from tricks_kb.ui.resources import _load_engine

    gc.unfreeze()
    try:
        tricks = load_catalog([search_index.catalog_dir]).tricks
        engine = _load_engine(tricks, str(search_index.index_dir), None)
        assert engine.status == "ok", engine.notice
        assert gc.get_freeze_count() > 100_000  # the model's modules and tensors, the catalog, the index
    finally:
        gc.unfreeze()


def test_landing_page_shows_a_first_screen_then_more(app_env, monkeypatch):
    import tricks_kb.ui.page_search as page_search

    monkeypatch.setattr(page_search, "K_BROWSE", 5)  # the fixture catalog has 12 tricks, the real one 126
    at = run()
    assert len(card_labels(at)) == 5
    at.button(key="s-more-btn").click().run()
    assert len(card_labels(at)) == 10
    at.button(key="s-more-btn").click().run()
    assert len(card_labels(at)) == 12 and not [b for b in at.button if b.key == "s-more-btn"]


def test_results_can_show_more_than_ten(app_env):
    at = run({"q": "training"})
    assert len(card_labels(at)) == 10
    at.button(key="s-more-btn").click().run()
    assert len(card_labels(at)) > 10
    at.text_input(key="s_q").set_value("dropout").run()  # a new query starts from the first page again
    assert len(card_labels(at)) <= 10


def test_cards_show_a_graded_claim_and_the_verdict_reason(app_env):
    at = run({"q": "label smoothing"})
    text = md(at)
    # main's engine answer, shown with this branch's grade badge (the card's one answer line)
    assert re.search(r"badge\[grade [ABCD] · [a-z ]+\] \*\*Answer\*\* \(claim \d+, ", text)
    assert re.search(r"\*\*Why (established|promising|contested|folklore|debunked):\*\* ", text)


def test_snippets_highlight_corrected_words_not_stopwords(app_env):
    at = run({"q": "lable smothing"})
    text = md(at).lower()
    assert "**smoothing**" in text  # the corrected word, though the query said "smothing"
    at = run({"q": "which optimizer should we not use when the model is large"})
    bold = {w.lower() for w in re.findall(r"\*\*([^*]+)\*\*", md(at))}
    assert not bold & STOPWORDS, bold & STOPWORDS


def test_trick_page_names_its_origin_first(app_env):
    at = run({"trick": "adamw"})
    captions = [c.value for c in at.caption]
    origin = next(i for i, c in enumerate(captions) if c.startswith("Introduced by:"))
    assert "Loshchilov" in captions[origin] and "1711\\.05101" in captions[origin]  # markdown-escaped
    sources = [m.value for m in at.markdown if m.value.startswith("- `")]
    assert sources[0].startswith("- `loshchilov2019` **(introduced the trick)**"), sources[:2]
    no_origin = run({"trick": "check-initial-loss"})
    assert any(c.value == "Introduced by: not recorded" for c in no_origin.caption)
