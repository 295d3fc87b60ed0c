"""`tricks-kb site`: the static site builds fast, every internal link resolves, nothing is unescaped, same bytes."""

from __future__ import annotations

import hashlib
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from tricks_kb.cli import main
from tricks_kb.site import SiteError, build_site, normalize_base

ROOT = Path(__file__).resolve().parents[1]
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "link", "script", "body", "header", "nav", "main", "footer", "a", "span", "h1",
    "h2", "h3", "p", "div", "ul", "li", "strong", "em", "code", "pre", "table", "thead", "tbody", "tr", "th", "td",
    "details", "summary", "br", "figure", "figcaption", "noscript", "svg", "rect", "text", "line", "circle",
    "polygon",
}


class Page(HTMLParser):
    """Links, ids, tags and attributes of one HTML file."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.h1: list[str] = []
        self._in_h1 = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        for key in ("href", "src"):
            if a.get(key):
                self.links.append(a[key])
        if a.get("id"):
            self.ids.add(a["id"])
        self._in_script = tag == "script"
        self._in_h1 = tag == "h1"

    def handle_endtag(self, tag):
        self._in_script = self._in_script and tag != "script"
        self._in_h1 = self._in_h1 and tag != "h1"

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)
        if self._in_h1:
            self.h1.append(data)


def parse(path: Path) -> Page:
    p = Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def url_of(site: Path, path: Path, base: str) -> str:
    rel = path.relative_to(site).as_posix()
    return base + (rel.removesuffix("index.html"))


def crawl(site: Path, base: str) -> tuple[int, list[str]]:
    """Follow every internal href/src from every page; return (links checked, broken ones)."""
    pages = {p: parse(p) for p in site.rglob("*.html")}
    broken, checked = [], 0
    for path, page in pages.items():
        here = "http://site.test" + url_of(site, path, base)
        for link in page.links:
            target = urlsplit(urljoin(here, link))
            if target.netloc != "site.test":
                assert target.scheme in ("http", "https"), f"{path}: external link {link!r}"
                continue
            checked += 1
            if not target.path.startswith(base):
                broken.append(f"{path}: {link} is outside the base {base}")
                continue
            file = site / unquote(target.path[len(base):])
            if target.path.endswith("/"):
                file = file / "index.html"
            if not file.is_file():
                broken.append(f"{path}: {link} -> {file} missing")
            elif target.fragment and file.suffix == ".html" and target.fragment not in pages[file].ids:
                broken.append(f"{path}: {link} has no element id={target.fragment}")
    return checked, broken


def tree_digest(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def shipped_site(tmp_path_factory, catalog_dir):
    out = tmp_path_factory.mktemp("site") / "public"
    t0 = time.perf_counter()
    rep = build_site(catalog_dir, out)
    return out, rep, time.perf_counter() - t0


def test_the_shipped_catalog_builds_in_under_a_minute_with_every_page(shipped_site, catalog_dir) -> None:
    out, rep, took = shipped_site
    n = len(list(catalog_dir.glob("*.yaml")))
    assert took < 60, f"site build took {took:.1f}s"
    assert rep.tricks == n and rep.indexed == n  # Pagefind indexed exactly the trick pages
    for f in ("index.html", "landscape/index.html", "trick/index.html", "search/index.html", "404.html",
              "assets/site.css", "pagefind/pagefind-ui.js", "pagefind/pagefind-entry.json"):
        assert (out / f).is_file(), f
    assert len(list((out / "trick").glob("*/index.html"))) == n


def test_every_internal_link_resolves(shipped_site) -> None:
    out, _, _ = shipped_site
    checked, broken = crawl(out, "/")
    assert not broken, "\n".join(broken[:20])
    assert checked > 1000  # trick pages, related links, the landscape's points, the catalog list


def test_trick_page_shows_what_the_app_shows(shipped_site, catalog_dir) -> None:
    from tricks_kb.catalog import load_catalog
    from tricks_kb.evidence import grade_claims

    out, _, _ = shipped_site
    t = load_catalog([catalog_dir]).tricks["label-smoothing"]
    html = (out / "trick" / "label-smoothing" / "index.html").read_text(encoding="utf-8")
    for heading in ("How to", "Applies to", "Claims and evidence", "Why this verdict", "Related tricks", "Sources",
                    "BibTeX", "How each claim was graded"):
        assert heading in html, heading
    for g in grade_claims(t):
        assert f"grade {g.grade}</strong>" in html
    assert "Verdicts the evidence supports" in html and t.verdict.value in html
    for s in t.sources.values():
        assert (f"https://arxiv.org/abs/{s.arxiv}" in html) if s.arxiv else True
    assert "@article{" in html or "@misc{" in html or "@inproceedings{" in html
    page = parse(out / "trick" / "label-smoothing" / "index.html")
    assert "".join(page.h1) == t.name
    related = [r.id for r in t.related]
    assert related and all(f'href="/trick/{r}/"' in html for r in related)
    assert (out / "trick" / "label-smoothing" / "label-smoothing.json").is_file()
    # aliases and symptoms are on the indexed page body
    assert all(a in html for a in t.aliases) and all(s in html for s in t.symptoms)
    assert "data-pagefind-body" in html


def test_landscape_is_a_static_svg_linking_every_trick(shipped_site, catalog_dir) -> None:
    out, _, _ = shipped_site
    page = parse(out / "landscape" / "index.html")
    assert not page.scripts, "the landscape needs no JavaScript"
    svg_links = [a.get("href") for tag, a in page.tags if tag == "a" and (a.get("href") or "").startswith("/trick/")]
    assert sorted(svg_links) == sorted(f"/trick/{p.stem}/" for p in catalog_dir.glob("*.yaml"))


def test_base_url_prefixes_every_link(tmp_path, search_index) -> None:
    out = tmp_path / "site"
    build_site(search_index.catalog_dir, out, base_url="kb/docs", search=True)
    checked, broken = crawl(out, "/kb/docs/")
    assert not broken, "\n".join(broken[:20])
    assert checked > 50
    assert 'baseUrl: base' in (out / "index.html").read_text() and '"/kb/docs/"' in (out / "index.html").read_text()


@pytest.mark.parametrize("bad", ["http://evil.example/", "/a/../b", "/a b/", "//host/", "/x?y"])
def test_base_url_must_be_a_plain_path(bad: str) -> None:
    with pytest.raises(SiteError, match="--base-url"):
        normalize_base(bad)


def test_base_url_forms() -> None:
    assert normalize_base(None) == normalize_base("/") == normalize_base("") == "/"
    assert normalize_base("tricks") == normalize_base("/tricks/") == "/tricks/"


def test_hostile_catalog_text_never_reaches_the_page_unescaped(tmp_path, hostile_catalog) -> None:
    out = tmp_path / "site"
    build_site(hostile_catalog, out)
    own_scripts = 0
    for path in out.rglob("*.html"):
        page = parse(path)
        for tag, attrs in page.tags:
            assert tag in ALLOWED_TAGS, f"{path}: <{tag}> came from catalog text"
            assert not [k for k in attrs if k.startswith("on")], f"{path}: event handler {attrs}"
            for key in ("href", "src"):
                assert not (attrs.get(key) or "").lower().startswith("javascript:"), f"{path}: {attrs}"
        assert not any("pwned" in s for s in page.scripts), f"{path}: catalog text inside a <script>"
        own_scripts += len(page.scripts)
    html = (out / "trick" / "hostile-entry" / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned=5&lt;/script&gt;" in html  # shown as text
    assert "<script>window" not in html and "<img src=x" not in html and "<svg onload" not in html
    # the source URL with a quote in it is not a link at all (not http(s) after the checks) or is quoted
    assert 'href="https://example.org/"><img' not in html
    assert own_scripts > 0  # our own search and redirect scripts are there: the check above saw scripts


def test_same_catalog_same_bytes(tmp_path, search_index) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    build_site(search_index.catalog_dir, a)
    build_site(search_index.catalog_dir, b)
    da, db = tree_digest(a), tree_digest(b)
    assert da == db
    assert any(k.startswith("pagefind/") for k in da)  # the search index is part of the comparison


def test_rebuild_replaces_the_site_and_refuses_a_foreign_folder(tmp_path, search_index, capsys) -> None:
    out = tmp_path / "site"
    build_site(search_index.catalog_dir, out, search=False)
    (out / "trick" / "gone").mkdir()
    (out / "trick" / "gone" / "index.html").write_text("stale")
    assert main(["--catalog", str(search_index.catalog_dir), "site", str(out), "--no-search"]) == 0
    assert not (out / "trick" / "gone").exists()
    assert not (out / "pagefind").exists() and "built without its search index" in (out / "index.html").read_text()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    assert main(["--catalog", str(search_index.catalog_dir), "site", str(foreign)]) == 1
    err = capsys.readouterr().err
    assert "error: " in err and "not empty and was not written by `tricks-kb site`" in err
    assert "\nhint: give an empty or new folder" in err
    assert (foreign / "notes.txt").read_text() == "keep me"
    assert main(["--catalog", str(search_index.catalog_dir), "site", str(tmp_path / "x"), "--base-url", "/a/../b"]) == 1
    assert "--base-url" in capsys.readouterr().err


def test_site_command_needs_no_torch(tmp_path, search_index) -> None:
    import subprocess
    import sys

    code = ("import sys; from tricks_kb.cli import main; rc = main(['--catalog', sys.argv[1], 'site', sys.argv[2]]); "
            "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules; sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code, str(search_index.catalog_dir), str(tmp_path / "s")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    shutil.rmtree(tmp_path / "s")


def test_invalid_entries_are_left_out_with_a_warning(tmp_path, fixtures_dir, capsys) -> None:
    cat = tmp_path / "tricks"
    cat.mkdir()
    shutil.copy(fixtures_dir / "search_catalog" / "adamw.yaml", cat / "adamw.yaml")
    (cat / "broken.yaml").write_text("id: broken\n")
    assert main(["--catalog", str(cat), "site", str(tmp_path / "out"), "--no-search"]) == 0
    captured = capsys.readouterr()
    assert "warning: 1 invalid entry left out" in captured.err and "1 tricks" in captured.out
    assert (tmp_path / "out" / "trick" / "adamw" / "index.html").is_file()
    assert not (tmp_path / "out" / "trick" / "broken").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["--catalog", str(empty), "site", str(tmp_path / "out2")]) == 1
    assert "no valid entries" in capsys.readouterr().err
