"""How entries read as text (claims, magnitudes, settings, sources, whole entries, statistics), free of
Streamlit: the one home of that wording for the CLI, export and app."""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from typing import Any

from .evidence import GRADE_LABELS, GRADES, best_grade, grade_claims, supported_verdicts, verdict_problems
from .schema import Category, Claim, Source, Trick, Verdict


def grade_text(grade: str) -> str:
    """'B (moderate)'."""
    return f"{grade} ({GRADE_LABELS.get(grade, '?')})"


def setting_text(claim: Claim) -> str:
    """The claim's setting on one line: task, dataset, model, scale, batch, optimizer."""
    s = claim.setting
    parts = [s.task, s.dataset, s.model, s.scale, f"batch {s.batch_size}" if s.batch_size else None, s.optimizer]
    return ", ".join(p for p in parts if p)


def magnitude_text(claim: Claim, signed: bool = True) -> str:
    """'top-1 error: -1.5 percentage points vs no smoothing', or '' when none is reported."""
    m = claim.magnitude
    if m is None:
        return ""
    value = f"{m.value:+g}" if signed else f"{m.value:g}"
    text = f"{m.metric}: {value}{(' ' + m.unit) if m.unit else ''}"
    return text + (f" vs {m.baseline}" if m.baseline else "")


def source_label(key: str, source: Source) -> str:
    """'Loshchilov et al. 2019' style label for a source key."""
    first = source.authors[0].split()[-1] if source.authors and source.authors[0].split() else key
    return f"{first}{' et al.' if len(source.authors) > 1 else ''} {source.year}"


def source_links(source: Source) -> list[tuple[str, str]]:
    """(label, url) pairs for a source: arXiv, DOI and its own URL (the caller checks the scheme)."""
    links = []
    if source.arxiv:
        links.append((f"arXiv:{source.arxiv}", f"https://arxiv.org/abs/{source.arxiv}"))
    if source.doi:
        links.append((f"doi:{source.doi}", f"https://doi.org/{source.doi}"))
    if source.url:
        links.append(("link", source.url))
    return links


_STEP = re.compile(r"(?:^|(?<=\s))(\d{1,2})[.)]\s+")


def how_to_steps(text: str) -> list[str] | None:
    """The steps of a how-to written inline as "1. ... 2. ... 3. ...", or None when it is not such a list.

    Only a run numbered 1, 2, 3, ... in order from the start counts, so "lr 0.1. 2 GPUs" or a version
    number is not taken for a step.
    """
    flat = " ".join(str(text).split())
    marks = list(_STEP.finditer(flat))
    if not marks or marks[0].start() != 0:
        return None
    picked, want = [], 1
    for m in marks:
        if int(m.group(1)) == want:
            picked.append(m)
            want += 1
    if len(picked) < 2:
        return None
    ends = [m.start() for m in picked[1:]] + [len(flat)]
    return [flat[m.end():end].strip() for m, end in zip(picked, ends, strict=True)]


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(" ".join(text.split()), width=100, initial_indent=indent, subsequent_indent=indent)


def cite_short(s: Source) -> str:
    """'Loshchilov & Hutter (2017). SGDR: ...' with an identifier."""
    a = s.authors
    who = a[0].split()[-1] if len(a) == 1 else (
        f"{a[0].split()[-1]} & {a[1].split()[-1]}" if len(a) == 2 else f"{a[0].split()[-1]} et al.")
    ident = f"arXiv:{s.arxiv}" if s.arxiv else (f"doi:{s.doi}" if s.doi else (s.url or ""))
    return f"{who} ({s.year}). {s.title}. {ident}".strip()


def origin_text(t: Trick) -> str:
    """Where the trick comes from: the introducing source, or the documented reason there is none."""
    if t.introduced_by and t.introduced_by in t.sources:
        return f"{cite_short(t.sources[t.introduced_by])} [{t.introduced_by}]"
    return f"no single source: {t.origin}" if t.origin else "not recorded"


