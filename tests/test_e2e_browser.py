"""End to end: a real ``streamlit run app.py`` driven by Debian's chromium through Playwright.

Two servers per module: one over the fixture catalog and its real index, one over a hostile catalog
(HTML/script/markdown injection in every field) with a corrupt index (keyword search and a banner).
Screenshots of every page land in test-output/screenshots/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tricks_kb.testing import start_server

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-output" / "screenshots"
LOGS = ROOT / "test-output" / "logs"
WAIT = 90_000  # ms; the first search loads the embedding model


@pytest.fixture(scope="module")
def good_server(search_index):
    env = {"TRICKS_KB_CATALOG": str(search_index.catalog_dir), "TRICKS_KB_INDEX": str(search_index.index_dir)}
    with start_server(LOGS / "e2e-good.log", env=env) as server:
        yield server
    assert server.proc.poll() is not None


@pytest.fixture(scope="module")
def bad_server(hostile_catalog, corrupt_index):
    env = {"TRICKS_KB_CATALOG": str(hostile_catalog), "TRICKS_KB_INDEX": str(corrupt_index)}
    with start_server(LOGS / "e2e-bad.log", env=env) as server:
        yield server


class Watch:
    """Collects what must never happen in a page: dialogs (alert), page errors, requests leaving localhost."""

    def __init__(self, page: Page) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.external: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: None if re.match(r"^(https?://(127\.0\.0\.1|localhost)|data:|blob:)", r.url)
                else self.external.append(r.url))

    def assert_clean(self) -> None:
        assert not self.dialogs, self.dialogs
        assert not self.errors, self.errors
        assert not self.external, self.external


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    pg = ctx.new_page()
    pg.watch = Watch(pg)
    yield pg
    ctx.close()


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("[data-testid='stApp']", timeout=WAIT)


def shot(page: Page, name: str, height: int = 2200) -> Path:
    """Screenshot with a tall viewport (Streamlit scrolls inside its own container, not the page)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": height})
    page.wait_for_timeout(700)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    assert path.stat().st_size > 10_000
    return path


def card_names(page: Page) -> list[str]:
    """Trick names on the result cards (the link text without its icon ligature)."""
    texts = page.locator("[data-testid='stMain'] [data-testid='stPageLink']").all_inner_texts()
    return [t.strip().splitlines()[-1].strip() for t in texts]


def test_search_type_and_highlight(good_server, page):
    open_app(page, good_server.url)
    box = page.get_by_role("textbox", name="Search")
    box.fill("label smoothing")
    box.press("Enter")
    first = page.locator("[data-testid='stMain'] [data-testid='stPageLink']").first
    expect(first).to_have_text(re.compile("Label smoothing"), timeout=WAIT)
    expect(page).to_have_url(re.compile(r"q=label\+smoothing|q=label%20smoothing"))
    expect(page.locator("[data-testid='stMain'] strong", has_text=re.compile("^smoothing$", re.I)).first).to_be_visible()
    shot(page, "search")
    page.watch.assert_clean()


def test_filter_updates_results_and_url(good_server, page):
    open_app(page, good_server.url + "/?q=warmup")
    expect(page.get_by_text("Warmup-stable-decay (WSD) schedule").first).to_be_visible(timeout=WAIT)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stMultiSelect").filter(has_text="Verdict").click()
    page.keyboard.type("establ")
    page.get_by_role("option", name="established", exact=True).click()
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"verdict=established"), timeout=WAIT)
    expect(page.get_by_text("Warmup-stable-decay (WSD) schedule")).to_have_count(0, timeout=WAIT)  # promising
    allowed = {"Learning-rate warmup", "AdamW (decoupled weight decay)", "Weight decay"}
    # Streamlit keeps the previous run's elements on screen (faded) until the rerun replaces them: read the
    # cards once the rerun has settled, not while the old ones are still there
    deadline = time.monotonic() + WAIT / 1000
    names = card_names(page)
    while not ("Learning-rate warmup" in names and set(names) <= allowed) and time.monotonic() < deadline:
        page.wait_for_timeout(250)
        names = card_names(page)
    assert "Learning-rate warmup" in names and set(names) <= allowed, names
    shot(page, "search-filtered")
    page.watch.assert_clean()


