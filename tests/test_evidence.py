"""The grading rubric (docs/evidence.md) as executable examples."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tricks_kb.evidence import at_least, best_grade, grade_claim, supported_verdicts, verdict_problems
from tricks_kb.schema import Claim, Source, Trick, Verdict

SOURCES = {
    "a2019": Source(title="A", authors=["Ann Alpha"], year=2019, kind="paper", arxiv="1901.00001"),
    "b2020": Source(title="B", authors=["Bob Beta"], year=2020, kind="paper", arxiv="2001.00001"),
    "c2021": Source(title="C", authors=["Cy Alpha"], year=2021, kind="paper", url="https://example.org"),
}


def claim(evidence: str, effect: str = "helps", sources: tuple[str, ...] = ("a2019",), **kw: Any) -> Claim:
    return Claim.model_validate({"statement": "s", "effect": effect, "setting": {"task": "t"},
                                 "evidence": evidence, "sources": list(sources), **kw})


def trick(claims: list[Claim], verdict: str) -> Trick:
    return Trick.model_validate({
        "id": "tt", "name": "T", "category": "optimizer", "summary": "s", "how_to": "h",
        "applies_to": {"domains": ["general"]}, "claims": [c.model_dump() for c in claims],
        "sources": {k: v.model_dump() for k, v in SOURCES.items() if any(k in c.sources for c in claims)},
        "verdict": verdict, "verdict_reason": "r", "last_reviewed": dt.date(2026, 1, 1),
    })


@pytest.mark.parametrize(("kw", "grade"), [
    ({"evidence": "multi-workload-benchmark"}, "A"),
    ({"evidence": "controlled-study"}, "B"),
    ({"evidence": "controlled-study", "sources": ("a2019", "b2020")}, "A"),
    ({"evidence": "controlled-study", "sources": ("a2019", "c2021")}, "B"),  # same first-author surname
    ({"evidence": "ablation"}, "C"),
    ({"evidence": "ablation", "workloads": 4}, "B"),
    ({"evidence": "ablation", "seeds": 1}, "D"),
    ({"evidence": "ablation", "rate_down": ["single-seed", "weak-baseline", "single-task"]}, "D"),
    ({"evidence": "controlled-study", "rate_down": ["single-scale"]}, "C"),
    ({"evidence": "single-comparison"}, "D"),
    ({"evidence": "single-comparison", "sources": ("a2019", "b2020")}, "C"),
    ({"evidence": "practitioner-report", "sources": ("a2019", "b2020"), "workloads": 5}, "C"),
    ({"evidence": "theory", "sources": ("a2019", "b2020")}, "C"),
    ({"evidence": "anecdote", "sources": ("a2019", "b2020")}, "D"),
])
def test_grades(kw: dict[str, Any], grade: str) -> None:
    g = grade_claim(claim(**kw), SOURCES)
    assert g.grade == grade, g.reasons


def test_reasons_explain_each_step() -> None:
    g = grade_claim(claim("ablation", workloads=3, seeds=1, sources=("a2019", "b2020")), SOURCES)
    text = " ".join(g.reasons)
    assert "ablation" in text and "independent" in text and "workloads" in text and "single-seed" in text
    assert g.points == 4 + 2 + 2 - 2


def test_established_needs_an_a_and_two_sources() -> None:
    weak = trick([claim("controlled-study"), claim("controlled-study")], "established")
    missing = verdict_problems(weak)
    assert any("2+ distinct sources" in m for m in missing) and any("graded A" in m for m in missing)
    strong = trick([claim("multi-workload-benchmark"), claim("controlled-study", sources=("b2020",))], "established")
    assert verdict_problems(strong) == []


def test_established_refused_only_anecdotes() -> None:
    t = trick([claim("anecdote"), claim("anecdote", sources=("b2020",))], "established")
    assert verdict_problems(t)
    assert supported_verdicts(t) == [Verdict.folklore]


def test_debunked_needs_controlled_contrary_evidence() -> None:
    assert verdict_problems(trick([claim("anecdote", "no-effect")], "debunked"))
    ok = trick([claim("multi-workload-benchmark", "no-effect"), claim("ablation")], "debunked")
    assert verdict_problems(ok) == []
    tie = trick([claim("controlled-study", "no-effect"), claim("controlled-study", sources=("b2020",))], "debunked")
    assert any("outnumber" in m for m in verdict_problems(tie))


def test_contested_needs_both_sides() -> None:
    assert verdict_problems(trick([claim("ablation"), claim("ablation")], "contested"))
    t = trick([claim("ablation"), claim("ablation", "mixed", sources=("b2020",))], "contested")
    assert verdict_problems(t) == []


def test_folklore_refused_with_strong_evidence() -> None:
    assert verdict_problems(trick([claim("controlled-study")], "folklore"))
    assert verdict_problems(trick([claim("single-comparison")], "folklore")) == []


def test_best_grade_and_order() -> None:
    t = trick([claim("anecdote"), claim("controlled-study")], "promising")
    assert best_grade(t) == "B"
    assert at_least("A", "B") and not at_least("C", "B")


def test_catalog_shows_every_verdict_and_verdicts_are_supported(catalog_dir) -> None:
    from tricks_kb.catalog import load_catalog

    tricks = load_catalog([catalog_dir]).tricks.values()
    for t in tricks:
        assert verdict_problems(t) == [], t.id
    assert {t.verdict for t in tricks} == set(Verdict)
