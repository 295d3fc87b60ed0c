"""Cross-field and cross-entry rules, each small and named, plus the ``validate`` entry point."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from . import settings
from .catalog import SCHEMA_COMMENT, Catalog, Entry, discover, load_entry, norm_label
from .diagnostics import Problem, clip
from .evidence import verdict_problems
from .hygiene import char_name
from .schema import RelationType, Trick

# Relations that order tricks: following them must never lead back to the start.
ORDERING_RELATIONS = (RelationType.part_of, RelationType.generalizes)

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


@rule("citation-once", "TK044", "entry", "A claim cites each source key at most once.")
def _citation_once(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    for i, c in enumerate(t.claims):
        first: dict[str, int] = {}
        for j, key in enumerate(c.sources):
            first.setdefault(key, j)
        counts = {k: c.sources.count(k) for k in first}
        for key, n in counts.items():
            if n > 1:
                again = c.sources.index(key, first[key] + 1)
                yield e.loaded.problem(("claims", i, "sources", again), "TK044",
                                       f"claims[{i}] cites '{clip(key)}' {n} times", "cite each source once",
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


@rule("related-not-self", "TK023", "entry", "A related link does not name the entry itself.")
def _related_not_self(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    for i, r in enumerate(t.related):
        if r.id == t.id:
            yield e.loaded.problem(("related", i, "id"), "TK023", "an entry cannot be related to itself", None,
                                   key=False)


@rule("related-unique", "TK030", "entry", "A related id is listed once.")
def _related_unique(e: Entry, t: Trick, today: dt.date) -> Iterable[Problem]:
    seen: set[str] = set()
    for i, r in enumerate(t.related):
        if r.id == t.id:
            continue  # related-not-self reports it
        if r.id in seen:
            yield e.loaded.problem(("related", i, "id"), "TK030", f"related id '{r.id}' is listed twice",
                                   "keep one link with the most specific type", key=False)
        seen.add(r.id)


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
    owner: dict[str, tuple[str, str, str]] = {}
    for e in valid:
        t = e.trick
        assert t is not None  # nosec B101 # type narrowing only: `valid` holds entries whose trick is set
        labels: list[tuple[tuple, str]] = [(("name",), t.name)] + [(("aliases", i), a) for i, a in enumerate(t.aliases)]
        for path, label in labels:
            key = norm_label(label)
            if not key:
                continue
            if key in owner and owner[key][0] != t.id:
                yield e.loaded.problem(path, "TK022", f"'{clip(label)}' is already a name or alias of '{owner[key][0]}'"
                                       + _looks_like(label, owner[key][2]),
                                       "remove it here, or merge the entries", key=False)
            elif key in owner and owner[key][1] != str(path):
                yield e.loaded.problem(path, "TK022", f"'{clip(label)}' is listed twice in this entry"
                                       + _looks_like(label, owner[key][2]),
                                       "remove the repeat", key=False)
            else:
                owner.setdefault(key, (t.id, str(path), label))


def _looks_like(label: str, other: str) -> str:
    """' (it looks the same as 'Adam': U+0430 CYRILLIC SMALL LETTER A)' when only look-alikes differ."""
    if label.casefold() == other.casefold():
        return ""
    odd = [ch for ch in label if ch not in other and not ch.isascii()]
    names = ", ".join(dict.fromkeys(char_name(ch) for ch in odd[:3]))
    return f" (it looks the same as '{clip(other)}'" + (f": {names})" if names else ")")


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


@rule("no-relation-cycles", "TK045", "catalog",
      "part-of and generalizes links never lead back to where they started (A part of B, B part of A).")
def _no_relation_cycles(entries: list[Entry], valid: list[Entry], today: dt.date) -> Iterable[Problem]:
    by_id: dict[str, Entry] = {}
    for e in valid:
        assert e.trick is not None  # nosec B101 # type narrowing only
        by_id.setdefault(e.trick.id, e)
    for rel in ORDERING_RELATIONS:
        edges = {i: [r.id for r in e.trick.related if r.type == rel and r.id in by_id and r.id != i]
                 for i, e in by_id.items() if e.trick is not None}
        for cycle in _cycles(edges):
            shown = " -> ".join([*cycle, cycle[0]])
            for a, b in zip(cycle, [*cycle[1:], cycle[0]], strict=True):
                e = by_id[a]
                assert e.trick is not None  # nosec B101 # type narrowing only
                i = next(k for k, r in enumerate(e.trick.related) if r.type == rel and r.id == b)
                yield e.loaded.problem(("related", i, "id"), "TK045",
                                       f"{rel.value} links go round in a circle: {clip(shown, 200)}",
                                       f"keep the {rel.value} link in one direction only", key=False)


def _cycles(edges: dict[str, list[str]]) -> list[list[str]]:
    """Each elementary cycle found by a depth-first search, once, starting at its smallest id."""
    found: dict[tuple[str, ...], list[str]] = {}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in sorted(edges):
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = [start]
        state[start] = 1
        while stack:
            node, k = stack[-1]
            nxt = edges.get(node, [])
            if k >= len(nxt):
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            stack[-1] = (node, k + 1)
            child = nxt[k]
            if state.get(child) == 1:
                cyc = path[path.index(child):]
                m = cyc.index(min(cyc))
                cyc = cyc[m:] + cyc[:m]
                found.setdefault(tuple(cyc), cyc)
            elif not state.get(child):
                state[child] = 1
                stack.append((child, 0))
                path.append(child)
    return list(found.values())


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


from . import lint_detect  # noqa: E402,F401  # registers the detect-block rules (TK050-TK053)


class RuleError(AssertionError):
    """A rule emitted a code other than the one it declares (a bug in the rule, not in the catalog)."""


def run_rule(r: Rule, *args: object) -> list[Problem]:
    """The problems of one rule; each must carry the rule's declared code."""
    out = list(r.check(*args))
    for p in out:
        if p.code != r.code:
            raise RuleError(f"rule '{r.name}' declares {r.code} but emitted {p.code}: {p.message}")
    return out


