"""Search filters: the ``Filters`` value and the boolean masks that apply it to the catalog's tricks.

Each filter has one singular name, used alike by CLI flags (``--year-min`` is ``year_min``), URL
parameters, the app's session keys and the code: ``FILTER_NAMES``. The year bounds loosen together
as the ``year`` filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from .schema import Trick

LIST_FILTERS = ("category", "verdict", "grade", "domain", "tag")
FILTER_NAMES = (*LIST_FILTERS, "year_min", "year_max")
YEAR = "year"  # the year range, as one filter to loosen


@dataclass
class Filters:
    """Optional filters: AND across fields, OR within a list."""

    category: list[str] = field(default_factory=list)
    verdict: list[str] = field(default_factory=list)
    grade: list[str] = field(default_factory=list)
    domain: list[str] = field(default_factory=list)
    tag: list[str] = field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None

    def active(self) -> list[str]:
        """Names of the filters that restrict anything (the year range as ``year``)."""
        out = [f for f in LIST_FILTERS if getattr(self, f)]
        if self.year_min is not None or self.year_max is not None:
            out.append(YEAR)
        return out

    def without(self, name: str) -> Filters:
        """A copy with one filter (or, for ``year``, the year range) cleared."""
        d = {f.name: (list(v) if isinstance(v := getattr(self, f.name), list) else v) for f in fields(self)}
        if name == YEAR:
            d["year_min"] = d["year_max"] = None
        else:
            d[name] = []
        return Filters(**d)


class FilterMasks:
    """Per-trick columns of the filtered fields, turning a ``Filters`` into a boolean mask over ``ids``."""

    def __init__(self, tricks: dict[str, Trick], ids: list[str], grades: dict[str, str]) -> None:
        import numpy as np

        self.n = len(ids)
        self._cat = np.array([tricks[t].category.value for t in ids], dtype=object)
        self._verd = np.array([tricks[t].verdict.value for t in ids], dtype=object)
        self._grade = np.array([grades[t] for t in ids], dtype=object)
        self._dom = _value_masks([frozenset(d.value for d in tricks[t].applies_to.domains) for t in ids])
        self._tag = _value_masks([frozenset(tricks[t].tags) for t in ids])
        pairs = [(r, s.year) for r, t in enumerate(ids) for s in tricks[t].sources.values()]
        self._year_row = np.array([r for r, _ in pairs], dtype="int64")
        self._year_val = np.array([y for _, y in pairs], dtype="int64")

    def allowed(self, f: Filters | None) -> Any:
        """Boolean mask over trick rows (None: no filter)."""
        import numpy as np

        if f is None or not f.active():
            return None
        n = self.n
        m = np.ones(n, dtype=bool)
        for values, column in ((f.category, self._cat), (f.verdict, self._verd),
                               ([str(g).upper() for g in f.grade], self._grade)):
            if values:
                m &= np.isin(column, [str(v) for v in values])
        for values, masks in ((f.domain, self._dom), (f.tag, self._tag)):
            if values:
                anyof = np.zeros(n, dtype=bool)
                for v in values:
                    if v in masks:
                        anyof |= masks[v]
                m &= anyof
        if f.year_min is not None or f.year_max is not None:
            lo = f.year_min if f.year_min is not None else -(10**9)
            hi = f.year_max if f.year_max is not None else 10**9
            ym = np.zeros(n, dtype=bool)
            ym[self._year_row[(self._year_val >= lo) & (self._year_val <= hi)]] = True
            m &= ym
        return m


def _value_masks(values: list[frozenset[str]]) -> dict[str, Any]:
    import numpy as np

    out: dict[str, Any] = {}
    for row, vals in enumerate(values):
        for v in vals:
            out.setdefault(v, np.zeros(len(values), dtype=bool))[row] = True
    return out