def test_open_trick_from_results(good_server, page):
    open_app(page, good_server.url + "/?q=adamw")
    link = page.locator("[data-testid='stMain'] [data-testid='stPageLink']", has_text="AdamW").first
    link.click(timeout=WAIT)
    expect(page).to_have_url(re.compile(r"/trick\?trick=adamw$"), timeout=WAIT)
    expect(page.get_by_role("heading", name="Why this verdict")).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("heading", name="Claims and evidence")).to_be_visible()
    code = page.locator("[data-testid='stCode']").filter(has_text="@")
    expect(code.first).to_contain_text("title = {")
    arxiv = page.locator("a[href^='https://arxiv.org/abs/']")
    assert arxiv.count() >= 1
    hrefs = page.eval_on_selector_all("[data-testid='stMain'] a[href]", "els => els.map(e => e.href)")
    assert all(h.startswith(("http://", "https://")) for h in hrefs), hrefs
    shot(page, "trick", height=3600)
    # a tag opens the search page filtered to it (the search page was visited before in this session)
    page.locator(".st-key-trick-tags [data-testid='stPageLink']", has_text="adaptive").first.click()
    expect(page).to_have_url(re.compile(r"/(search)?\?tag=adaptive$"), timeout=WAIT)
    tag_filter = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="Tag")
    expect(tag_filter).to_contain_text("adaptive (", timeout=WAIT)
    expect(page.locator("[data-testid='stMain'] [data-testid='stPageLink']", has_text="AdamW").first).to_be_visible()
    page.watch.assert_clean()


def test_deep_link_to_trick_and_unknown_id(good_server, page):
    open_app(page, good_server.url + "/?trick=lr-warmup")
    expect(page).to_have_url(re.compile(r"/trick\?trick=lr-warmup$"), timeout=WAIT)
    expect(page.get_by_role("heading", name="Learning-rate warmup")).to_be_visible(timeout=WAIT)
    open_app(page, good_server.url + "/trick?trick=dropuot")
    expect(page.get_by_text("There is no trick")).to_be_visible(timeout=WAIT)
    expect(page.locator("[data-testid='stPageLink']", has_text="Dropout")).to_be_visible()
    shot(page, "trick-unknown", height=900)
    page.watch.assert_clean()


def test_compare_two(good_server, page):
    open_app(page, good_server.url + "/?compare=adamw,weight-decay")
    expect(page).to_have_url(re.compile(r"/compare\?compare=adamw(%2C|,)weight-decay$"), timeout=WAIT)
    expect(page.get_by_role("heading", name="How they relate")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("part-of").first).to_be_visible()
    expect(page.get_by_role("heading", name="Side by side")).to_be_visible()
    table = page.get_by_test_id("stTable").first
    for row in ("What the evidence says", "Strongest evidence", "What it costs", "When to use it", "Typical values"):
        expect(table.get_by_text(row, exact=True)).to_be_visible()
    expect(table.locator("thead th")).to_have_count(3)  # the row labels, then one column per trick
    # add a third trick through the widget: the URL follows
    page.get_by_test_id("stMultiSelect").click()
    page.keyboard.type("Dropout")  # the option list is virtualised: filter it first
    page.get_by_role("option", name="Dropout", exact=True).click()
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"compare=adamw(%2C|,)weight-decay(%2C|,)dropout"), timeout=WAIT)
    shot(page, "compare", height=2600)
    page.watch.assert_clean()


def test_landscape_renders(good_server, page):
    open_app(page, good_server.url + "/landscape")
    chart = page.get_by_test_id("stVegaLiteChart")
    expect(chart.locator("canvas, svg").first).to_be_visible(timeout=WAIT)
    box = chart.bounding_box()
    assert box and box["width"] > 500 and box["height"] > 300
    expect(page.get_by_text("How to read it.")).to_be_visible()
    expect(page.get_by_role("heading", name="Tricks by verdict in each category")).to_be_visible()
    shot(page, "landscape", height=1800)
    page.watch.assert_clean()


