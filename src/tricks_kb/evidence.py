"""Evidence grading: a grade per claim and the verdicts a trick's claims can support.

The rubric is documented in docs/evidence.md; this module is its only implementation.
A claim starts from the strength of its study design, is rated up for independent
replication and breadth, rated down for known weaknesses, and capped for designs that
cannot be controlled evidence. A verdict is accepted only when its requirements hold.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from .schema import Claim, Effect, EvidenceKind, Source, Trick, Verdict

# Points on the design ladder (docs/evidence.md, "Starting points").
BASE_POINTS: dict[EvidenceKind, int] = {
    EvidenceKind.multi_workload_benchmark: 8,
    EvidenceKind.controlled_study: 6,
    EvidenceKind.ablation: 4,
    EvidenceKind.single_comparison: 3,
    EvidenceKind.theory: 2,
    EvidenceKind.practitioner_report: 2,
    EvidenceKind.anecdote: 0,
}
# Designs that are not controlled experiments can never reach B.
CAPS: dict[EvidenceKind, int] = {
    EvidenceKind.theory: 4,
    EvidenceKind.practitioner_report: 4,
    EvidenceKind.anecdote: 2,
}
REPLICATION_BONUS = 2
BREADTH_BONUS = 2
BREADTH_MIN_WORKLOADS = 3
RATE_DOWN_STEP = 2
RATE_DOWN_MAX_REASONS = 2

GRADES = ("A", "B", "C", "D")
GRADE_LABELS = {"A": "high", "B": "moderate", "C": "low", "D": "very low"}
GRADE_THRESHOLDS = (("A", 8), ("B", 6), ("C", 4))
CONTRARY = (Effect.hurts, Effect.no_effect)
PROPOSER_RUN = "proposer-run"
# What each rate-down reason means, shown by `show` next to the reason (docs/evidence.md, section 2).
RATE_DOWN_MEANING = {
    "single-seed": "one seed",
    "weak-baseline": "untuned or weak baseline",
    "single-scale": "one model scale",
    "single-task": "one task",
    "bundled-changes": "several changes at once",
    "unequal-tuning": "baselines tuned with less effort",
    "indirect": "evidence about a neighbouring question",
    "inconsistent": "results disagree across settings",
    "proposer-run": "run by the method's own proposers",
}
# Designs that are experiments: only these can show "controlled evidence of no effect" (debunked).
CONTROLLED_KINDS = (EvidenceKind.multi_workload_benchmark, EvidenceKind.controlled_study, EvidenceKind.ablation)


@dataclass(frozen=True)
class ClaimGrade:
    """A claim's grade with the steps that produced it."""

    grade: str
    points: int
    reasons: tuple[str, ...] = field(default_factory=tuple)
    independent: bool = False  # earned the replication bonus (2+ groups with no shared author)

    @property
    def label(self) -> str:
        return GRADE_LABELS[self.grade]


def at_least(grade: str, floor: str) -> bool:
    """True when ``grade`` is as strong as ``floor`` or stronger (A > B > C > D)."""
    return GRADES.index(grade) <= GRADES.index(floor)


# Letters NFKD does not split into a base letter and an accent.
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae", "Æ": "AE",
                       "ı": "i"})


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_FOLD)).encode("ascii", "ignore").decode().casefold()
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", text.replace("-", " ")).split())


def first_author_surname(source: Source) -> str:
    """Lower-cased surname of the first author ('' if blank): the fallback proxy for a group."""
    first = _plain(source.authors[0])
    return first.split()[-1] if first else ""


def author_key(name: str) -> str:
    """A name normalised for comparison: 'given-initial surname' ('Ilya Loshchilov' -> 'i loshchilov').

    Accents, case and punctuation are ignored; a bare surname stays a bare surname (the fallback)."""
    words = _plain(name).split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return f"{words[0][0]} {words[-1]}"


# Placeholders in truncated author lists ("et al."): they name nobody.
_NOT_NAMES = {"et al", "al", "others", "and others"}


@lru_cache(maxsize=4096)
def _keys_of(authors: tuple[str, ...]) -> frozenset[str]:
    return frozenset(author_key(a) for a in authors if _plain(a) and _plain(a) not in _NOT_NAMES)


def _author_keys(source: Source) -> frozenset[str]:
    return _keys_of(tuple(source.authors))


def shared_authors(a: Source, b: Source) -> set[str]:
    """Authors two sources have in common (normalised); a bare surname matches any given name."""
    ka, kb = _author_keys(a), _author_keys(b)
    common = ka & kb
    bare_a = {k for k in ka if " " not in k}
    bare_b = {k for k in kb if " " not in k}
    common |= {k for k in kb if k.split()[-1] in bare_a} | {k for k in ka if k.split()[-1] in bare_b}
    return common


