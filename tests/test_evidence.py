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
    "c2021": Source(title="C", authors=["Cy Gamma", "A. Alpha"], year=2021, kind="paper", url="https://example.org"),
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
    ({"evidence": "controlled-study", "sources": ("a2019", "c2021")}, "B"),  # shares an author (Ann Alpha)
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


# --- rubric v2: proposers, independence, equal tuning; docs/evidence.md worked examples -------------------

DOC_SOURCES = {
    "p": Source(title="P", authors=["Ilya Loshchilov", "Frank Hutter"], year=2017, kind="paper", arxiv="1608.03983"),
    "p2": Source(title="P2", authors=["I. Loshchilov", "Ann Other"], year=2019, kind="paper", arxiv="1711.05101"),
    "x": Source(title="X", authors=["Xavier Ex", "Xena Ex"], year=2020, kind="paper", arxiv="2001.00002"),
    "y": Source(title="Y", authors=["Yan Why"], year=2021, kind="paper", arxiv="2101.00003"),
}


def _doc_examples(repo_root) -> list[dict[str, str]]:
    text = (repo_root / "docs" / "evidence.md").read_text(encoding="utf-8")
    section = text.split("## 5. Worked examples", 1)[1].split("\n## ", 1)[0]
    rows = [ln for ln in section.splitlines() if ln.startswith("|")]
    head = [c.strip() for c in rows[0].strip("|").split("|")]
    return [dict(zip(head, (c.strip() for c in r.strip("|").split("|")), strict=True)) for r in rows[2:]]


def test_every_worked_example_in_the_docs_is_what_the_code_computes(repo_root) -> None:
    examples = _doc_examples(repo_root)
    assert len(examples) >= 10
    for ex in examples:
        kw: dict[str, Any] = {"sources": [s.strip().lower() for s in ex["sources"].split(",")]}
        if ex["workloads"]:
            kw["workloads"] = int(ex["workloads"])
        if ex["seeds"]:
            kw["seeds"] = int(ex["seeds"])
        if ex["rate_down"]:
            kw["rate_down"] = [r.strip() for r in ex["rate_down"].split(",")]
        if ex["equal_tuning"]:
            kw["equal_tuning"] = ex["equal_tuning"] == "true"
        c = Claim.model_validate({"statement": "s", "effect": "helps", "setting": {"task": "t"},
                                  "evidence": ex["evidence"], **kw})
        g = grade_claim(c, DOC_SOURCES, introduced_by="p")
        assert (g.points, g.grade) == (int(ex["points"]), ex["grade"]), (ex["example"], g.reasons)


def test_names_are_normalised_before_comparing_authors() -> None:
    from tricks_kb.evidence import author_key, shared_authors

    assert author_key("Ilya Loshchilov") == author_key("I. Loshchilov") == "i loshchilov"
    assert author_key("Łukasz Kaiser") == author_key("Lukasz KAISER")
    assert shared_authors(DOC_SOURCES["p"], DOC_SOURCES["p2"]) == {"i loshchilov"}
    assert not shared_authors(DOC_SOURCES["p"], DOC_SOURCES["x"])
    bare = Source(title="B", authors=["Hutter"], year=2020, kind="paper", arxiv="2001.00009")
    assert shared_authors(bare, DOC_SOURCES["p"])  # only a surname: matched on the surname


def test_a_follow_up_by_the_proposers_is_not_a_replication() -> None:
    c = claim("controlled-study", sources=("p2", "x"))
    # P2 and X share no author, but P2 shares one with the introducing paper: still two groups (P+P2, X)
    g = grade_claim(c, DOC_SOURCES, introduced_by="p")
    assert g.independent and g.points == 8
    both_proposers = claim("controlled-study", sources=("p2",), rate_down=["proposer-run"])
    g2 = grade_claim(both_proposers, DOC_SOURCES, introduced_by="p")
    assert not g2.independent and any("proposers' own study" in r for r in g2.reasons)
    two_followups = Source(title="Q", authors=["Frank Hutter"], year=2020, kind="paper", arxiv="2001.00010")
    srcs = {**DOC_SOURCES, "q": two_followups}
    # P2 (Loshchilov) and Q (Hutter) share no author with each other, but both with P: one group
    g3 = grade_claim(claim("controlled-study", sources=("p2", "q")), srcs, introduced_by="p")
    assert not g3.independent and g3.points == 6


def test_show_explains_independence_and_proposer_run() -> None:
    g = grade_claim(claim("controlled-study", sources=("p", "x")), DOC_SOURCES, introduced_by="p")
    text = " ".join(g.reasons)
    assert "independent sources" in text and "p | x" in text and "independent of the proposers" in text
    lifted = grade_claim(claim("controlled-study", sources=("p",), rate_down=["proposer-run"], equal_tuning=True),
                         DOC_SOURCES, introduced_by="p")
    assert any("not applied" in r for r in lifted.reasons) and lifted.points == 6


def test_every_rate_down_reason_is_explained() -> None:
    from tricks_kb.evidence import RATE_DOWN_MEANING
    from tricks_kb.schema import RateDown

    assert set(RATE_DOWN_MEANING) == {r.value for r in RateDown}


def test_proposer_run_stacks_with_unequal_tuning_within_the_cap() -> None:
    c = claim("controlled-study", sources=("p",), rate_down=["proposer-run", "unequal-tuning", "single-task"])
    g = grade_claim(c, DOC_SOURCES, introduced_by="p")
    assert g.points == 6 - 4 and any("not counted" in r and "single-task" in r for r in g.reasons)


def test_et_al_is_not_an_author() -> None:
    from tricks_kb.evidence import shared_authors

    a = Source(title="A", authors=["Ann Alpha", "et al."], year=2020, kind="paper", arxiv="2001.00011")
    b = Source(title="B", authors=["Bob Beta", "et al."], year=2021, kind="paper", arxiv="2101.00012")
    assert not shared_authors(a, b)
