"""Safe text for Streamlit markdown: escaping, query highlighting, link checks, URL parameters.

Catalog text is never passed through ``unsafe_allow_html``. It goes through :func:`escape_md`, which
backslash-escapes every ASCII punctuation character (CommonMark allows that for all of them), so HTML
tags, links, emphasis, LaTeX (``$``) and Streamlit directives (``:red[...]``) render as plain text.
Markdown's GFM auto-linking works on the text after escapes are resolved, so bare URLs
(``https://x``, ``www.x``) and e-mail addresses are defused with an invisible WORD JOINER
(U+2060) that breaks the pattern: only :func:`md_link` with a vetted http(s) URL makes a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

_PUNCT = r"""\`*_{}[]()<>#+-.!|~$:=^"'&%@/;,?"""
_ESCAPE_RE = re.compile("[" + re.escape(_PUNCT) + "]")
_WORD_RE = re.compile(r"[^\W_]+")  # letters and digits only: bold markers always sit next to one
STOPWORDS = frozenset((
    "a about after all also am an and any are as at be been before being but by can could did do does doing "
    "during each few for from had has have having he her here him his how i if in into is it its just me more "
    "most my no nor not now of off on once only or other our out over own same she should so some such than "
    "that the their them then there these they this those through to too under until up us very vs was we "
    "were what when where which while who whom why will with would you your"
).split())
MAX_HIGHLIGHT_TERMS = 12


def clean(text: str) -> str:
    """Collapse whitespace (and drop control characters) to one line."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(text))
    return " ".join(text.split())


WORD_JOINER = "\u2060"
# What remark-gfm's autolink-literal transform looks for: a scheme with '://', 'www.', 'x@y'.
_AUTOLINK_RE = re.compile(r"(?i)(?<=[a-z])(?=:/)|(?<=www)(?=\.)|(?<=[\w.+-])(?=@)")


def defuse_autolinks(text: str) -> str:
    """Insert a WORD JOINER where GFM would start a bare link (before '://', after 'www', before '@')."""
    return _AUTOLINK_RE.sub(WORD_JOINER, text)


def _esc(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: "\\" + m.group(0), defuse_autolinks(text))


def first_sentence(text: str) -> str:
    """The first sentence of a paragraph (up to '. ', '? ' or '! '), on one line."""
    text = clean(text)
    m = re.search(r"(?<=[.?!])\s+(?=[A-Z(])", text)
    return text[:m.start()] if m else text


def escape_md(text: str) -> str:
    """Escape text so Streamlit markdown shows it literally, on one line."""
    return _esc(clean(text))


_CODE_SPAN_RE = re.compile(r"`([^`\n]+)`")


def code_spans(text: str) -> list[tuple[str, bool]]:
    """``text`` on one line, cut into (piece, is_code): a `backtick span` (a config key, a flag, a call) is
    code, without its backticks."""
    text = clean(text)
    out, last = [], 0
    for m in _CODE_SPAN_RE.finditer(text):
        out += [(text[last:m.start()], False), (m.group(1), True)]
        last = m.end()
    return out + [(text[last:], False)]


def escape_md_code(text: str) -> str:
    """:func:`escape_md`, except that backtick spans are shown as inline code. A code span renders its
    content literally (no links, HTML, emphasis or math), so only the text outside the spans is escaped."""
    return "".join(f"`{piece}`" if code else _esc(piece) for piece, code in code_spans(text))


def escape_md_block(text: str, code: bool = False) -> str:
    """Escape multi-line text, keeping its paragraph and line breaks (``code``: backtick spans as code)."""
    paragraphs = re.split(r"\n\s*\n", str(text).strip())
    esc = escape_md_code if code else escape_md
    out = []
    for para in paragraphs:
        lines = [esc(line) for line in para.splitlines() if line.strip()]
        out.append("  \n".join(lines))
    return "\n\n".join(p for p in out if p)


def query_terms(query: str) -> list[str]:
    """The words of a query worth highlighting: lower-cased, no stopwords, no duplicates."""
    seen: list[str] = []
    for w in _WORD_RE.findall(query.lower()):
        if (len(w) >= 2 or w.isdigit()) and w not in STOPWORDS and w not in seen:
            seen.append(w)
        if len(seen) >= MAX_HIGHLIGHT_TERMS:
            break
    return seen


def highlight_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Character spans of words in ``text`` that start with a query term (prefix match, case-insensitive)."""
    terms = [t for t in terms if t]
    spans: list[tuple[int, int]] = []
    for m in _WORD_RE.finditer(text):
        word = m.group(0).lower()
        if word in STOPWORDS:  # "is" must not light up because the query said "issue"
            continue
        best = 0
        for t in terms:
            if word.startswith(t) and len(t) >= min(3, len(word)):
                best = max(best, len(t))
            elif len(t) >= 4 and word.startswith(t[:-1]) and len(word) <= len(t) + 1:
                best = max(best, len(t) - 1)  # plural / inflection: "spikes" highlights "spike"
        if best:
            spans.append((m.start(), m.end()))
    return spans


def snippet(text: str, query: str, width: int = 320) -> str:
    """At most ``width`` characters of ``text`` around its first query word, with '…' where cut."""
    text = clean(text)
    if len(text) <= width:
        return text
    spans = highlight_spans(text, query_terms(query))
    start = max(0, spans[0][0] - width // 4) if spans else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < spans[0][0] else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return ("… " if start else "") + text[start:end] + (" …" if end < len(text) else "")


def highlight_md(text: str, query: str) -> str:
    """Escaped one-line markdown of ``text`` with the query's words in bold."""
    text = clean(text)
    out, pos = [], 0
    for start, end in highlight_spans(text, query_terms(query)):
        out.append(_esc(text[pos:start]))
        out.append("**" + _esc(text[start:end]) + "**")
        pos = end
    out.append(_esc(text[pos:]))
    return "".join(out)


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) link, percent-encoded for a markdown link; else None."""
    if not url:
        return None
    url = str(url).strip()
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe="/:?#[]@!$&'*+,;=%~-._")


def md_link(label: str, url: str | None) -> str:
    """A markdown link with an escaped label, or just the escaped label when the URL is not http(s)."""
    target = safe_url(url)
    if target is None:
        return escape_md(label)
    target = target.replace("(", "%28").replace(")", "%29")
    return f"[{escape_md(label)}]({target})"


def split_param(values: Iterable[str]) -> list[str]:
    """Query-parameter list values: repeated keys and comma-separated values, trimmed, de-duplicated."""
    out: list[str] = []
    for v in values:
        for part in str(v).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def parse_year(value: str | None) -> int | None:
    """A year from a query parameter, or None when it is missing or not a plausible year."""
    if value is None:
        return None
    value = str(value).strip()
    if not value.isdigit() or len(value) != 4:
        return None
    return int(value)
