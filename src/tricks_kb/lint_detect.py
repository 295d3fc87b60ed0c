"""Validator rules for an entry's ``detect:`` block: claims that exist, conditions that can hold, known tricks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from .catalog import Entry
from .detectspec import Test, When
from .diagnostics import Problem
from .lint import rule
from .schema import Trick


def _tests(w: When, path: tuple) -> Iterator[tuple[Test, tuple]]:
    yield w, path
    for name in ("all", "any"):
        for i, sub in enumerate(getattr(w, name) or []):
            yield from _tests(sub, (*path, name, i))
    if w.not_ is not None:
        yield from _tests(w.not_, (*path, "not"))


def impossible(t: Test) -> str | None:
    """Why a test can never hold, or None (bounds that cross, an empty `in`)."""
    low = [(v, strict) for v, strict in ((t.gt, True), (t.ge, False)) if v is not None]
    high = [(v, strict) for v, strict in ((t.lt, True), (t.le, False)) if v is not None]
    for lo, s1 in low:
        for hi, s2 in high:
            if lo > hi or (lo == hi and (s1 or s2)):
                return f"a value above {lo} and below {hi}"
    if t.in_ is not None and not t.in_:
        return "`in: []` matches nothing"
    return None


@rule("detect-claims-exist", "TK050", "entry", "Finding rules and the detect claim cite claim numbers the entry has (1-based).")
def _claims_exist(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    if t.detect is None:
        return
    n = len(t.claims)
    if t.detect.claim is not None and t.detect.claim > n:
        yield e.loaded.problem(("detect", "claim"), "TK050", f"detect.claim {t.detect.claim} does not exist "
                               f"(the entry has {n} claims)", "claims are numbered from 1", key=False)
    for i, r in enumerate(t.detect.rules):
        for j, c in enumerate(r.claims):
            if c > n:
                yield e.loaded.problem(("detect", "rules", i, "claims", j), "TK050",
                                       f"rule '{r.name}' rests on claim {c}, but the entry has {n} claims",
                                       "claims are numbered from 1; cite one that supports the finding", key=False)


@rule("detect-conditions-possible", "TK051", "entry", "No signal or rule condition is impossible (bounds that cross, empty lists).")
def _conditions_possible(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    if t.detect is None:
        return
    for i, s in enumerate(t.detect.signals):
        why = impossible(s)
        if why:
            yield e.loaded.problem(("detect", "signals", i), "TK051", f"signal on {s.keys[0]} can never be on: {why}",
                                   "fix the bounds, e.g. `gt: 0` alone", key=False)
    for i, r in enumerate(t.detect.rules):
        for test, path in _tests(r.when, ("detect", "rules", i, "when")):
            why = impossible(test)
            if why:
                yield e.loaded.problem(path, "TK051", f"rule '{r.name}' can never fire: {why}",
                                       "fix the bounds so some value passes", key=False)


@rule("detect-rule-names-unique", "TK053", "entry", "Finding rule names are unique within an entry.")
def _rule_names_unique(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    seen: set[str] = set()
    for i, r in enumerate(t.detect.rules if t.detect else []):
        if r.name in seen:
            yield e.loaded.problem(("detect", "rules", i, "name"), "TK053", f"rule name '{r.name}' is used twice",
                                   "give each rule its own name", key=False)
        seen.add(r.name)


@rule("detect-tricks-known", "TK052", "catalog", "Rule conditions name tricks that exist in the catalog (else they never fire).")
def _tricks_known(entries: list[Entry], valid: list[Entry], today: dt.date) -> Iterable[Problem]:
    known = {e.trick.id for e in valid if e.trick} | {e.file_id for e in entries}
    for e in valid:
        t = e.trick
        if t is None or t.detect is None:
            continue
        for i, r in enumerate(t.detect.rules):
            for test, path in _tests(r.when, ("detect", "rules", i, "when")):
                tid = getattr(test, "trick", None)
                if tid and tid not in known:
                    yield e.loaded.problem((*path, "trick"), "TK052",
                                           f"rule '{r.name}' refers to unknown trick '{tid}': it can never fire",
                                           "use an existing trick id (tricks-kb show ID)", key=False)
