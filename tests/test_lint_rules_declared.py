"""A lint rule can only emit the code it declares, and every declared rule is documented."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tricks_kb.catalog import load_catalog
from tricks_kb.diagnostics import Problem
from tricks_kb.lint import CATALOG_RULES, ENTRY_RULES, Rule, RuleError, check_files, lint_catalog, run_rule

ROOT = Path(__file__).resolve().parents[1]


def test_a_rule_emitting_another_code_is_refused() -> None:
    def sloppy(*_args):
        yield Problem("x.yaml", 1, 1, "TK030", "wrong code")

    with pytest.raises(RuleError, match="declares TK023 but emitted TK030"):
        run_rule(Rule("sloppy", "TK023", "entry", "emits the wrong code", sloppy), None, None, None)


def test_every_rule_keeps_to_its_code_on_the_bad_fixtures(fixtures_dir: Path) -> None:
    cat = load_catalog([fixtures_dir / "bad"])
    problems = lint_catalog(cat, dt.date(2026, 11, 1))  # raises RuleError on a rule emitting another code
    codes = {p.code for p in problems}
    assert {"TK023", "TK030"} <= codes  # the split related rules both fire


def test_check_files_keeps_the_catalog_it_loaded(fixtures_dir: Path) -> None:
    good = fixtures_dir / "good"
    res = check_files(None, good)
    assert res.files == len(res.catalog.entries) >= 1 and res.shown == {e.path for e in res.catalog.entries}


def test_every_rule_is_documented() -> None:
    from tricks_kb.neardup import NEAR_DUPLICATE

    doc = (ROOT / "docs" / "lint.md").read_text(encoding="utf-8")
    for r in [*ENTRY_RULES, *CATALOG_RULES, NEAR_DUPLICATE]:
        assert f"Rule `{r.name}`: {r.description}" in doc, r.name
