"""The static site in Debian's chromium: `python -m http.server` on 127.0.0.1, Pagefind search, follow a result.

The site is built under a base URL (/kb/) from the shipped catalog and served from the folder above it,
as a static host would serve a project page.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tricks_kb.site import build_site
from tricks_kb.testing import free_port

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-output" / "screenshots"
WAIT = 30_000


@pytest.fixture(scope="module")
def served(tmp_path_factory, catalog_dir):
    root = tmp_path_factory.mktemp("static-host")
    build_site(catalog_dir, root / "kb", base_url="/kb/")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                             "--directory", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/kb/"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 (our own local server)
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("http.server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    pg = ctx.new_page()
    problems: list[str] = []
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
          else problems.append(f"external request: {r.url}"))
    pg.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    pg.problems = problems
    yield pg
    ctx.close()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_search_label_smoothing_and_open_the_trick(served, page) -> None:
    page.goto(served)
    box = page.locator(".pagefind-ui__search-input")
    expect(box).to_be_visible(timeout=WAIT)
    box.fill("label smoothing")
    first = page.locator(".pagefind-ui__result-link").first
    expect(first).to_have_text(re.compile("Label smoothing"), timeout=WAIT)
    _shot(page, "site-search")
    first.click()
    expect(page).to_have_url(served + "trick/label-smoothing/", timeout=WAIT)
    expect(page.get_by_role("heading", level=1)).to_have_text("Label smoothing")
    expect(page.get_by_role("heading", name="Claims and evidence")).to_be_visible()
    expect(page.get_by_role("heading", name="Why this verdict")).to_be_visible()
    _shot(page, "site-trick")
    assert not page.problems, page.problems


def test_an_alias_finds_its_trick(served, page) -> None:
    page.goto(served + "?q=" + "decoupled weight decay")
    first = page.locator(".pagefind-ui__result-link").first
    expect(first).to_have_text(re.compile("AdamW"), timeout=WAIT)
    assert not page.problems, page.problems


def test_app_urls_redirect_to_the_static_pages(served, page) -> None:
    page.goto(served + "trick/?trick=adamw")
    expect(page).to_have_url(served + "trick/adamw/", timeout=WAIT)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("AdamW"))
    page.goto(served + "search/?q=gradient%20clipping")  # the app's search URL runs the query in the static search
    expect(page.locator(".pagefind-ui__result-link").first).to_be_visible(timeout=WAIT)
    # Pagefind stems "clipping" to "clip", so a page saying CLIP many times can rank first: the answer is in the top 3
    expect(page.locator(".pagefind-ui__result-link").nth(2)).to_be_visible(timeout=WAIT)
    top = page.locator(".pagefind-ui__result-link").all_inner_texts()[:3]
    assert any(re.search("gradient (norm )?clipping", t, re.I) for t in top), top
    assert not page.problems, page.problems


def test_landscape_point_opens_its_trick(served, page) -> None:
    page.goto(served + "landscape/")
    expect(page.locator("svg.landscape a[href$='/trick/label-smoothing/']")).to_have_count(1)
    _shot(page, "site-landscape")
    # A point that no other point covers, clicked with the mouse as a reader would.
    target = page.evaluate("""() => {
        for (const a of document.querySelectorAll("svg.landscape a")) {
            const r = a.getBoundingClientRect();
            const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
            if (hit && a.contains(hit)) return {href: a.getAttribute("href"), x: r.x + r.width / 2, y: r.y + r.height / 2};
        }
        return null;
    }""")
    assert target, "every point is covered by another"
    page.mouse.click(target["x"], target["y"])
    expect(page).to_have_url(re.compile(re.escape(target["href"]) + "$"), timeout=WAIT)
    expect(page.get_by_role("heading", name="Claims and evidence")).to_be_visible()
    assert not page.problems, page.problems


def test_hostile_text_stays_text_in_search_results_and_pages(hostile_catalog, tmp_path, browser) -> None:
    build_site(hostile_catalog, tmp_path / "site")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                             "--directory", str(tmp_path / "site")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    ctx = browser.new_context()
    try:
        pg = ctx.new_page()
        dialogs: list[str] = []
        pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        url = f"http://127.0.0.1:{port}/"
        for _ in range(100):
            try:
                pg.goto(url + "?q=zebraquux")
                break
            except Exception:
                time.sleep(0.1)
        first = pg.locator(".pagefind-ui__result-link").first
        expect(first).to_have_text(re.compile("Hostile"), timeout=WAIT)
        expect(pg.locator(".pagefind-ui__result-excerpt").first).to_contain_text("Zebraquux")
        pg.wait_for_timeout(500)
        assert pg.evaluate("window.__pwned") is None
        assert pg.locator(".pagefind-ui img, .pagefind-ui iframe, .pagefind-ui svg[onload]").count() == 0
        first.click()
        expect(pg.get_by_role("heading", level=1)).to_contain_text("<img src=x", timeout=WAIT)  # shown as text
        pg.wait_for_timeout(500)
        assert pg.evaluate("window.__pwned") is None and not dialogs
        assert pg.locator("main img, main iframe, main script").count() == 0
    finally:
        ctx.close()
        proc.terminate()
        proc.wait(timeout=10)