def show_text(t: Trick) -> str:
    """The whole entry, readable, with each claim's grade and the reasoning behind it."""
    out = [f"{t.name}  [{t.id}]", f"category: {t.category.value}   verdict: {t.verdict.value}   "
           f"best grade: {best_grade(t)}"]
    if t.aliases:
        out.append("aliases: " + ", ".join(t.aliases))
    out.append("introduced by: " + origin_text(t))
    out += ["", "Summary", _wrap(t.summary)]
    if t.symptoms:
        out += ["", "Reach for it when"] + [_wrap("- " + x) for x in t.symptoms]
    steps = how_to_steps(t.how_to)
    out += ["", "How to"] + ([textwrap.fill(step, width=100, initial_indent=f"  {i}. ",
                                            subsequent_indent="     ")
                              for i, step in enumerate(steps, 1)] if steps else [_wrap(t.how_to)])
    a = t.applies_to
    out += ["", "Applies to", "  domains: " + ", ".join(d.value for d in a.domains)]
    if a.model_families:
        out.append("  models: " + ", ".join(a.model_families))
    if a.scales:
        out.append("  scales: " + ", ".join(s.value for s in a.scales))
    if t.overhead:
        out += ["", "Overhead", _wrap(t.overhead)]
    out += ["", "Claims"]
    for i, (c, g) in enumerate(zip(t.claims, grade_claims(t), strict=True), start=1):
        out.append(f"  claim {i}: {c.effect.value.upper()} - grade {g.grade} ({g.label}) - {c.evidence.value}")
        out.append(_wrap(c.statement, "      "))
        if c.magnitude:
            out.append("      magnitude: " + magnitude_text(c, signed=False))
        out.append("      setting: " + setting_text(c))
        out.append("      sources: " + ", ".join(c.sources))
        out.append("      grading: " + "; ".join(g.reasons))
    out += ["", f"Verdict: {t.verdict.value}", _wrap(t.verdict_reason)]
    missing = verdict_problems(t)
    if missing:
        out.append("  NOT SUPPORTED: " + "; ".join(missing))
    out.append("  verdicts the evidence supports: " + ", ".join(v.value for v in supported_verdicts(t)))
    if t.caveats:
        out += ["", "Caveats"] + [_wrap("- " + c) for c in t.caveats]
    if t.related:
        out += ["", "Related"] + [f"  {r.type.value}: {r.id}" + (f" ({r.note})" if r.note else "") for r in t.related]
    out += ["", "Sources"]
    for key, s in t.sources.items():
        ident = " ".join(x for x in (f"arXiv:{s.arxiv}" if s.arxiv else None,
                                     f"doi:{s.doi}" if s.doi else None, s.url) if x)
        authors = s.authors[0] + (" et al." if len(s.authors) > 1 else "")
        out.append(f"  {key}: {authors} ({s.year}). {s.title}. {s.venue or s.kind.value}. {ident}")
    out.append(f"\nlast reviewed: {t.last_reviewed.isoformat()}")
    return "\n".join(out)


def stats(tricks: list[Trick]) -> dict[str, Any]:
    """Counts of tricks per category, verdict and best grade, and of claims per grade."""
    claim_grades = Counter(g.grade for t in tricks for g in grade_claims(t))
    best = Counter(best_grade(t) for t in tricks)
    per_cat_verdict: dict[str, Counter] = {c.value: Counter() for c in Category}
    for t in tricks:
        per_cat_verdict[t.category.value][t.verdict.value] += 1
    return {
        "tricks": len(tricks),
        "claims": sum(len(t.claims) for t in tricks),
        "sources": len({(s.arxiv or s.doi or s.url) for t in tricks for s in t.sources.values()}),
        "category": {c.value: sum(t.category is c for t in tricks) for c in Category},
        "verdict": {v.value: sum(t.verdict is v for t in tricks) for v in Verdict},
        "best_grade": {g: best.get(g, 0) for g in GRADES},
        "claim_grade": {g: claim_grades.get(g, 0) for g in GRADES},
        "category_by_verdict": {c: dict(v) for c, v in per_cat_verdict.items()},
    }


def stats_text(s: dict[str, Any]) -> str:
    """Readable tables of :func:`stats`."""
    out = [f"{s['tricks']} tricks, {s['claims']} claims, {s['sources']} distinct sources", ""]
    verdicts = list(s["verdict"])
    head = f"{'category':<16}" + "".join(f"{v[:11]:>12}" for v in verdicts) + f"{'total':>8}"
    out.append(head)
    for cat, total in s["category"].items():
        row = s["category_by_verdict"][cat]
        out.append(f"{cat:<16}" + "".join(f"{row.get(v, 0):>12}" for v in verdicts) + f"{total:>8}")
    out.append(f"{'total':<16}" + "".join(f"{s['verdict'][v]:>12}" for v in verdicts) + f"{s['tricks']:>8}")
    out += ["", "best grade per trick: " + ", ".join(f"{g} ({GRADE_LABELS[g]}) {n}" for g, n in s["best_grade"].items()),
            "grade per claim:      " + ", ".join(f"{g} {n}" for g, n in s["claim_grade"].items())]
    return "\n".join(out)