def lint_catalog(catalog: Catalog, today: dt.date | None = None) -> list[Problem]:
    """Run every rule over a loaded catalog; return all problems (loader, model and rules)."""
    today = today or dt.date.today()
    problems = list(catalog.problems)
    valid = [e for e in catalog.entries if e.trick is not None]
    for e in valid:
        for r in ENTRY_RULES:
            problems.extend(run_rule(r, e, e.trick, today))
    for r in CATALOG_RULES:
        problems.extend(run_rule(r, catalog.entries, valid, today))
    return problems


@dataclass
class Checked:
    """A validation run: problems in the named files, how many files, and the catalog it loaded (once)."""

    problems: list[Problem]
    files: int
    catalog: Catalog
    shown: set[str]  # display paths of the named files


def validate(paths: list[Path] | None = None, catalog_dir: Path | None = None,
             today: dt.date | None = None) -> tuple[list[Problem], int]:
    """Check ``paths`` (default: the whole catalog) in the context of the catalog folder.

    Cross-entry rules see every catalog file, but only problems in the named files are returned.
    Returns (problems, number of files checked).
    """
    res = check_files(paths, catalog_dir, today)
    return res.problems, res.files


def check_files(paths: list[Path] | None = None, catalog_dir: Path | None = None,
                today: dt.date | None = None) -> Checked:
    """``validate``, keeping the loaded catalog for further checks (the near-duplicate guard)."""
    folder = catalog_dir or settings.catalog_dir()
    targets = discover(paths or [folder], folder)
    context = discover([folder], folder) if folder.is_dir() else []
    target_keys = {p.resolve() for p in targets}
    target_names = {p.name for p in targets}
    # A named file stands in for the catalog file of the same name (an edited copy elsewhere).
    # Context comes first, so a clash between a named file and the catalog is reported on the named file.
    ordered = [p for p in context if p.resolve() not in target_keys and p.name not in target_names] + targets
    catalog = Catalog([load_entry(p) for p in ordered])
    shown = {e.path for e, p in zip(catalog.entries, ordered, strict=True) if p.resolve() in target_keys}
    problems = [p for p in lint_catalog(catalog, today) if p.path in shown]
    return Checked(problems, len(targets), catalog, shown)


from . import lint_rubric  # noqa: E402, F401  # registers the rubric v2 rules (TK032-TK036, TK104)
