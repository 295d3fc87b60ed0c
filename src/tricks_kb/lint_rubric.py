"""Lint rules of evidence rubric v2: origin, both sides of contested, controlled no-effect for debunked,
proposer-run marking, one key per paper, stable URLs (TK032-TK036, TK104; docs/lint.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from .catalog import Entry, norm_label
from .diagnostics import Problem
from .evidence import CONTRARY, CONTROLLED_KINDS, PROPOSER_RUN, is_proposer_source
from .lint import rule
from .schema import Effect, EvidenceKind, RateDown, Source, Trick
from .urls import unstable_url


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


def _same_paper(a: Source, b: Source) -> bool:
    if a.arxiv and b.arxiv:
        return a.arxiv.split("v")[0] == b.arxiv.split("v")[0]
    if a.doi and b.doi:
        return a.doi.lower() == b.doi.lower()
    if a.url and b.url and a.url.rstrip("/") == b.url.rstrip("/"):
        return True
    return norm_label(a.title) == norm_label(b.title)


def _strong_ids(s: Source) -> list[str]:
    return [x for x in (f"arXiv:{s.arxiv.split('v')[0]}" if s.arxiv else None,
                        f"doi:{s.doi.lower()}" if s.doi else None) if x]


@rule("source-keys-unique", "TK035", "catalog",
      "A source key names the same paper in every entry, and one paper has one key across the catalog.")
def _source_keys_unique(entries: list[Entry], valid: list[Entry], today: dt.date) -> Iterable[Problem]:
    by_key: dict[str, tuple[Entry, Source]] = {}
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