def is_proposer_source(key: str, sources: dict[str, Source], introduced_by: str | None) -> bool:
    """True when ``key`` is the introducing source or shares an author with it."""
    if introduced_by is None or introduced_by not in sources or key not in sources:
        return False
    return key == introduced_by or bool(shared_authors(sources[key], sources[introduced_by]))


def author_groups(keys: list[str], sources: dict[str, Source], introduced_by: str | None = None) -> list[list[str]]:
    """``keys`` grouped so that no two groups share an author (the introducing source joins the grouping)."""
    keys = [k for k in dict.fromkeys(keys) if k in sources]
    nodes = keys + ([introduced_by] if introduced_by in sources and introduced_by not in keys else [])
    parent = {k: k for k in nodes}

    def find(k: str) -> str:
        while parent[k] != k:
            k = parent[k]
        return k

    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            if shared_authors(sources[a], sources[b]):
                parent[find(b)] = find(a)
    groups: dict[str, list[str]] = {}
    for k in keys:
        groups.setdefault(find(k), []).append(k)
    return list(groups.values())


def independent_groups(claim: Claim, sources: dict[str, Source],
                       introduced_by: str | None = None) -> list[list[str]]:
    """The claim's sources grouped so that no two groups share an author.

    The introducing source joins the grouping even when the claim does not cite it, so two papers
    each sharing an author with the proposers count as one group, not as independent replications."""
    return author_groups(list(claim.sources), sources, introduced_by)


def independent_sources(claim: Claim, sources: dict[str, Source], introduced_by: str | None = None) -> int:
    """Number of independent groups (no shared author, none shared with the proposers) behind a claim."""
    return len(independent_groups(claim, sources, introduced_by))


def _independence_note(claim: Claim, sources: dict[str, Source], introduced_by: str | None) -> str | None:
    if introduced_by is None or introduced_by not in sources:
        return None
    proposer = [k for k in claim.sources if is_proposer_source(k, sources, introduced_by)]
    others = [k for k in claim.sources if k in sources and k not in proposer]
    if not others:
        how = ", ".join(f"{k} (the introducing source)" if k == introduced_by else f"{k} (shares an author with it)"
                        for k in proposer)
        return f"proposers' own study: {how}"
    authors_note = (f"{', '.join(others)} {'has' if len(others) == 1 else 'have'} no author in common with "
                    f"'{introduced_by}'")
    if any(r.value == PROPOSER_RUN for r in claim.rate_down):
        return (f"{authors_note}, but the study is marked proposer-run (for example a benchmark entry "
                "submitted by the method's own authors)")
    return f"independent of the proposers: {authors_note}"


def grade_claim(claim: Claim, sources: dict[str, Source], introduced_by: str | None = None) -> ClaimGrade:
    """Grade one claim A (high) to D (very low) and explain each step.

    ``introduced_by`` is the key of the entry's introducing source: it decides which sources count as
    independent replications."""
    kind = claim.evidence
    points = BASE_POINTS[kind]
    reasons = [f"starts at {points} for {kind.value}"]
    groups = independent_groups(claim, sources, introduced_by)
    note = _independence_note(claim, sources, introduced_by)
    if len(groups) >= 2:
        points += REPLICATION_BONUS
        shown = " | ".join(", ".join(g) for g in groups)
        reasons.append(f"+{REPLICATION_BONUS}: replicated by {len(groups)} independent sources "
                       f"(groups with no shared author: {shown})")
    elif len(claim.sources) >= 2:
        reasons.append("no replication bonus: its sources share authors (one group: "
                       + ", ".join(claim.sources) + ")")
    if note:
        reasons.append(note)
    if (
        kind is not EvidenceKind.multi_workload_benchmark
        and claim.workloads is not None
        and claim.workloads >= BREADTH_MIN_WORKLOADS
    ):
        points += BREADTH_BONUS
        reasons.append(f"+{BREADTH_BONUS}: {claim.workloads} workloads")
    downs = [r.value for r in claim.rate_down]
    if claim.equal_tuning and PROPOSER_RUN in downs:
        downs.remove(PROPOSER_RUN)
        reasons.append("proposer-run not applied: the study shows equal tuning of its baselines")
    if claim.seeds == 1 and "single-seed" not in downs:
        downs.append("single-seed")
    counted = downs[:RATE_DOWN_MAX_REASONS]
    if counted:
        points -= RATE_DOWN_STEP * len(counted)
        explained = ", ".join(f"{r} ({RATE_DOWN_MEANING[r]})" for r in counted)
        reasons.append(f"-{RATE_DOWN_STEP * len(counted)}: rated down for {explained}")
    if len(downs) > RATE_DOWN_MAX_REASONS:
        reasons.append(f"not counted (at most {RATE_DOWN_MAX_REASONS} reasons): "
                       + ", ".join(downs[RATE_DOWN_MAX_REASONS:]))
    cap = CAPS.get(kind)
    if cap is not None and points > cap:
        points = cap
        reasons.append(f"capped at {cap}: {kind.value} is not a controlled experiment")
    grade = "D"
    for letter, threshold in GRADE_THRESHOLDS:
        if points >= threshold:
            grade = letter
            break
    return ClaimGrade(grade=grade, points=points, reasons=tuple(reasons), independent=len(groups) >= 2)


