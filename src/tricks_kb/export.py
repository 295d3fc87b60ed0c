"""Export the catalog for downstream users: JSON, CSV (one row per claim) and BibTeX."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from typing import Any

from .evidence import best_grade, grade_claims
from .schema import Source, Trick

# Keys trick_record adds to the entry's own fields (computed, not stored in the YAML).
DERIVED_TRICK_KEYS = ("best_grade", "introduced_by_source")
DERIVED_CLAIM_KEYS = ("grade", "independent")


def trick_record(t: Trick) -> dict[str, Any]:
    """A JSON-ready dict of one trick, with each claim's grade added."""
    data = t.model_dump(mode="json", exclude_none=True)
    for claim, g in zip(data["claims"], grade_claims(t), strict=True):
        claim["grade"] = g.grade
        claim["independent"] = g.independent
    data["best_grade"] = best_grade(t)
    if t.introduced_by and t.introduced_by in t.sources:
        data["introduced_by_source"] = t.sources[t.introduced_by].model_dump(mode="json", exclude_none=True)
    return data


def to_json(tricks: list[Trick]) -> str:
    """All tricks as a JSON array, sorted by id."""
    return json.dumps([trick_record(t) for t in sorted(tricks, key=lambda t: t.id)], indent=2, ensure_ascii=False)


CSV_COLUMNS = [
    "trick_id", "trick_name", "category", "verdict", "introduced_by", "claim_index", "statement", "effect", "evidence",
    "grade", "metric", "value", "unit", "baseline", "task", "dataset", "model", "sources",
]


def to_csv(tricks: list[Trick]) -> str:
    """One row per claim, with the trick's id, category and verdict repeated."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for t in sorted(tricks, key=lambda t: t.id):
        for i, (c, g) in enumerate(zip(t.claims, grade_claims(t), strict=True)):
            m = c.magnitude
            w.writerow({
                "trick_id": t.id, "trick_name": t.name, "category": t.category.value, "verdict": t.verdict.value,
                "introduced_by": t.introduced_by or f"origin: {t.origin or ''}",
                "claim_index": i, "statement": c.statement, "effect": c.effect.value, "evidence": c.evidence.value,
                "grade": g.grade, "metric": m.metric if m else "", "value": m.value if m else "",
                "unit": (m.unit or "") if m else "", "baseline": (m.baseline or "") if m else "",
                "task": c.setting.task, "dataset": c.setting.dataset or "", "model": c.setting.model or "",
                "sources": ";".join(c.sources),
            })
    return buf.getvalue()


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def bibtex_key(source: Source) -> str:
    """Stable key: first author's surname, year, first significant title word (e.g. loshchilov2019decoupled)."""
    surname = re.sub(r"[^a-z]", "", _ascii(source.authors[0].split()[-1]).lower()) or "anon"
    stop = {"a", "an", "the", "on", "of", "in", "for", "and", "to", "with", "is", "are", "do", "does"}
    words = [re.sub(r"[^a-z0-9]", "", w) for w in _ascii(source.title).lower().split()]
    word = next((w for w in words if w and w not in stop), "untitled")
    return f"{surname}{source.year}{word}"


def _bib_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}").replace("&", "\\&").replace("%", "\\%")


def source_bibtex(source: Source, key: str | None = None) -> str:
    """One BibTeX entry for a source."""
    kind = "article" if source.kind.value == "paper" else "misc"
    if source.kind.value == "paper" and source.venue and not source.arxiv and not source.doi:
        kind = "inproceedings"
    fields = [
        ("title", "{" + _bib_escape(source.title) + "}"),
        ("author", " and ".join(_bib_escape(a) for a in source.authors)),
        ("year", str(source.year)),
    ]
    if source.venue:
        fields.append(("journal" if kind == "article" else "howpublished", _bib_escape(source.venue)))
    if source.arxiv:
        fields += [("eprint", source.arxiv), ("archivePrefix", "arXiv")]
    if source.doi:
        fields.append(("doi", source.doi))
    url = source.url or (f"https://arxiv.org/abs/{source.arxiv}" if source.arxiv else None) or (
        f"https://doi.org/{source.doi}" if source.doi else None)
    if url:
        fields.append(("url", url))
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
    return f"@{kind}{{{key or bibtex_key(source)},\n{body}\n}}"


def _identity(s: Source) -> str:
    return s.arxiv or s.doi or s.url or f"{s.title}|{s.year}"


def to_bibtex(tricks: list[Trick]) -> str:
    """Every distinct source in the catalog once, with stable, de-duplicated keys."""
    by_identity: dict[str, Source] = {}
    for t in sorted(tricks, key=lambda t: t.id):
        for s in t.sources.values():
            by_identity.setdefault(_identity(s), s)
    used: dict[str, int] = {}
    out = []
    for ident in sorted(by_identity, key=lambda i: (bibtex_key(by_identity[i]), i)):
        s = by_identity[ident]
        key = bibtex_key(s)
        n = used.get(key, 0)
        used[key] = n + 1
        out.append(source_bibtex(s, key if n == 0 else f"{key}{chr(ord('a') + n)}"))
    return "\n\n".join(out) + "\n"
