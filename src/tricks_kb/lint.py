"""Cross-field and cross-entry rules, each small and named, plus the ``validate`` entry point."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from .catalog import SCHEMA_COMMENT, Catalog, Entry, default_catalog_dir, discover, load_entry, norm_label
from .diagnostics import Problem
from .evidence import CONTRARY, CONTROLLED_KINDS, PROPOSER_RUN, is_proposer_source, verdict_problems
from .schema import Effect, EvidenceKind, RateDown, Trick
from .urls import unstable_url

STALE_AFTER_DAYS = 730


@dataclass(frozen=True)
class Rule:
    """A named check with its code, scope ('entry' or 'catalog') and description."""

    name: str
    code: str
    scope: str
    description: str
    check: Callable[..., Iterable[Problem]]


ENTRY_RULES: list[Rule] = []
CATALOG_RULES: list[Rule] = []


def rule(name: str, code: str, scope: str, description: str) -> Callable:
    def wrap(fn: Callable[..., Iterable[Problem]]) -> Callable[..., Iterable[Problem]]:
        target = ENTRY_RULES if scope == "entry" else CATALOG_RULES
        target.append(Rule(name, code, scope, description, fn))
        return fn

    return wrap


# --- entry rules: (entry, trick, today) -> problems ------------------------------------


@rule("id-matches-filename", "TK020", "entry", "The id field equals the file name without .yaml.")
def _id_matches_filename(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    if t.id != e.file_id:
        yield e.loaded.problem(("id",), "TK020", f"id '{t.id}' differs from the file name '{e.file_id}.yaml'",
                               f"rename the file to '{t.id}.yaml' or set `id: {e.file_id}`", key=False)


@rule("claim-sources-exist", "TK024", "entry", "Every claim cites source keys defined in the entry.")
def _claim_sources_exist(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    for i, c in enumerate(t.claims):
        for j, key in enumerate(c.sources):
            if key not in t.sources:
                yield e.loaded.problem(("claims", i, "sources", j), "TK024",
                                       f"claims[{i}] cites unknown source '{key}'",
                                       f"define it under `sources:` or use one of: {', '.join(t.sources)}",
                                       key=False)


@rule("sources-used", "TK025", "entry", "Every source is cited by at least one claim.")
def _sources_used(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    cited = {k for c in t.claims for k in c.sources} | ({t.introduced_by} if t.introduced_by else set())
    for key in t.sources:
        if key not in cited:
            yield e.loaded.problem(("sources", key), "TK025", f"source '{key}' is not cited by any claim",
                                   "cite it from a claim's `sources:` or remove it")


@rule("urls-http", "TK026", "entry", "Source URLs use http or https and have a host.")
def _urls_http(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    for key, s in t.sources.items():
        if s.url is None:
            continue
        parsed = urlparse(s.url.strip())
        if parsed.scheme not in ("http", "https") or not parsed.netloc or any(ch.isspace() for ch in s.url):
            yield e.loaded.problem(("sources", key, "url"), "TK026",
                                   f"URL '{s.url[:80]}' of source '{key}' is not an http(s) link",
                                   "use a https:// address; javascript:, data: and file: links are refused",
                                   key=False)


@rule("source-has-identifier", "TK027", "entry", "Every source has an arxiv id, a DOI or a URL.")
def _source_has_identifier(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    for key, s in t.sources.items():
        if not (s.arxiv or s.doi or s.url):
            yield e.loaded.problem(("sources", key), "TK027", f"source '{key}' has no arxiv, doi or url",
                                   "add a stable identifier, e.g. arxiv: \"1711.05101\"")


@rule("dates-real", "TK028", "entry", "last_reviewed and source years are not in the future.")
def _dates_real(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    if t.last_reviewed > today:
        yield e.loaded.problem(("last_reviewed",), "TK028", f"last_reviewed {t.last_reviewed} is in the future",
                               f"use today's date ({today.isoformat()}) or earlier", key=False)
    for key, s in t.sources.items():
        if s.year > today.year:
            yield e.loaded.problem(("sources", key, "year"), "TK028",
                                   f"source '{key}' year {s.year} is in the future", None, key=False)


@rule("verdict-supported", "TK029", "entry", "The verdict is supported by the graded claims (docs/evidence.md).")
def _verdict_supported(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    missing = verdict_problems(t)
    if missing:
        yield e.loaded.problem(("verdict",), "TK029",
                               f"verdict '{t.verdict.value}' is not supported: {'; '.join(missing)}",
                               "run `tricks-kb show " + t.id + "` to see each claim's grade", key=False)


@rule("related-unique", "TK030", "entry", "A related id is listed once and is not the entry itself.")
def _related_unique(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    seen: set[str] = set()
    for i, r in enumerate(t.related):
        if r.id == t.id:
            yield e.loaded.problem(("related", i, "id"), "TK023", "an entry cannot be related to itself", None,
                                   key=False)
        elif r.id in seen:
            yield e.loaded.problem(("related", i, "id"), "TK030", f"related id '{r.id}' is listed twice",
                                   "keep one link with the most specific type", key=False)
        seen.add(r.id)


@rule("origin-declared", "TK032", "entry",
      "Exactly one of introduced_by (a key of the entry's sources) and origin (why there is no single origin).")
def _origin_declared(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    if t.introduced_by and t.origin:
        yield e.loaded.problem(("origin",), "TK032", "both introduced_by and origin are set",
                               "keep introduced_by when one source introduced the trick, else keep origin")
    elif not t.introduced_by and not t.origin:
        yield Problem(e.path, 1, 1, "TK032", "neither introduced_by nor origin is set",
                      "add `introduced_by: <source key>` (the paper that introduced the trick) or "
                      "`origin: folklore practice, no single origin`")
    elif t.introduced_by and t.introduced_by not in t.sources:
        yield e.loaded.problem(("introduced_by",), "TK032",
                               f"introduced_by '{t.introduced_by}' is not a key of this entry's sources",
                               f"add that source under `sources:` or use one of: {', '.join(t.sources)}",
                               key=False)


@rule("contested-both-sides", "TK033", "entry",
      "A contested entry has a 'helps' claim and a 'hurts' or 'no-effect' claim, each with its source.")
def _contested_both_sides(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    if t.verdict.value != "contested":
        return
    helps = any(c.effect is Effect.helps and c.sources for c in t.claims)
    contra = any(c.effect in CONTRARY and c.sources for c in t.claims)
    missing = [side for side, ok in (("'helps'", helps), ("'hurts' or 'no-effect'", contra)) if not ok]
    if missing:
        yield e.loaded.problem(("verdict",), "TK033",
                               f"verdict 'contested' needs a claim on each side; no {' and no '.join(missing)} claim",
                               "add the missing side with its source, or choose another verdict "
                               "('mixed' results qualify a claim, they do not contradict it)", key=False)


@rule("debunked-controlled", "TK034", "entry",
      "A debunked entry cites controlled evidence (benchmark, controlled study or ablation) of no effect.")
def _debunked_controlled(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    if t.verdict.value != "debunked":
        return
    if not any(c.effect in CONTRARY and c.evidence in CONTROLLED_KINDS for c in t.claims):
        kinds = ", ".join(k.value for k in CONTROLLED_KINDS)
        yield e.loaded.problem(("verdict",), "TK034",
                               "verdict 'debunked' needs a 'no-effect' or 'hurts' claim from controlled evidence",
                               f"cite the controlled study of no effect (evidence: {kinds}) or choose another verdict",
                               key=False)


_COMPARISONS = (EvidenceKind.multi_workload_benchmark, EvidenceKind.controlled_study, EvidenceKind.ablation,
                EvidenceKind.single_comparison)


@rule("proposer-run-marked", "TK036", "entry",
      "A comparison whose every source is the introducing paper or shares an author with it is rated down "
      "'proposer-run', unless it carries equal_tuning: true.")
def _proposer_run_marked(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    for i, c in enumerate(t.claims):
        downs = set(c.rate_down)
        if c.equal_tuning and RateDown.unequal_tuning in downs:
            yield e.loaded.problem(("claims", i, "equal_tuning"), "TK036",
                                   f"claims[{i}] says both equal_tuning: true and unequal-tuning",
                                   "keep the one the study supports", key=False)
        if c.evidence not in _COMPARISONS or c.equal_tuning or RateDown(PROPOSER_RUN) in downs:
            continue
        if t.introduced_by and all(is_proposer_source(k, t.sources, t.introduced_by) for k in c.sources):
            yield e.loaded.problem(("claims", i, "sources"), "TK036",
                                   f"claims[{i}] rests only on the proposers' own study "
                                   f"({', '.join(c.sources)}, introduced_by '{t.introduced_by}') "
                                   "but is not rated down 'proposer-run'",
                                   "add `proposer-run` to its rate_down, or `equal_tuning: true` when the paper "
                                   "shows its baselines were tuned with equal effort (and say so in the statement)",
                                   key=False)


@rule("stable-urls", "TK104", "entry",
      "Source URLs are stable identifiers: no branch names in code-host links, no 'stable'/'latest' docs paths.")
def _stable_urls(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    for key, s in t.sources.items():
        found = unstable_url(s.url) if s.url else None
        if found:
            what, fix = found
            yield e.loaded.problem(("sources", key, "url"), "TK104",
                                   f"URL of source '{key}' is not a stable identifier: {what}", fix, key=False)


@rule("schema-comment", "TK102", "entry", "The first line points editors at the JSON Schema.")
def _schema_comment(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    first = e.loaded.text.splitlines()[0] if e.loaded.text else ""
    if first.strip() != SCHEMA_COMMENT:
        yield Problem(e.path, 1, 1, "TK102", "first line is not the schema comment",
                      f"add `{SCHEMA_COMMENT}` as line 1 for editor completion")


@rule("review-fresh", "TK103", "entry", "last_reviewed is at most two years old (advisory).")
def _review_fresh(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    if (today - t.last_reviewed).days > STALE_AFTER_DAYS:
        yield e.loaded.problem(("last_reviewed",), "TK103", f"last reviewed on {t.last_reviewed}, over two years ago",
                               "re-check the evidence and update the date", key=False)


# --- catalog rules: (entries, valid, today) -> problems --------------------------------


@rule("ids-unique", "TK021", "catalog", "No two files declare the same id.")
def _ids_unique(entries: list[Entry], valid: list[Entry], today: dt.date) -> Iterable[Problem]:
    first: dict[str, Entry] = {}
    for e in valid:
        assert e.trick is not None  # nosec B101 # type narrowing only: `valid` holds entries whose trick is set
        if e.trick.id in first:
            yield e.loaded.problem(("id",), "TK021",
                                   f"id '{e.trick.id}' is already used by {first[e.trick.id].path}",
                                   "choose a different id, or merge the two entries", key=False)
        else:
            first[e.trick.id] = e


@rule("names-unique", "TK022", "catalog", "Names and aliases are unique across the catalog, ignoring case and punctuation.")
def _names_unique(entries: list[Entry], valid: list[Entry], today: dt.date) -> Iterable[Problem]:
    owner: dict[str, tuple[str, str]] = {}
    for e in valid:
        t = e.trick
        assert t is not None  # nosec B101 # type narrowing only: `valid` holds entries whose trick is set
        labels: list[tuple[tuple, str]] = [(("name",), t.name)] + [(("aliases", i), a) for i, a in enumerate(t.aliases)]
        for path, label in labels:
            key = norm_label(label)
            if not key:
                continue
            if key in owner and owner[key][0] != t.id:
                yield e.loaded.problem(path, "TK022", f"'{label}' is already a name or alias of '{owner[key][0]}'",
                                       "remove it here, or merge the entries", key=False)
            elif key in owner and owner[key][1] != str(path):
                yield e.loaded.problem(path, "TK022", f"'{label}' is listed twice in this entry",
                                       "remove the repeat", key=False)
            else:
                owner.setdefault(key, (t.id, str(path)))


@rule("related-exist", "TK023", "catalog", "Every related id names an existing entry.")
def _related_exist(entries: list[Entry], valid: list[Entry], today: dt.date) -> Iterable[Problem]:
    known = {e.file_id for e in entries} | {e.trick.id for e in valid if e.trick}
    import difflib

    for e in valid:
        assert e.trick is not None  # nosec B101 # type narrowing only: `valid` holds entries whose trick is set
        for i, r in enumerate(e.trick.related):
            if r.id not in known and r.id != e.trick.id:
                close = difflib.get_close_matches(r.id, sorted(known), n=1)
                yield e.loaded.problem(("related", i, "id"), "TK023", f"related id '{r.id}' does not exist",
                                       f"did you mean '{close[0]}'?" if close else "add that entry first or drop the link",
                                       key=False)


@rule("sources-consistent", "TK031", "catalog",
      "A paper cited by several entries has the same title, year and first author everywhere.")
def _sources_consistent(entries: list[Entry], valid: list[Entry], today: dt.date) -> Iterable[Problem]:
    first: dict[str, tuple[Entry, str, tuple[str, int, str]]] = {}
    for e in valid:
        assert e.trick is not None  # nosec B101 # type narrowing only: `valid` holds entries whose trick is set
        for key, s in e.trick.sources.items():
            facts = (norm_label(s.title), s.year, norm_label(s.authors[0]))
            for ident in (f"arXiv:{s.arxiv}" if s.arxiv else None, f"doi:{s.doi.lower()}" if s.doi else None):
                if ident is None:
                    continue
                if ident not in first:
                    first[ident] = (e, key, facts)
                    continue
                other, okey, ofacts = first[ident]
                if ofacts != facts:
                    what = [n for n, a, b in zip(("title", "year", "first author"), facts, ofacts, strict=True) if a != b]
                    yield e.loaded.problem(("sources", key), "TK031",
                                           f"{ident} ('{key}') differs in {', '.join(what)} from "
                                           f"'{okey}' in {other.path}",
                                           "check the paper and make both entries cite it the same way")


def _same_paper(a, b) -> bool:
    if a.arxiv and b.arxiv:
        return a.arxiv.split("v")[0] == b.arxiv.split("v")[0]
    if a.doi and b.doi:
        return a.doi.lower() == b.doi.lower()
    if a.url and b.url and a.url.rstrip("/") == b.url.rstrip("/"):
        return True
    return norm_label(a.title) == norm_label(b.title)


def _strong_ids(s) -> list[str]:
    return [x for x in (f"arXiv:{s.arxiv.split('v')[0]}" if s.arxiv else None,
                        f"doi:{s.doi.lower()}" if s.doi else None) if x]


@rule("source-keys-unique", "TK035", "catalog",
      "A source key names the same paper in every entry, and one paper has one key across the catalog.")
def _source_keys_unique(entries: list[Entry], valid: list[Entry], today: dt.date) -> Iterable[Problem]:
    by_key: dict[str, tuple[Entry, object]] = {}
    by_id: dict[str, tuple[Entry, str]] = {}
    for e in valid:
        assert e.trick is not None  # nosec B101 # type narrowing only: `valid` holds entries whose trick is set
        for key, s in e.trick.sources.items():
            if key in by_key and not _same_paper(by_key[key][1], s):
                other = by_key[key][0]
                yield e.loaded.problem(("sources", key), "TK035",
                                       f"source key '{key}' names a different paper in {other.path} "
                                       f"('{by_key[key][1].title}')",
                                       "give this paper its own key, e.g. surname + year + a title word")
            by_key.setdefault(key, (e, s))
            for ident in _strong_ids(s):
                if ident in by_id and by_id[ident][1] != key:
                    other, okey = by_id[ident]
                    yield e.loaded.problem(("sources", key), "TK035",
                                           f"{ident} is cited as '{key}' here but as '{okey}' in {other.path}",
                                           f"use one key for one paper everywhere: rename '{key}' to '{okey}'"
                                           " (or the other way round)")
                by_id.setdefault(ident, (e, key))


def lint_catalog(catalog: Catalog, today: dt.date | None = None) -> list[Problem]:
    """Run every rule over a loaded catalog; return all problems (loader, model and rules)."""
    today = today or dt.date.today()
    problems = list(catalog.problems)
    valid = [e for e in catalog.entries if e.trick is not None]
    for e in valid:
        for r in ENTRY_RULES:
            problems.extend(r.check(e, e.trick, today))
    for r in CATALOG_RULES:
        problems.extend(r.check(catalog.entries, valid, today))
    return problems


def validate(paths: list[Path] | None = None, catalog_dir: Path | None = None,
             today: dt.date | None = None) -> tuple[list[Problem], int]:
    """Check ``paths`` (default: the whole catalog) in the context of the catalog folder.

    Cross-entry rules see every catalog file, but only problems in the named files are returned.
    Returns (problems, number of files checked).
    """
    folder = catalog_dir or default_catalog_dir()
    targets = discover(paths or [folder])
    context = discover([folder]) if folder.is_dir() else []
    target_keys = {p.resolve() for p in targets}
    target_names = {p.name for p in targets}
    # A named file stands in for the catalog file of the same name (an edited copy elsewhere).
    # Context comes first, so a clash between a named file and the catalog is reported on the named file.
    ordered = [p for p in context if p.resolve() not in target_keys and p.name not in target_names] + targets
    catalog = Catalog([load_entry(p) for p in ordered])
    shown = {e.path for e, p in zip(catalog.entries, ordered, strict=True) if p.resolve() in target_keys}
    problems = [p for p in lint_catalog(catalog, today) if p.path in shown]
    return problems, len(targets)
