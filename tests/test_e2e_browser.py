"""End to end: a real ``streamlit run app.py`` driven by Debian's chromium through Playwright.

Two servers per module: one over the fixture catalog and its real index, one over a hostile catalog
(HTML/script/markdown injection in every field) with a corrupt index (keyword search and a banner).
Screenshots of every page land in test-output/screenshots/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tricks_kb.testing import CHROMIUM, CHROMIUM_ARGS, start_server

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


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (./dev.sh test does it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


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
    names = card_names(page)
    assert "Learning-rate warmup" in names and all(n in {"Learning-rate warmup", "AdamW (decoupled weight decay)",
                                                         "Weight decay"} for n in names), names
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
    expect(page.get_by_role("heading", name="Claims by setting")).to_be_visible()
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
                    "# not a heading", "<style>body{display:none}</style>"):
        expect(page.get_by_text(literal, exact=False).first).to_be_visible()
    links = page.eval_on_selector_all("[data-testid='stMain'] a[href]", "els => els.map(e => e.getAttribute('href'))")
    # only web links, the app's own pages (a query like "?tag=x" is the search page) and anchors
    assert all(h.startswith(("http://", "https://", "/", "trick", "./", "?", "#")) for h in links), links
    assert not [h for h in links if "javascript" in h.lower() or "<" in h or '"' in h]
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
