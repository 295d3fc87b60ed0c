"""Pure data for the pages: claims tables, comparisons, landscape points and counts (no Streamlit here).

Everything about grades and verdicts comes from :mod:`tricks_kb.evidence`; this module only arranges it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..evidence import GRADE_LABELS, ClaimGrade, author_groups, best_grade, grade_claims, supported_verdicts
from ..render import grade_text, magnitude_text, setting_text, source_label
from ..schema import Category, Claim, Source, Trick, Verdict

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
    for i, (c, g) in enumerate(zip(t.claims, grade_claims(t), strict=True), start=1):
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


STRENGTH_WORDS = {"A": "strong", "B": "moderate", "C": "weak", "D": "very weak"}
GRADE_HELP = ("The grade is the strength of the trick's strongest claim (A high, B moderate, C low, D very low), "
              "not whether the trick is good: strong evidence can be evidence against it.")
EFFECT_GROUPS = (("for", "Evidence for", ("helps",)), ("against", "Evidence against", ("hurts", "no-effect")),
                 ("mixed", "Mixed or depends", ("mixed",)))


def evidence_direction(t: Trick) -> str:
    """Which way the trick's strongest claims point: 'for', 'against' or 'both' ('for' without claims)."""
    graded = list(zip(t.claims, grade_claims(t), strict=True))
    if not graded:
        return "for"
    best = best_grade(t)
    effects = {c.effect.value for c, g in graded if g.grade == best}
    against = effects & {"hurts", "no-effect"}
    if against and "helps" not in effects:
        return "against"
    return "both" if against else "for"


def strength_label(grade: str, direction: str = "for") -> str:
    """'strong evidence', 'strong evidence against', 'moderate evidence both ways'."""
    suffix = {"for": "", "against": " against", "both": " both ways"}.get(direction, "")
    return f"{STRENGTH_WORDS.get(grade, '?')} evidence{suffix}"


def evidence_groups(t: Trick) -> list[tuple[str, list[dict[str, Any]]]]:
    """Claims grouped by effect (for, against, mixed), each group strongest first: (heading, claim rows)."""
    rows = claim_rows(t)
    points = [g.points for g in grade_claims(t)]
    out = []
    for _, heading, effects in EFFECT_GROUPS:
        group = [dict(r, points=points[r["#"] - 1]) for r in rows if r["effect"] in effects]
        group.sort(key=lambda r: (-r["points"], r["#"]))
        out.append((heading, group))
    return out


def verdict_support(t: Trick) -> tuple[list[str], bool]:
    """(verdicts the evidence supports, whether the declared verdict is among them)."""
    ok = [v.value for v in supported_verdicts(t)]
    return ok, t.verdict.value in ok


# --- compare -----------------------------------------------------------------------------


def number_text(value: float) -> str:
    """A reported number with sensible precision: 1.1 not 1.1000, 0.0032, 12,000, +/- sign kept by callers."""
    if value == int(value) and abs(value) < 1e6:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def magnitude_short(claim: Claim) -> str:
    """'+1.5 percentage points (top-1 error)', '1.1x (speedup ...)', '' when none is reported."""
    m = claim.magnitude
    if m is None:
        return ""
    sign = "+" if m.value > 0 and (m.unit or "").strip().lower() not in ("x", "×") else ""
    unit = (m.unit or "").strip()
    value = f"{sign}{number_text(m.value)}" + (unit if unit in ("x", "×", "%") else f" {unit}" if unit else "")
    return f"{value} ({m.metric}" + (f", vs {m.baseline})" if m.baseline else ")")


def _identity(s: Source) -> str:
    return s.arxiv or s.doi or s.url or f"{s.title}|{s.year}"


def _strongest(t: Trick) -> tuple[int, ClaimGrade] | None:
    grades = grade_claims(t)
    if not grades:
        return None
    i = max(range(len(grades)), key=lambda j: (grades[j].points, -j))
    return i, grades[i]


