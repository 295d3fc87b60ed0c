"""Pure data for the pages: claims tables, comparisons, landscape points and counts (no Streamlit here).

Everything about grades and verdicts comes from :mod:`tricks_kb.evidence`; this module only arranges it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ..evidence import author_groups, best_grade, grade_claims, supported_verdicts
from ..render import grade_text, magnitude_text, setting_text, source_label
from ..schema import Category, Trick, Verdict

VERDICT_COLORS = {
    "established": "green",
    "promising": "blue",
    "contested": "orange",
    "folklore": "violet",
    "debunked": "red",
}
VERDICT_HELP = {
    "established": "replicated, graded-A support",
    "promising": "controlled support, not yet broad",
    "contested": "good evidence on both sides",
    "folklore": "widely used, no controlled support",
    "debunked": "controlled evidence says no",
}


def claim_rows(t: Trick) -> list[dict[str, Any]]:
    """One row per claim: effect, statement, magnitude, setting, evidence, grade, sources, grading reasons."""
    rows = []
    for i, (c, g) in enumerate(zip(t.claims, grade_claims(t), strict=True)):
        rows.append({
            "#": i,
            "effect": c.effect.value,
            "claim": c.statement,
            "magnitude": magnitude_text(c),
            "setting": setting_text(c),
            "evidence": c.evidence.value,
            "grade": grade_text(g.grade),
            "sources": ", ".join(source_label(k, t.sources[k]) if k in t.sources else k for k in c.sources),
            "why this grade": "; ".join(g.reasons),
        })
    return rows


def verdict_support(t: Trick) -> tuple[list[str], bool]:
    """(verdicts the evidence supports, whether the declared verdict is among them)."""
    ok = [v.value for v in supported_verdicts(t)]
    return ok, t.verdict.value in ok


# --- compare -----------------------------------------------------------------------------


def compare_claims(tricks: list[Trick]) -> list[dict[str, Any]]:
    """Claims of several tricks in one table, sorted by setting so the same task lines up."""
    rows = []
    for t in tricks:
        for c, g in zip(t.claims, grade_claims(t), strict=True):
            rows.append({
                "task": c.setting.task,
                "setting": setting_text(c),
                "trick": t.name,
                "effect": c.effect.value,
                "magnitude": magnitude_text(c),
                "evidence": c.evidence.value,
                "grade": g.grade,
            })
    return sorted(rows, key=lambda r: (r["task"].casefold(), r["setting"].casefold(), r["trick"]))


def compare_magnitudes(tricks: list[Trick]) -> list[dict[str, Any]]:
    """Every reported magnitude of the selected tricks."""
    rows = []
    for t in tricks:
        for c in t.claims:
            m = c.magnitude
            if m is not None:
                rows.append({"trick": t.name, "metric": m.metric, "value": m.value, "unit": m.unit or "",
                             "baseline": m.baseline or "", "setting": setting_text(c)})
    return rows


@dataclass(frozen=True)
class Relation:
    """A typed link between two selected tricks."""

    source: str
    target: str
    type: str
    note: str | None


def relations_between(tricks: list[Trick]) -> list[Relation]:
    """The ``related`` links among the selected tricks (either direction), without duplicates."""
    ids = {t.id for t in tricks}
    seen: set[tuple[str, str, str]] = set()
    out = []
    for t in tricks:
        for r in t.related:
            key = (t.id, r.id, r.type.value)
            if r.id in ids and r.id != t.id and key not in seen:
                seen.add(key)
                out.append(Relation(t.id, r.id, r.type.value, r.note))
    return out


# --- landscape ---------------------------------------------------------------------------


def _jitter(trick_id: str, axis: str, width: float) -> float:
    digest = hashlib.sha256(f"{axis}:{trick_id}".encode()).digest()
    return (digest[0] / 255 - 0.5) * width


def independent_source_groups(t: Trick) -> int:
    """Number of author groups among the trick's sources (no shared author between groups; docs/evidence.md)."""
    return len(author_groups(list(t.sources), t.sources, t.introduced_by))


def landscape_rows(tricks: dict[str, Trick]) -> list[dict[str, Any]]:
    """One point per trick: strongest claim (points, grade) against the amount of independent evidence."""
    rows = []
    for t in tricks.values():
        grades = grade_claims(t)
        points = max((g.points for g in grades), default=0)
        indep = independent_source_groups(t)
        rows.append({
            "id": t.id,
            "name": t.name,
            "category": t.category.value,
            "verdict": t.verdict.value,
            "best_grade": best_grade(t),
            "points": points,
            "claims": len(t.claims),
            "independent_sources": indep,
            "x": points + _jitter(t.id, "x", 0.7),
            "y": indep + _jitter(t.id, "y", 0.5),
            "url": f"trick?trick={t.id}",
        })
    return sorted(rows, key=lambda r: r["id"])


def verdict_counts(tricks: dict[str, Trick]) -> list[dict[str, Any]]:
    """Tricks per category (rows) and verdict (columns), with totals; empty categories left out."""
    rows = []
    for cat in Category:
        row: dict[str, Any] = {"category": cat.value}
        for v in Verdict:
            row[v.value] = sum(t.category is cat and t.verdict is v for t in tricks.values())
        row["total"] = sum(row[v.value] for v in Verdict)
        if row["total"]:
            rows.append(row)
    total: dict[str, Any] = {"category": "all"}
    for v in Verdict:
        total[v.value] = sum(t.verdict is v for t in tricks.values())
    total["total"] = len(tricks)
    rows.append(total)
    return rows
