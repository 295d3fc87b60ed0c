"""``tricks-kb site DIR``: the catalog as a static website, built from the same library code as the app.

Pages: ``index.html`` (Pagefind search and the catalog), ``trick/<id>/index.html`` (everything the app's
trick page shows) with ``trick/<id>/<id>.json``, ``landscape/index.html`` (a static SVG chart), and small
redirects at ``trick/`` and ``search/`` so the app's ``?trick=<id>`` and ``?q=`` links keep working.
Templates are Jinja2 with autoescape on; links to sources go through :func:`ui.text.safe_url`.
The output is deterministic: same catalog, same bytes (no dates, sorted order, fixed float formats).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess  # nosec B404 # runs the Pagefind binary of the pagefind-bin package, no shell
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from .evidence import GRADE_THRESHOLDS, best_grade, grade_claims
from .export import trick_bibtex, trick_record
from .render import how_to_steps, source_links
from .schema import Category, Trick, Verdict
from .ui.text import code_spans, safe_url
from .ui.views import VERDICT_HELP, claim_rows, landscape_rows, verdict_counts, verdict_support

MARKER = ".tricks-kb-site"  # a folder with this file was written by us and may be replaced
PAGEFIND_TIMEOUT = 120
CATEGORY_COLORS = [  # tableau20, one per category in schema order
    "#4c78a8", "#9ecae9", "#f58518", "#ffbf79", "#54a24b", "#88d27a", "#b79a20", "#f2cf5b", "#439894",
    "#83bcb6", "#e45756", "#ff9d98", "#79706e", "#bab0ac", "#d67195",
]
VERDICT_SHAPES = {"established": "diamond", "promising": "circle", "contested": "triangle",
                  "folklore": "square", "debunked": "cross"}


class SiteError(RuntimeError):
    """The site cannot be written; the message says why and how to fix it."""


@dataclass
class SiteReport:
    """What a build wrote."""

    tricks: int
    pages: int
    indexed: int
    seconds: float
    skipped: int = 0  # invalid entries left out


def normalize_base(base_url: str | None) -> str:
    """'/', or '/path/' with one leading and one trailing slash; rejects anything but a plain path."""
    base = (base_url or "/").strip()
    if not re.fullmatch(r"/?([A-Za-z0-9._~-]+/?)*", base) or "//" in base or ".." in base.split("/"):
        raise SiteError(f"--base-url must be a URL path such as /tricks-kb/, got {base_url!r}")
    return "/" + "/".join(p for p in base.split("/") if p) + ("/" if base.strip("/") else "")


def paragraphs(text: str, code: bool = False) -> Markup:
    """Multi-line catalog text as escaped <p> paragraphs with <br> line breaks (``code``: backtick spans as
    <code>)."""
    line_html = _with_code if code else (lambda line: escape(line.strip()))
    out = []
    for para in re.split(r"\n\s*\n", str(text).strip()):
        lines = [line_html(line) for line in para.splitlines() if line.strip()]
        if lines:
            out.append(Markup("<p>") + Markup("<br>\n").join(lines) + Markup("</p>"))
    return Markup("\n").join(out)


def how_to_html(text: str) -> Markup:
    """A how-to as an ordered list when it is written as numbered steps, else as paragraphs."""
    steps = how_to_steps(text)
    if not steps:
        return paragraphs(text, code=True)
    return Markup("<ol>\n") + Markup("\n").join(Markup("<li>") + _with_code(s) + Markup("</li>") for s in steps) \
        + Markup("\n</ol>")


def _with_code(text: str) -> Markup:
    """Escaped text on one line, its `backtick spans` as <code>."""
    return Markup("").join(Markup("<code>") + escape(piece) + Markup("</code>") if code else escape(piece)
                           for piece, code in code_spans(text))


def _env() -> Environment:
    env = Environment(loader=PackageLoader("tricks_kb", "site_templates"), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["paragraphs"] = paragraphs
    env.filters["how_to"] = how_to_html
    env.filters["tojson_attr"] = lambda v: json.dumps(v, ensure_ascii=True, sort_keys=True)
    return env


# --- page data -----------------------------------------------------------------------------


def _sources(t: Trick) -> list[dict[str, Any]]:
    out = []
    for key, s in t.sources.items():
        links = [(label, safe_url(url)) for label, url in source_links(s)]
        out.append({"key": key, "authors": ", ".join(s.authors[:6]) + (" et al." if len(s.authors) > 6 else ""),
                    "year": s.year, "title": s.title, "venue": s.venue, "kind": s.kind.value,
                    "links": [(label, url) for label, url in links if url]})
    return out


def trick_context(t: Trick, tricks: dict[str, Trick]) -> dict[str, Any]:
    """Everything the trick page shows, as plain data for the template."""
    ok, declared_ok = verdict_support(t)
    rows = claim_rows(t)
    for row, g in zip(rows, grade_claims(t), strict=True):
        row["grade_letter"] = g.grade
    return {
        "t": t, "best_grade": best_grade(t), "claims": rows, "supported": ok, "declared_ok": declared_ok,
        "related": [{"id": r.id, "type": r.type.value, "note": r.note, "name": tricks[r.id].name if r.id in tricks
                     else None} for r in t.related],
        "sources": _sources(t), "bibtex": trick_bibtex(t),
        "verdict_help": VERDICT_HELP.get(t.verdict.value, ""),
    }


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def landscape_svg(tricks: dict[str, Trick], base: str) -> Markup:
    """The landscape chart as inline SVG: best-evidence points (x) against independent sources (y).

    Each point is a link to its trick page, with the trick's name as its tooltip. No JavaScript.
    """
    rows = landscape_rows(tricks)
    w, h, left, right, top, bottom = 900, 480, 60, 20, 24, 50
    x_max = max([r["points"] for r in rows] + [9]) + 1.5
    y_max = max([r["independent_sources"] for r in rows] + [3]) + 0.6
    x0 = -1.0

    def sx(x: float) -> float:
        return left + (x - x0) / (x_max - x0) * (w - left - right)

    def sy(y: float) -> float:
        return h - bottom - y / y_max * (h - top - bottom)

    colors = {c.value: CATEGORY_COLORS[i % len(CATEGORY_COLORS)] for i, c in enumerate(Category)}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" class="landscape" '
             'aria-labelledby="landscape-title"><title id="landscape-title">Strength of the best evidence against '
             'the number of independent sources, one point per trick</title>']
    (_, t_a), (_, t_b), (_, t_c) = GRADE_THRESHOLDS
    for grade, a, b, shade in (("D", x0, t_c, 0), ("C", t_c, t_b, 1), ("B", t_b, t_a, 0), ("A", t_a, x_max, 1)):
        if shade:
            parts.append(f'<rect x="{_fmt(sx(a))}" y="{top}" width="{_fmt(sx(b) - sx(a))}" '
                         f'height="{h - top - bottom}" class="band"/>')
        parts.append(f'<text x="{_fmt((sx(a) + sx(b)) / 2)}" y="{top + 14}" class="band-label">{grade}</text>')
    parts.append(f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" class="axis"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" class="axis"/>')
    for x in range(0, int(x_max) + 1, 2):
        parts.append(f'<text x="{_fmt(sx(x))}" y="{h - bottom + 16}" class="tick">{x}</text>')
    for y in range(0, int(y_max) + 1):
        parts.append(f'<text x="{left - 8}" y="{_fmt(sy(y) + 4)}" class="tick tick-y">{y}</text>')
    parts.append(f'<text x="{_fmt((left + w - right) / 2)}" y="{h - 10}" class="axis-title">Strength of the best '
                 'evidence (points of the strongest claim)</text>')
    parts.append(f'<text transform="translate(16 {_fmt((top + h - bottom) / 2)}) rotate(-90)" class="axis-title">'
                 'Independent sources</text>')
    for r in rows:
        cx, cy = sx(r["x"]), sy(r["y"])
        label = escape(f'{r["name"]}: {r["verdict"]}, best grade {r["best_grade"]}, {r["points"]} points, '
                       f'{r["independent_sources"]} independent sources, {r["category"]}')
        parts.append(f'<a href="{escape(base)}trick/{escape(r["id"])}/"><title>{label}</title>'
                     f'{_shape(VERDICT_SHAPES[r["verdict"]], cx, cy, colors[r["category"]])}</a>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # nosec B704 # every catalog string above went through escape()


def _shape(kind: str, cx: float, cy: float, color: str) -> str:
    s = 6.0
    fill = f'fill="{color}" class="point"'
    if kind == "circle":
        return f'<circle cx="{_fmt(cx)}" cy="{_fmt(cy)}" r="{_fmt(s)}" {fill}/>'
    if kind == "square":
        return f'<rect x="{_fmt(cx - s)}" y="{_fmt(cy - s)}" width="{_fmt(2 * s)}" height="{_fmt(2 * s)}" {fill}/>'
    pts = {"diamond": [(0, -1.3), (1.3, 0), (0, 1.3), (-1.3, 0)],
           "triangle": [(0, -1.3), (1.2, 1), (-1.2, 1)],
           "cross": [(-0.4, -1.2), (0.4, -1.2), (0.4, -0.4), (1.2, -0.4), (1.2, 0.4), (0.4, 0.4), (0.4, 1.2),
                     (-0.4, 1.2), (-0.4, 0.4), (-1.2, 0.4), (-1.2, -0.4), (-0.4, -0.4)]}[kind]
    coords = " ".join(f"{_fmt(cx + dx * s)},{_fmt(cy + dy * s)}" for dx, dy in pts)
    return f'<polygon points="{coords}" {fill}/>'


def legend(tricks: dict[str, Trick]) -> list[dict[str, Any]]:
    """Categories present, with their colours (for the chart's legend)."""
    present = {t.category for t in tricks.values()}
    return [{"name": c.value, "color": CATEGORY_COLORS[i % len(CATEGORY_COLORS)]}
            for i, c in enumerate(Category) if c in present]


# --- writing -------------------------------------------------------------------------------


def _prepare(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise SiteError(f"{out} is a file; hint: give a folder for the site")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise SiteError(f"{out} is not empty and was not written by `tricks-kb site`; hint: give an empty or "
                            "new folder (a site folder is replaced whole on the next build)")
        for child in out.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    out.mkdir(parents=True, exist_ok=True)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def pagefind_binary() -> Path:
    """The Pagefind executable shipped by the pagefind-bin package."""
    try:
        from pagefind_bin import get_executable

        return Path(get_executable())
    except (ImportError, FileNotFoundError) as exc:
        raise SiteError(f"the Pagefind binary is missing ({exc}); hint: pip install pagefind-bin, or build "
                        "with --no-search") from None


def run_pagefind(out: Path) -> int:
    """Index the written pages with Pagefind (offline); return the number of pages indexed."""
    exe = pagefind_binary()
    try:
        proc = subprocess.run([str(exe), "--site", str(out), "--output-subdir", "pagefind", "--silent"],
                              capture_output=True, text=True, timeout=PAGEFIND_TIMEOUT, check=False)  # nosec B603 # fixed argv, no shell
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SiteError(f"Pagefind could not index {out}: {exc}; hint: build with --no-search") from None
    if proc.returncode != 0:
        raise SiteError(f"Pagefind failed on {out} (exit {proc.returncode}): {(proc.stderr or proc.stdout).strip()[:500]}")
    entry = out / "pagefind" / "pagefind-entry.json"
    try:
        langs = json.loads(entry.read_text(encoding="utf-8")).get("languages", {})
    except (OSError, ValueError):
        raise SiteError(f"Pagefind wrote no index into {out / 'pagefind'}") from None
    return sum(int(v.get("page_count", 0)) for v in langs.values())


def build_site(catalog_dir: Path, out: Path, base_url: str | None = "/", search: bool = True) -> SiteReport:
    """Write the static site of the valid entries in ``catalog_dir`` into ``out``."""
    from .catalog import load_catalog

    t0 = time.perf_counter()
    base = normalize_base(base_url)
    if not Path(catalog_dir).is_dir():
        raise SiteError(f"catalog folder {catalog_dir} does not exist; hint: pass --catalog DIR")
    cat = load_catalog([Path(catalog_dir)])
    tricks = cat.tricks
    skipped = sum(1 for e in cat.entries if e.trick is None)
    if not tricks:
        raise SiteError(f"no valid entries in {catalog_dir}; hint: run `tricks-kb validate`")
    out = Path(out)
    _prepare(out)
    env = _env()
    ordered = sorted(tricks.values(), key=lambda t: (t.name.casefold(), t.id))
    common = {"base": base, "search": search, "n_tricks": len(tricks)}
    by_category = [(c.value, [t for t in ordered if t.category is c]) for c in Category]
    rows = [{"t": t, "best_grade": best_grade(t)} for t in ordered]
    pages = 0
    _write(out / "index.html", env.get_template("index.html").render(
        **common, page="search", title="Search", by_category=[(c, [r for r in rows if r["t"].category.value == c])
                                                              for c, ts in by_category if ts]))
    pages += 1
    for t in ordered:
        _write(out / "trick" / t.id / "index.html", env.get_template("trick.html").render(
            **common, page="trick", title=t.name, **trick_context(t, tricks)))
        _write(out / "trick" / t.id / f"{t.id}.json",
               json.dumps(trick_record(t), indent=2, ensure_ascii=False, sort_keys=False) + "\n")
        pages += 1
    _write(out / "trick" / "index.html", env.get_template("redirect.html").render(
        **common, page="trick", title="Tricks", kind="trick", rows=rows))
    _write(out / "search" / "index.html", env.get_template("redirect.html").render(
        **common, page="search", title="Search", kind="search", rows=rows))
    _write(out / "landscape" / "index.html", env.get_template("landscape.html").render(
        **common, page="landscape", title="Landscape", svg=landscape_svg(tricks, base), legend=legend(tricks),
        shapes=[(v.value, VERDICT_SHAPES[v.value]) for v in Verdict], counts=verdict_counts(tricks),
        verdicts=[v.value for v in Verdict]))
    _write(out / "404.html", env.get_template("404.html").render(**common, page="404", title="Not found"))
    pages += 5
    _write(out / "assets" / "site.css", env.get_template("site.css").render())
    _write(out / MARKER, "written by `tricks-kb site`; the whole folder is replaced on the next build\n")
    indexed = run_pagefind(out) if search else 0
    return SiteReport(tricks=len(tricks), pages=pages, indexed=indexed, seconds=time.perf_counter() - t0,
                      skipped=skipped)