def grade_claims(trick: Trick) -> list[ClaimGrade]:
    """Grade every claim of a trick, in order."""
    return [grade_claim(c, trick.sources, trick.introduced_by) for c in trick.claims]


def best_grade(trick: Trick) -> str:
    """Strongest grade among the trick's claims ('D' when it has none)."""
    grades = [g.grade for g in grade_claims(trick)]
    return min(grades, key=GRADES.index) if grades else "D"


def _count(pairs: list[tuple[Claim, ClaimGrade]], effects: tuple[Effect, ...], floor: str) -> list[int]:
    return [i for i, (c, g) in enumerate(pairs) if c.effect in effects and at_least(g.grade, floor)]


def verdict_problems(trick: Trick, verdict: Verdict | None = None,
                     grades: list[ClaimGrade] | None = None) -> list[str]:
    """Say what is missing for ``verdict`` (default: the declared one); empty when supported."""
    verdict = verdict or trick.verdict
    pairs = list(zip(trick.claims, grades if grades is not None else grade_claims(trick), strict=True))
    helps_b = _count(pairs, (Effect.helps,), "B")
    helps_a = _count(pairs, (Effect.helps,), "A")
    helps_c = _count(pairs, (Effect.helps,), "C")
    contra_a = _count(pairs, CONTRARY, "A")
    contra_b = _count(pairs, CONTRARY, "B")
    contra_c = _count(pairs, CONTRARY + (Effect.mixed,), "C")
    missing: list[str] = []

    def claims_str(idx: list[int]) -> str:
        return ", ".join(f"claims[{i}]" for i in idx) or "none"

    if verdict is Verdict.established:
        srcs = {s for i in helps_b for s in trick.claims[i].sources}
        if len(helps_b) < 2:
            missing.append(f"needs 2+ 'helps' claims graded B or better (has {claims_str(helps_b)})")
        if len(srcs) < 2:
            missing.append("needs those claims to rest on 2+ distinct sources")
        if not helps_a:
            missing.append("needs 1+ 'helps' claim graded A (a benchmark or a replicated controlled study)")
        if contra_a:
            missing.append(f"has contrary evidence graded A ({claims_str(contra_a)}): consider 'contested'")
    elif verdict is Verdict.promising:
        if not helps_c:
            missing.append("needs 1+ 'helps' claim graded C or better (an ablation or stronger)")
    elif verdict is Verdict.contested:
        if not helps_c:
            missing.append("needs 1+ 'helps' claim graded C or better")
        if not contra_c:
            missing.append("needs 1+ 'hurts', 'no-effect' or 'mixed' claim graded C or better")
    elif verdict is Verdict.folklore:
        strong = [i for i, (_, g) in enumerate(pairs) if at_least(g.grade, "B")]
        if strong:
            missing.append(
                f"folklore means no claim graded B or better, but {claims_str(strong)} "
                "are: consider 'promising', 'contested' or 'debunked'"
            )
    elif verdict is Verdict.debunked:
        if not contra_b:
            missing.append("needs 1+ 'no-effect' or 'hurts' claim graded B or better (controlled evidence)")
        elif len(contra_b) <= len(helps_b):
            missing.append(
                f"contrary claims graded B+ ({claims_str(contra_b)}) must outnumber "
                f"'helps' claims graded B+ ({claims_str(helps_b)})"
            )
    return missing


def supported_verdicts(trick: Trick) -> list[Verdict]:
    """Every verdict the claims support, strongest statement first."""
    grades = grade_claims(trick)
    return [v for v in Verdict if not verdict_problems(trick, v, grades)]