TOPMOST_POINT_JS = """(chart) => {
  for (const el of chart.querySelectorAll("path[aria-roledescription='point'][aria-label*='Trick: ']")) {
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    if (r.width > 0 && document.elementFromPoint(x, y) === el) {
      return {x, y, label: el.getAttribute('aria-label')};
    }
  }
  return null;
}"""


def test_landscape_point_click_opens_its_trick(good_server, page):
    open_app(page, good_server.url + "/landscape")
    chart = page.get_by_test_id("stVegaLiteChart")
    expect(chart.locator("path[aria-roledescription='point']").first).to_be_attached(timeout=WAIT)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    points = chart.locator("path[aria-roledescription='point'][aria-label*='Trick: ']")
    assert points.count() == 12  # one point per fixture trick
    hit = chart.evaluate(TOPMOST_POINT_JS)  # a point no other point covers, clicked with the mouse
    assert hit, "every point is covered by another one"
    name = re.search(r"Trick: ([^;]+)", hit["label"]).group(1)
    page.mouse.click(hit["x"], hit["y"])
    expect(page.locator("[data-testid='stMain'] h1").first).to_have_text(name, timeout=WAIT)
    expect(page.get_by_text("Why this verdict").first).to_be_visible(timeout=WAIT)
    page.watch.assert_clean()


def test_contribute_page(good_server, page):
    open_app(page, good_server.url + "/contribute")
    expect(page.get_by_text("tricks-kb validate tricks/my-new-trick.yaml").first).to_be_visible(timeout=WAIT)
    template = page.locator("[data-testid='stCode']").filter(has_text="verdict_reason:")
    expect(template.first).to_contain_text("id: my-new-trick")
    shot(page, "contribute", height=2400)
    page.watch.assert_clean()


@pytest.mark.parametrize("path", ["/?q=warmup", "/trick?trick=adamw", "/compare?compare=adamw,dropout"])
def test_narrow_screen_has_no_horizontal_overflow(good_server, browser, path):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2)
    page = ctx.new_page()
    try:
        open_app(page, good_server.url + path)
        expect(page.locator("[data-testid='stMain'] h1, [data-testid='stMain'] [data-testid='stPageLink']").first
               ).to_be_visible(timeout=WAIT)
        page.wait_for_timeout(800)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 391, f"page is {width}px wide at a 390px viewport"
        name = {"/?q": "narrow-search", "/tric": "narrow-trick", "/comp": "narrow-compare"}
        shot(page, next(v for k, v in name.items() if path.startswith(k)), height=1600)
    finally:
        ctx.close()


def test_bad_index_banner_and_keyword_results(bad_server, page):
    open_app(page, bad_server.url + "/?q=label%20smoothing")
    expect(page.get_by_text("showing keyword (BM25) results only").first).to_be_visible(timeout=WAIT)
    expect(page.locator("[data-testid='stCode']", has_text="tricks-kb build").first).to_be_visible()
    expect(page.locator("[data-testid='stMain'] [data-testid='stPageLink']").first).to_be_visible(timeout=WAIT)
    assert card_names(page)[0] == "Label smoothing"
    shot(page, "bad-index-banner", height=1400)
    page.watch.assert_clean()


INJECTIONS = [
    "<script>window.__pwned=1</script>",
    "<img src=x onerror=window.__pwned=1>",
    "[click](javascript:window.__pwned=1)",
    '"><svg onload=window.__pwned=1>',
    "<iframe src=javascript:window.__pwned=1></iframe>",
    ":red[red] $x$ **bold** <b>b</b>",
]


def assert_nothing_injected(page: Page) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"
    main = page.get_by_test_id("stMain")
    for sel in ("img[src='x']", "img[src=x]", "svg[onload]", "iframe", "a[href^='javascript']", "main b", "style"):
        assert main.locator(sel).count() == 0, sel
    assert not page.evaluate("[...document.scripts].some(s => s.textContent.includes('__pwned'))")
    assert not page.evaluate("[...document.querySelectorAll('[onerror],[onload]')].length")
    page.watch.assert_clean()


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_in_query_renders_as_text(bad_server, page, payload):
    open_app(page, bad_server.url + "/?q=" + quote(payload))
    box = page.get_by_role("textbox", name="Search")
    expect(box).to_have_value(payload, timeout=WAIT)
    expect(page.get_by_text(re.compile(r"No trick matches|\(keyword search")).first).to_be_visible(
        timeout=WAIT)
    page.wait_for_timeout(300)
    assert_nothing_injected(page)