def compare_table(tricks: list[Trick]) -> tuple[list[str], dict[str, list[str]]]:
    """The aligned comparison: (row labels, {trick name: one cell per row}).

    Rows: what the evidence says, verdict, strongest evidence, cost, when to use it, typical values, then
    one row per source that two or more of the tricks cite, with each trick's result from it.
    """
    from .text import clean, first_sentence

    labels = ["What the evidence says", "Verdict", "Strongest evidence", "What it costs", "When to use it",
              "Typical values"]
    shared: dict[str, tuple[str, Source]] = {}
    cited: dict[str, set[str]] = {}
    for t in tricks:
        for key, src in t.sources.items():
            ident = _identity(src)
            shared.setdefault(ident, (key, src))
            cited.setdefault(ident, set()).add(t.id)
    both = sorted((i for i, ids in cited.items() if len(ids) >= 2),
                  key=lambda i: (-shared[i][1].year, source_label(*shared[i])))
    labels += [f"Study: {source_label(*shared[i])}, “{clean(shared[i][1].title)[:90]}”" for i in both]
    columns: dict[str, list[str]] = {}
    for t in tricks:
        best = _strongest(t)
        if best:
            i, g = best
            c = t.claims[i]
            mag = magnitude_short(c)
            strongest = (f"grade {g.grade} ({strength_label(g.grade, evidence_direction(t))}): claim {i + 1}, "
                         f"{c.effect.value}{', ' + mag if mag else ''}; {setting_text(c)}")
        else:
            strongest = "no claims"
        a = t.applies_to
        when = "; ".join(t.symptoms[:3]) if t.symptoms else ""
        where = ", ".join([d.value for d in a.domains] + list(a.model_families[:3]) + [x.value for x in a.scales])
        cells = [
            f"{t.verdict.value}: {first_sentence(t.verdict_reason)}",
            f"{t.verdict.value} ({VERDICT_HELP.get(t.verdict.value, '')})",
            strongest,
            clean(t.overhead) if t.overhead else "not stated",
            (when + (f" ({where})" if where else "")) if when else where,
            clean(t.how_to),
        ]
        keys_by_ident = {_identity(src): key for key, src in t.sources.items()}
        for ident in both:
            key = keys_by_ident.get(ident)
            if key is None:
                cells.append("not cited")
                continue
            results = []
            for n, c in enumerate(t.claims, start=1):
                if key in c.sources:
                    mag = magnitude_short(c)
                    results.append(f"claim {n}: {c.effect.value}{', ' + mag if mag else ''}")
            cells.append("; ".join(results) if results else "cited (background, no claim)")
        name = t.name if t.name not in columns else f"{t.name} ({t.id})"
        columns[name] = cells
    return labels, columns


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


def independent_source_groups(t: Trick) -> int:
    """Number of author groups among the trick's sources (no shared author between groups; docs/evidence.md)."""
    return len(author_groups(list(t.sources), t.sources, t.introduced_by))


LANDSCAPE_STACK = 3  # points side by side in a band share a row of this many sub-rows
_SUBROW = 0.26  # vertical offset between sub-rows, in units of "independent sources" (rows are 1 apart)


def landscape_rows(tricks: dict[str, Trick], href: str = "trick") -> list[dict[str, Any]]:
    """One point per trick in a unit chart: its grade band (left to right D, C, B, A) and its independent sources.

    No jitter: within a band, the tricks with the same number of independent sources sit side by side,
    ordered by the points of their strongest claim (weakest left), ``LANDSCAPE_STACK`` to a column. Each
    band is as wide as its fullest row needs, so no point can leave its band and none covers another.
    ``href`` is the trick page's path (absolute in the app).
    """
    rows = []
    for t in tricks.values():
        grades = grade_claims(t)
        rows.append({
            "id": t.id,
            "name": t.name,
            "category": t.category.value,
            "verdict": t.verdict.value,
            "best_grade": best_grade(t),
            "grade_label": f"{best_grade(t)} ({GRADE_LABELS.get(best_grade(t), '?')})",
            "points": max((g.points for g in grades), default=0),
            "claims": len(t.claims),
            "independent_sources": independent_source_groups(t),
            "url": f"{href}?trick={t.id}",
        })
    cells: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in sorted(rows, key=lambda r: (r["points"], r["name"].casefold(), r["id"])):
        cells.setdefault((r["best_grade"], r["independent_sources"]), []).append(r)
    x0 = {band["grade"]: band["x0"] for band in landscape_bands_of(rows)}
    for (grade, _), cell in cells.items():
        for i, r in enumerate(cell):
            col, sub = divmod(i, LANDSCAPE_STACK)
            r["x"] = x0[grade] + col + 0.5
            r["y"] = r["independent_sources"] + (sub - (LANDSCAPE_STACK - 1) / 2) * _SUBROW
    return sorted(rows, key=lambda r: r["id"])


def landscape_bands_of(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The grade bands of a landscape, weakest first: grade, label, x0, x1 (in column units, touching)."""
    widths: dict[str, dict[int, int]] = {g: {} for g in ("D", "C", "B", "A")}
    for r in rows:
        per_row = widths.setdefault(r["best_grade"], {})
        per_row[r["independent_sources"]] = per_row.get(r["independent_sources"], 0) + 1
    bands, start = [], 0.0
    for grade in ("D", "C", "B", "A"):
        counts = widths.get(grade) or {}
        cols = max((-(-n // LANDSCAPE_STACK) for n in counts.values()), default=0)
        width = float(max(cols, 1))
        bands.append({"grade": grade, "label": f"{grade} · {GRADE_LABELS[grade]}", "x0": start, "x1": start + width,
                      "tricks": sum(counts.values())})
        start += width
    return bands


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
