"""Matching config keys and testing values against the structured tests of ``detectspec`` (no eval)."""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache
from typing import Any

from ..detectspec import Test
from .readers import Item, as_number, parse_scalar

_OFF_TEXT = {"", "none", "null", "false", "no", "off", "0", "0.0", "disabled", "disable", "[]", "{}", "~"}


def fold(text: str) -> str:
    """Key text compared case-insensitively with '-' and '_' folded."""
    return text.casefold().replace("-", "_")


@lru_cache(maxsize=65536)
def segments(key: str) -> tuple[str, ...]:
    """A dotted key's parts, folded, list indices dropped (``param_scheduler.0.type`` -> param_scheduler, type)."""
    return tuple(fold(s) for s in key.split(".") if s and not s.isdigit())


@lru_cache(maxsize=4096)
def _part(pattern: str) -> re.Pattern[str] | str:
    return re.compile(fnmatch.translate(pattern)) if any(c in pattern for c in "*?[") else pattern


@lru_cache(maxsize=262144)
def key_matches(pattern: str, key: str) -> bool:
    """True when ``pattern`` (dotted, globs allowed per part) matches the end of ``key``."""
    want = segments(pattern)
    have = segments(key)
    if len(want) > len(have):
        return False
    for w, h in zip(want, have[len(have) - len(want):], strict=True):
        p = _part(w)
        if not (p == h if isinstance(p, str) else p.match(h)):
            return False
    return True


class _Index:
    """Items grouped by their last key part, so a pattern only looks at the keys that can match."""

    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self.by_last: dict[str, list[int]] = {}
        for i, it in enumerate(items):
            segs = segments(it.key)
            if segs:
                self.by_last.setdefault(segs[-1], []).append(i)
        self.cache: dict[str, list[int]] = {}

    def positions(self, pattern: str) -> list[int]:
        if pattern not in self.cache:
            want = segments(pattern)
            if not want:
                self.cache[pattern] = []
            else:
                p = _part(want[-1])
                lasts = [p] if isinstance(p, str) else [k for k in self.by_last if p.match(k)]
                self.cache[pattern] = [i for k in lasts for i in self.by_last.get(k, ())
                                       if key_matches(pattern, self.items[i].key)]
        return self.cache[pattern]


_INDEXES: dict[int, _Index] = {}


def _index(items: list[Item]) -> _Index:
    idx = _INDEXES.get(id(items))
    if idx is None or idx.items is not items or len(idx.items) != len(items):
        if len(_INDEXES) > 16:
            _INDEXES.clear()
        idx = _INDEXES[id(items)] = _Index(items)
    return idx


def find(items: list[Item], patterns: list[str] | str, leaves_only: bool = True) -> list[Item]:
    """Items whose key matches any pattern, in file order; containers skipped unless asked."""
    pats = [patterns] if isinstance(patterns, str) else patterns
    if not pats or not items:
        return []
    if len(items) < 8:
        hits = [i for i, it in enumerate(items) if any(key_matches(p, it.key) for p in pats)]
    else:
        idx = _index(items)
        hits = sorted({i for p in pats for i in idx.positions(p)})
    return [items[i] for i in hits if not (leaves_only and isinstance(items[i].value, dict))]


def scalar_of(value: Any) -> Any:
    """A one-element list stands for its element (``update_freq: [16]``)."""
    if isinstance(value, list) and len(value) == 1 and not isinstance(value[0], list | dict):
        return value[0]
    return value


def text_of(value: Any) -> str:
    """The value as text for globbing and equality."""
    v = scalar_of(value)
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    return str(v)


def truthy(value: Any) -> bool:
    """On in effect: not 0, false, null, empty, 'none', 'disabled'."""
    v = scalar_of(value)
    if isinstance(v, bool):
        return v
    if v is None:
        return False
    n = as_number(v)
    if n is not None:
        return n != 0
    if isinstance(v, list | dict):
        return bool(v)
    return str(v).strip().strip("'\"").casefold() not in _OFF_TEXT


def glob(patterns: str | list[str], value: Any) -> bool:
    """Case-insensitive glob match of the value's text ('|' separates alternatives); '-'/'_' folded."""
    alts = [p for pat in ([patterns] if isinstance(patterns, str) else patterns) for p in pat.split("|")]
    text = fold(text_of(value).strip().strip("'\""))
    return any(fnmatch.fnmatchcase(text, fold(a.strip())) for a in alts if a.strip())


def _equal(a: Any, b: Any) -> bool:
    na, nb = as_number(a), as_number(b)
    if na is not None and nb is not None:
        return na == nb
    if isinstance(b, bool) or b is None:
        pa = parse_scalar(a) if isinstance(a, str) else a
        return pa is b or pa == b
    return fold(text_of(a)) == fold(text_of(b))


def passes(test: Test, item: Item | None, other: Any = None) -> bool:
    """Every test given in ``test`` holds for the item's value (an absent item fails all but present: false)."""
    given = test.given()
    if item is None:
        return given == ["present"] and test.present is False
    value = scalar_of(item.value)
    num = as_number(value)
    for name in given:
        want = getattr(test, name)
        if name in ("gt", "ge", "lt", "le"):
            if num is None:
                return False
            ok = {"gt": num > want, "ge": num >= want, "lt": num < want, "le": num <= want}[name]
        elif name == "eq":
            ok = _equal(value, want)
        elif name == "ne":
            ok = not _equal(value, want)
        elif name == "in_":
            ok = any(_equal(value, w) for w in want)
        elif name == "not_in":
            ok = not any(_equal(value, w) for w in want)
        elif name == "match":
            ok = glob(want, value)
        elif name == "raw_match":
            ok = re.search(want, item.raw) is not None
        elif name == "truthy":
            ok = truthy(value) is want
        elif name == "present":
            ok = want is True
        else:  # gt_key / ge_key: compared with another key's value, passed in as ``other``
            o = as_number(scalar_of(other)) if other is not None else None
            ok = num is not None and o is not None and (num > o if name == "gt_key" else num >= o)
        if not ok:
            return False
    return True