def test_injection_in_catalog_renders_as_text(bad_server, page):
    open_app(page, bad_server.url + "/?q=zebraquux")
    expect(page.locator("[data-testid='stPageLink']", has_text="Hostile <img").first).to_be_visible(timeout=WAIT)
    assert_nothing_injected(page)
    open_app(page, bad_server.url + "/trick?trick=hostile-entry")
    expect(page.get_by_role("heading", name=re.compile("Hostile <img src=x"))).to_be_visible(timeout=WAIT)
    for literal in ("[click me](javascript:window.__pwned=3)", "<svg onload=window.__pwned=4>", ":red[not red]",
                    "# not a heading", "<style>body{display:none}</style>", ":red[code not red]"):
        expect(page.get_by_text(literal, exact=False).first).to_be_visible()
    links = page.eval_on_selector_all("[data-testid='stMain'] a[href]", "els => els.map(e => e.getAttribute('href'))")
    # only web links, the app's own pages (a query like "?tag=x" is the search page) and anchors
    assert all(h.startswith(("http://", "https://", "/", "trick", "./", "?", "#")) for h in links), links
    assert not [h for h in links if "javascript" in h.lower() or "<" in h or '"' in h]
    # a backtick span of catalog text is inline code: shown literally, never a tag or a link
    code = page.locator("[data-testid='stMain'] code", has_text="onerror=window.__pwned=9")
    expect(code.first).to_be_visible()
    shot(page, "hostile-trick", height=3000)
    assert_nothing_injected(page)
    for path in ("/compare?compare=hostile-entry,adamw", "/landscape"):
        open_app(page, bad_server.url + path)
        expect(page.get_by_role("heading").first).to_be_visible(timeout=WAIT)
        page.wait_for_timeout(1000)
        assert_nothing_injected(page)


def test_concurrent_sessions_do_not_interfere(good_server, browser):
    """Several sessions rerunning at once (st.Page objects are per run; sharing them broke concurrent runs)."""
    contexts = [browser.new_context(viewport={"width": 1000, "height": 800}) for _ in range(4)]
    try:
        pages = [c.new_page() for c in contexts]
        paths = ["/?q=dropout", "/?trick=adamw", "/?compare=adamw,mixup", "/landscape"]
        for round_ in range(2):
            for pg, path in zip(pages, paths, strict=True):  # start all navigations, then wait for all
                pg.evaluate("url => { window.location.href = url; }", good_server.url + path)
            for pg in pages:
                pg.wait_for_selector("[data-testid='stMain'] h1", timeout=WAIT)
                pg.wait_for_function("document.querySelector(\"[data-testid='stApp']\").dataset.testScriptState"
                                     " === 'notRunning'", timeout=WAIT)
                assert pg.get_by_test_id("stException").count() == 0
                assert pg.get_by_text("Sorry, something went wrong").count() == 0
        log = good_server.log()
        # (uvicorn may log a websocket-disconnect traceback when a tab navigates away: not the app's)
        assert "StreamlitAPIException" not in log and "tricks_kb/ui" not in log, log[-3000:]
    finally:
        for c in contexts:
            c.close()


# --- navigation, links, layout (issue: what a new user hit in a real browser) ------------------------------

MAIN_SCROLL_JS = "document.querySelector(\"[data-testid='stMain']\").scrollTop"
IDLE_JS = "document.querySelector(\"[data-testid='stApp']\").dataset.testScriptState === 'notRunning'"


def wait_idle(page: Page) -> None:
    page.wait_for_function(IDLE_JS, timeout=WAIT)
    page.wait_for_timeout(300)


