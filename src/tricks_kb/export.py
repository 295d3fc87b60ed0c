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
    "trick_id", "trick_name", "category", "verdict", "introduced_by", "claim_number", "statement", "effect", "evidence",
    "grade", "metric", "value", "unit", "baseline", "task", "dataset", "model", "sources",
]


def to_csv(tricks: list[Trick]) -> str:
    """One row per claim (``claim_number`` counts from 1, as everywhere), with the trick's id, category and verdict."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for t in sorted(tricks, key=lambda t: t.id):
        for i, (c, g) in enumerate(zip(t.claims, grade_claims(t), strict=True), start=1):
            m = c.magnitude
            w.writerow({
                "trick_id": t.id, "trick_name": t.name, "category": t.category.value, "verdict": t.verdict.value,
                "introduced_by": t.introduced_by or f"origin: {t.origin or ''}",
                "claim_number": i, "statement": c.statement, "effect": c.effect.value, "evidence": c.evidence.value,
                "grade": g.grade, "metric": m.metric if m else "", "value": m.value if m else "",
                "unit": (m.unit or "") if m else "", "baseline": (m.baseline or "") if m else "",
                "task": c.setting.task, "dataset": c.setting.dataset or "", "model": c.setting.model or "",
                "sources": ";".join(c.sources),
            })
    return buf.getvalue()


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def bibtex_key(source: Source) -> str:
    """Fallback key when a source has none: surname, year, first significant title word (loshchilov2019decoupled)."""
    surname = re.sub(r"[^a-z]", "", _ascii(source.authors[0].split()[-1]).lower()) or "anon"
    stop = {"a", "an", "the", "on", "of", "in", "for", "and", "to", "with", "is", "are", "do", "does"}
    words = [re.sub(r"[^a-z0-9]", "", w) for w in _ascii(source.title).lower().split()]
    word = next((w for w in words if w and w not in stop), "untitled")
    return f"{surname}{source.year}{word}"


def _bib_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}").replace("&", "\\&").replace("%", "\\%")


# Conference abbreviations as they appear in `venue`, and the booktitle a paper should print.
CONFERENCES = {
    "AAAI": "Proceedings of the AAAI Conference on Artificial Intelligence (AAAI)",
    "ACL": "Proceedings of the Annual Meeting of the Association for Computational Linguistics (ACL)",
    "AISTATS": "Proceedings of the International Conference on Artificial Intelligence and Statistics (AISTATS)",
    "ASPLOS": "Proceedings of the ACM International Conference on Architectural Support for Programming Languages "
              "and Operating Systems (ASPLOS)",
    "BMVC": "Proceedings of the British Machine Vision Conference (BMVC)",
    "CCL": "Proceedings of the Chinese National Conference on Computational Linguistics (CCL)",
    "CIKM": "Proceedings of the ACM International Conference on Information and Knowledge Management (CIKM)",
    "COLM": "Conference on Language Modeling (COLM)",
    "CONLL": "Proceedings of the Conference on Computational Natural Language Learning (CoNLL)",
    "CVPR": "Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
    "EACL": "Proceedings of the Conference of the European Chapter of the Association for Computational "
            "Linguistics (EACL)",
    "ECCV": "Proceedings of the European Conference on Computer Vision (ECCV)",
    "EMNLP": "Proceedings of the Conference on Empirical Methods in Natural Language Processing (EMNLP)",
    "ICASSP": "Proceedings of the IEEE International Conference on Acoustics, Speech and Signal Processing (ICASSP)",
    "ICCV": "Proceedings of the IEEE/CVF International Conference on Computer Vision (ICCV)",
    "ICIP": "Proceedings of the IEEE International Conference on Image Processing (ICIP)",
    "ICLR": "International Conference on Learning Representations (ICLR)",
    "ICML": "Proceedings of the International Conference on Machine Learning (ICML)",
    "ICRA": "Proceedings of the IEEE International Conference on Robotics and Automation (ICRA)",
    "IJCAI": "Proceedings of the International Joint Conference on Artificial Intelligence (IJCAI)",
    "IJCNN": "Proceedings of the International Joint Conference on Neural Networks (IJCNN)",
    "INTERSPEECH": "Proceedings of Interspeech",
    "IROS": "Proceedings of the IEEE/RSJ International Conference on Intelligent Robots and Systems (IROS)",
    "IWSLT": "Proceedings of the International Conference on Spoken Language Translation (IWSLT)",
    "KDD": "Proceedings of the ACM SIGKDD Conference on Knowledge Discovery and Data Mining (KDD)",
    "MICCAI": "Medical Image Computing and Computer Assisted Intervention (MICCAI)",
    "MLSYS": "Proceedings of Machine Learning and Systems (MLSys)",
    "NAACL": "Proceedings of the Conference of the North American Chapter of the Association for Computational "
             "Linguistics (NAACL)",
    "NEURIPS": "Advances in Neural Information Processing Systems (NeurIPS)",
    "NIPS": "Advances in Neural Information Processing Systems (NeurIPS)",
    "RECSYS": "Proceedings of the ACM Conference on Recommender Systems (RecSys)",
    "SC20": "Proceedings of the International Conference for High Performance Computing, Networking, Storage "
            "and Analysis (SC20)",
    "UAI": "Proceedings of the Conference on Uncertainty in Artificial Intelligence (UAI)",
    "WACV": "Proceedings of the IEEE/CVF Winter Conference on Applications of Computer Vision (WACV)",
    "WMT": "Proceedings of the Conference on Machine Translation (WMT)",
    "WWW": "Proceedings of the ACM Web Conference (WWW)",
}
_JOURNAL_RE = re.compile(
    r"\b(journal|transactions|jmlr|tmlr|tpami|bulletin|neural networks \d|nature|pnas|plos|scientific reports"
    r"|medical image analysis|pattern recognition \d|information fusion|patterns \d|ecography|communications in"
    r"|proc\. vldb endowment|pvldb)", re.I)
# a volume with an issue or an article number ("40(8)", "4(9):100804", "98 (107049)") marks a journal article
_VOLUME_RE = re.compile(r"\b\d+\s*\(\d+\)|\b\d+\(\d+\):\d+")
# other proceedings, printed as written: "Conference on Lifelong Learning Agents (PMLR 330)", "USENIX ATC 2021"
_PROCEEDINGS_RE = re.compile(r"\b(conference|workshop|symposium|usenix|vldb|3dv|slsp|apsipa|imvip)\b", re.I)
_BOOK_RE = re.compile(r"\b(tricks of the trade|lncs)\b", re.I)
_WORKSHOP_RE = re.compile(r"\b(workshops?|track|findings)\b", re.I)
JOURNALS = {"JMLR": "Journal of Machine Learning Research", "TMLR": "Transactions on Machine Learning Research"}
ARXIV_HOWPUBLISHED = "arXiv preprint"  # the one spelling of a preprint's venue


def _conference(venue: str) -> str | None:
    """The booktitle for a conference venue ('ICML (PMLR 97)' -> ICML's), or None."""
    # "EMNLP-IJCNLP" and "ACL-IJCNLP" are the first conference's proceedings
    head = re.split(r"[\s(\-]", venue.strip(), maxsplit=1)[0].upper()
    if head in CONFERENCES:
        main = re.sub(r"\(.*?\)", "", venue)  # "NeurIPS (also CVPR Workshops)" is a NeurIPS paper
        return venue if _WORKSHOP_RE.search(main) else CONFERENCES[head]
    return None


def bibtex_type(source: Source) -> tuple[str, str | None, str | None]:
    """(entry type, venue field name, venue text) for a source: conferences are @inproceedings."""
    venue = (source.venue or "").strip()
    if source.kind.value in ("paper", "benchmark") and venue:
        if venue.lower().startswith("arxiv"):
            return "misc", "howpublished", ARXIV_HOWPUBLISHED
        if _BOOK_RE.search(venue):
            return "incollection", "booktitle", venue
        if venue.lower().startswith("findings"):
            return "inproceedings", "booktitle", venue
        if _JOURNAL_RE.search(venue) or _VOLUME_RE.search(venue):
            return "article", "journal", JOURNALS.get(venue.upper(), venue)
        booktitle = _conference(venue) or (venue if _PROCEEDINGS_RE.search(venue) else None)
        if booktitle:
            return "inproceedings", "booktitle", booktitle
    if source.kind.value == "book":
        return "book", "publisher", venue or None
    if source.kind.value in ("paper", "benchmark") and source.arxiv and not venue:
        return "misc", "howpublished", ARXIV_HOWPUBLISHED
    if source.kind.value == "talk" and venue:
        return "inproceedings", "booktitle", venue
    return "misc", "howpublished", venue or None


def source_bibtex(source: Source, key: str | None = None) -> str:
    """One BibTeX entry for a source, keyed by ``key`` (the source's key in its entry; a derived key if None)."""
    kind, venue_field, venue = bibtex_type(source)
    fields = [
        ("title", "{" + _bib_escape(source.title) + "}"),
        ("author", " and ".join(_bib_escape(a) for a in source.authors)),
        ("year", str(source.year)),
    ]
    if venue_field and venue:
        fields.append((venue_field, _bib_escape(venue)))
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


def trick_bibtex(t: Trick) -> str:
    """The entry's sources as BibTeX, each under the key the entry uses for it."""
    return "\n\n".join(source_bibtex(s, key) for key, s in t.sources.items())


def _identity(s: Source) -> str:
    return s.arxiv or s.doi or s.url or f"{s.title}|{s.year}"


def to_bibtex(tricks: list[Trick]) -> str:
    """Every distinct source in the catalog once, under its source key (from the first entry citing it, by id).

    Two different sources with the same key keep it in the first (by id) and get 'b', 'c'... after it.
    """
    by_identity: dict[str, tuple[str, Source]] = {}
    for t in sorted(tricks, key=lambda t: t.id):
        for key, s in t.sources.items():
            by_identity.setdefault(_identity(s), (key, s))
    taken = {key for key, _ in by_identity.values()}
    used: set[str] = set()
    out = []
    for ident in sorted(by_identity, key=lambda i: (by_identity[i][0], i)):
        key, s = by_identity[ident]
        final, n = key, 1
        while final in used or (final != key and final in taken):
            final, n = f"{key}{chr(ord('a') + n)}", n + 1
        used.add(final)
        out.append(source_bibtex(s, final))
    return "\n\n".join(out) + "\n"