def test_trick_to_trick_link_moves_url_history_and_scroll(good_server, page):
    open_app(page, good_server.url + "/trick?trick=adamw")
    h1 = page.locator("[data-testid='stMain'] h1").first
    expect(h1).to_have_text(re.compile("^AdamW"), timeout=WAIT)
    wait_idle(page)
    before = page.evaluate("history.length")
    link = page.locator("[data-testid='stMain'] [data-testid='stPageLink']", has_text="Cosine learning-rate decay")
    link.scroll_into_view_if_needed()
    assert page.evaluate(MAIN_SCROLL_JS) > 300, "the related tricks are further down the page"
    link.click()
    expect(h1).to_have_text(re.compile("^Cosine learning-rate decay"), timeout=WAIT)
    expect(page).to_have_url(re.compile(r"/trick\?trick=cosine-decay$"), timeout=WAIT)
    expect(page).to_have_title(re.compile(r"^Cosine learning-rate decay.* · tricks-kb$"))
    page.wait_for_function(MAIN_SCROLL_JS + " === 0", timeout=WAIT)  # the new trick opens at its top
    assert page.evaluate("history.length") == before + 1
    page.go_back()
    expect(page).to_have_url(re.compile(r"/trick\?trick=adamw$"), timeout=WAIT)
    expect(h1).to_have_text(re.compile("^AdamW"), timeout=WAIT)
    page.go_forward()
    expect(h1).to_have_text(re.compile("^Cosine learning-rate decay"), timeout=WAIT)
    page.reload()
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=WAIT)
    expect(h1).to_have_text(re.compile("^Cosine learning-rate decay"), timeout=WAIT)
    # a "did you mean" link on an unknown id moves the URL too
    open_app(page, good_server.url + "/trick?trick=dropuot")
    page.locator("[data-testid='stMain'] [data-testid='stPageLink']", has_text="Dropout").first.click(timeout=WAIT)
    expect(h1).to_have_text(re.compile("^Dropout"), timeout=WAIT)
    expect(page).to_have_url(re.compile(r"/trick\?trick=dropout$"), timeout=WAIT)
    page.watch.assert_clean()


def test_new_query_adds_a_history_entry_and_back_restores_it(good_server, page):
    open_app(page, good_server.url + "/?q=warmup")
    expect(page.get_by_text("Warmup-stable-decay (WSD) schedule").first).to_be_visible(timeout=WAIT)
    wait_idle(page)
    before = page.evaluate("history.length")
    box = page.get_by_role("textbox", name="Search")
    box.fill("dropout")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"q=dropout$"), timeout=WAIT)
    wait_idle(page)
    assert page.evaluate("history.length") == before + 1
    page.go_back()
    expect(page).to_have_url(re.compile(r"q=warmup$"), timeout=WAIT)
    expect(box).to_have_value("warmup", timeout=WAIT)  # the box follows the URL back
    wait_idle(page)
    expect(page).to_have_url(re.compile(r"q=warmup$"))  # and the page does not push the newer query again
    expect(page.get_by_text("Warmup-stable-decay (WSD) schedule").first).to_be_visible(timeout=WAIT)
    page.watch.assert_clean()


APP_PAGES = ["/?q=warmup", "/", "/trick?trick=adamw", "/compare?compare=adamw,weight-decay", "/landscape",
             "/contribute", "/rubric"]
LINKS_JS = """() => [...document.querySelectorAll("a[href]")].map(a => ({href: a.href, raw: a.getAttribute('href'),
    text: a.innerText.trim().slice(0, 60)}))"""


def test_every_link_works_in_a_new_tab(good_server, browser):
    """Collect every link of every page, then open each internal one in a fresh tab (no session state)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        page = ctx.new_page()
        internal: dict[str, str] = {}
        external: set[str] = set()
        for path in APP_PAGES:
            open_app(page, good_server.url + path)
            page.wait_for_selector("[data-testid='stMain'] h1", timeout=WAIT)
            if path.startswith("/trick"):  # its tag chips come after the title (a loaded machine shows the gap)
                page.wait_for_selector("[data-testid='stMain'] a[href*='tag=']", timeout=WAIT)
            wait_idle(page)
            for a in page.evaluate(LINKS_JS):
                if a["raw"].startswith("#"):
                    continue  # heading anchors
                if a["href"].startswith(good_server.url):
                    assert a["raw"].startswith(("/", good_server.url)), f"relative href {a['raw']!r} on {path}"
                    internal.setdefault(a["href"], f"{a['text']} on {path}")
                else:
                    assert a["href"].startswith(("https://", "http://")), a
                    external.add(a["href"])
        assert len(internal) >= 15, internal
        assert any("tag=" in h for h in internal) and any("/rubric" in h for h in internal)
        for href, where in internal.items():
            tab = ctx.new_page()
            watch = Watch(tab)
            tab.goto(href)
            try:
                tab.wait_for_selector("[data-testid='stMain'] h1", timeout=WAIT)
            except Exception as exc:
                raise AssertionError(f"{href} ({where}) shows no page: {tab.url}") from exc
            tab.wait_for_function(IDLE_JS, timeout=WAIT)
            main = tab.get_by_test_id("stMain")
            body = main.inner_text()
            assert "There is no trick" not in body and "Page not found" not in body, (href, where)
            assert tab.get_by_test_id("stException").count() == 0, (href, where)
            if "?tag=" in href:  # a tag link opens the search page filtered to it
                tag = href.split("tag=")[1]
                expect(tab.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="Tag")
                       ).to_contain_text(f"{tag} (", timeout=WAIT)
            if "?trick=" in href:
                expect(main.locator("h1").first).not_to_have_text("Trick")
            watch.assert_clean()
            tab.close()
        assert external, "sources link out"
    finally:
        ctx.close()


def test_links_respect_a_base_url_path(search_index, browser):
    env = {"TRICKS_KB_CATALOG": str(search_index.catalog_dir), "TRICKS_KB_INDEX": str(search_index.index_dir),
           "STREAMLIT_SERVER_BASE_URL_PATH": "kb"}
    with start_server(LOGS / "e2e-base-path.log", env=env, health_path="/kb/_stcore/health") as server:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        try:
            page.goto(server.url + "/kb/trick?trick=adamw")
            page.wait_for_selector("[data-testid='stMain'] h1", timeout=WAIT)
            # the tag chips come after the title; on a loaded machine the page can be read between the two
            page.wait_for_selector("[data-testid='stMain'] a[href*='tag=']", timeout=WAIT)
            wait_idle(page)
            hrefs = [a["raw"] for a in page.evaluate(LINKS_JS) if not a["raw"].startswith(("#", "http"))]
            assert hrefs and all(h.startswith("/kb/") for h in hrefs), hrefs
            tag = next(h for h in hrefs if "tag=" in h)
            page.goto(server.url + tag)
            page.wait_for_selector("[data-testid='stMain'] h1", timeout=WAIT)
            expect(page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="Tag")
                   ).to_contain_text("(", timeout=WAIT)
        finally:
            page.close()


NOT_CUT_JS = """() => [...document.querySelectorAll(
    "[data-testid='stMain'] [data-testid='stPageLink-NavLink'] > span:last-child")]
    .filter(s => s.innerText.trim().length > 3)
    .map(s => ({text: s.innerText.trim(), cut: s.scrollWidth > s.clientWidth + 1 || s.scrollHeight > s.clientHeight + 1,
                lines: Math.round(s.getBoundingClientRect().height / parseFloat(getComputedStyle(s).lineHeight))}))"""


@pytest.mark.parametrize("width", [1400, 1024, 390])
def test_titles_wrap_instead_of_being_cut(good_server, browser, width):
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = ctx.new_page()
        open_app(page, good_server.url + "/compare?compare=warmup-stable-decay,loss-spike-rollback,check-initial-loss,"
                                          "adamw")
        expect(page.get_by_role("heading", name="Side by side")).to_be_visible(timeout=WAIT)
        wait_idle(page)
        page.wait_for_function(f"({NOT_CUT_JS})().length >= 4", timeout=WAIT)
        try:  # (settled layout: a rerun in flight may briefly show the old elements)
            page.wait_for_function(f"({NOT_CUT_JS})().every(t => !t.cut)", timeout=10_000)
        except Exception:
            pass  # the assertion below says which titles are cut
        titles = page.evaluate(NOT_CUT_JS)
        assert len(titles) >= 4
        assert not [t["text"] for t in titles if t["cut"]], titles
        if width == 1024:  # four columns side by side: long titles take a second line
            assert any(t["lines"] >= 2 for t in titles), titles
        for path in ("/?q=warmup", "/"):
            open_app(page, good_server.url + path)
            page.wait_for_selector("[data-testid='stMain'] [data-testid='stPageLink']", timeout=WAIT)
            wait_idle(page)
            assert not [t["text"] for t in page.evaluate(NOT_CUT_JS) if t["cut"]]
        shot(page, f"landing-{width}", height=1600)
    finally:
        ctx.close()


def test_search_box_focused_without_an_error_border(good_server, page):
    open_app(page, good_server.url + "/")
    box = page.get_by_role("textbox", name="Search")
    expect(box).to_be_focused(timeout=WAIT)
    colors = page.evaluate("""() => {
      const out = []; let el = document.activeElement;
      for (let i = 0; el && i < 4; i++, el = el.parentElement) { out.push(getComputedStyle(el).borderColor); }
      return out; }""")
    assert not [c for c in colors if "255, 75, 75" in c], colors  # Streamlit's default red primary colour
    expect(page).to_have_title("tricks-kb: training tricks, graded")
    assert page.get_by_text(re.compile(r"^\d+/1000$")).count() == 0  # no character counter over the query
    page.watch.assert_clean()


def test_phone_layout(good_server, browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2)
    try:
        page = ctx.new_page()
        open_app(page, good_server.url + "/?q=warmup")
        expect(page.locator("[data-testid='stMain'] [data-testid='stPageLink']").first).to_be_visible(timeout=WAIT)
        expect(page.locator(".st-key-phone-filters")).to_be_visible()  # the way to the filters
        expect(page.locator(".st-key-phone-filters")).to_contain_text("Filters")
        open_app(page, good_server.url + "/trick?trick=adamw")
        expect(page.get_by_role("heading", name="Claims and evidence")).to_be_visible(timeout=WAIT)
        wait_idle(page)
        expect(page.locator("[data-testid='stTable'] thead th").first).to_be_attached(timeout=WAIT)
        heads = page.locator("[data-testid='stTable'] thead th").all_inner_texts()
        assert [h.strip() for h in heads[:2]] == ["no.", "grade"], heads  # the grade stays beside each claim
        first_row = page.locator("[data-testid='stTable'] tbody tr").first
        grade_cell = first_row.locator("td").nth(1).bounding_box()
        assert grade_cell and grade_cell["x"] + grade_cell["width"] <= 390
        for path in ("/landscape", "/compare?compare=adamw,weight-decay,dropout,mixup"):
            open_app(page, good_server.url + path)
            page.wait_for_selector("[data-testid='stMain'] h1", timeout=WAIT)
            wait_idle(page)
            page.wait_for_timeout(800)
            assert page.evaluate("document.documentElement.scrollWidth") <= 391, path
            for sel in ("[data-testid='stVegaLiteChart']", "[data-testid='stTable']"):
                for box in [e.bounding_box() for e in page.locator(sel).all()]:
                    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 391, (path, sel, box)
    finally:
        ctx.close()
    # and on a wide screen the phone hint is hidden
    wide = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        open_app(wide, good_server.url + "/?q=warmup")
        expect(wide.locator("[data-testid='stMain'] [data-testid='stPageLink']").first).to_be_visible(timeout=WAIT)
        expect(wide.locator(".st-key-phone-filters")).to_be_hidden()
    finally:
        wide.close()


def test_landscape_bands_show_no_internal_fields(good_server, page):
    open_app(page, good_server.url + "/landscape")
    chart = page.get_by_test_id("stVegaLiteChart")
    expect(chart.locator("path[aria-roledescription='point']").first).to_be_attached(timeout=WAIT)
    chart.scroll_into_view_if_needed()
    expect(page.get_by_text("How to read it.")).to_be_visible()
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + 40)  # over the band labels
    page.wait_for_timeout(400)
    tooltip = page.locator("#vg-tooltip-element")
    if tooltip.count() and tooltip.is_visible():
        text = tooltip.inner_text()
        assert not re.search(r"\b(x0|x1|mid|shade)\b", text), text
    aria = chart.evaluate("c => [...c.querySelectorAll('[aria-label]')].map(e => e.getAttribute('aria-label'))")
    assert not [a for a in aria if re.search(r"\b(x0|x1|mid|shade)\b", a or "")], aria
    page.watch.assert_clean()
