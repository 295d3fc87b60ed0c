"""tricks-kb export: CSV parses, JSON round-trips, BibTeX keys are stable and unique."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tricks_kb.catalog import load_catalog
from tricks_kb.cli import main
from tricks_kb.export import CSV_COLUMNS, DERIVED_CLAIM_KEYS, DERIVED_TRICK_KEYS, bibtex_key, to_bibtex, to_csv, to_json
from tricks_kb.schema import Source, Trick


@pytest.fixture(scope="module")
def tricks(catalog_dir: Path) -> list[Trick]:
    found = list(load_catalog([catalog_dir]).tricks.values())
    assert len(found) >= 10
    return found


def test_csv_parses_with_one_row_per_claim(tricks: list[Trick]) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(tricks))))
    assert rows and list(rows[0]) == CSV_COLUMNS
    assert len(rows) == sum(len(t.claims) for t in tricks)
    by_id = {t.id: t for t in tricks}
    for r in rows:
        t = by_id[r["trick_id"]]
        c = t.claims[int(r["claim_index"])]
        assert r["statement"] == c.statement and r["verdict"] == t.verdict.value
        assert r["grade"] in {"A", "B", "C", "D"}
        assert r["sources"].split(";") == c.sources


def test_json_round_trips_into_the_model(tricks: list[Trick]) -> None:
    records = json.loads(to_json(tricks))
    assert [r["id"] for r in records] == sorted(t.id for t in tricks)
    by_id = {t.id: t for t in tricks}
    for r in records:
        assert r["best_grade"] in {"A", "B", "C", "D"} and all(c["grade"] for c in r["claims"])
        graded = {k: v for k, v in r.items() if k not in DERIVED_TRICK_KEYS}
        graded["claims"] = [{k: v for k, v in c.items() if k not in DERIVED_CLAIM_KEYS} for c in graded["claims"]]
        again = Trick.model_validate_json(json.dumps(graded))
        assert again == by_id[r["id"]]


def test_bibtex_keys_unique_stable_and_well_formed(tricks: list[Trick]) -> None:
    text = to_bibtex(tricks)
    keys = re.findall(r"^@\w+\{([^,]+),$", text, flags=re.M)
    assert keys and len(keys) == len(set(keys)), "duplicate BibTeX keys"
    assert all(re.fullmatch(r"[a-z]+\d{4}[a-z0-9]+", k) for k in keys), keys
    assert to_bibtex(list(reversed(tricks))) == text, "output depends on input order"
    assert text.count("{") == text.count("}")
    s = Source(title="Decoupled Weight Decay Regularization", authors=["Ilya Loshchilov", "Frank Hutter"],
               year=2019, kind="paper", arxiv="1711.05101")
    assert bibtex_key(s) == "loshchilov2019decoupled"


def test_bibtex_disambiguates_colliding_keys() -> None:
    a = Source(title="Deep Learning", authors=["Ann Smith"], year=2020, kind="paper", arxiv="2001.00001")
    b = Source(title="Deep Networks", authors=["Bob Smith"], year=2020, kind="paper", arxiv="2001.00002")
    base = Trick.model_validate({
        "id": "x-trick", "name": "X", "category": "optimizer", "summary": "s", "how_to": "h",
        "applies_to": {"domains": ["general"]}, "verdict": "folklore", "verdict_reason": "r",
        "last_reviewed": "2026-01-01",
        "claims": [{"statement": "c", "effect": "helps", "setting": {"task": "t"}, "evidence": "anecdote",
                    "sources": ["a", "b"]}],
        "sources": {"a": a.model_dump(), "b": b.model_dump()},
    })
    keys = re.findall(r"^@\w+\{([^,]+),$", to_bibtex([base]), flags=re.M)
    assert keys == ["smith2020deep", "smith2020deepb"]  # the second of a clash gets "b", a third "c"


def test_cli_writes_each_format(tmp_path: Path, catalog_dir: Path, capsys) -> None:
    for fmt, check in (("json", lambda t: json.loads(t)), ("csv", lambda t: next(csv.reader(io.StringIO(t)))),
                       ("bibtex", lambda t: t.index("@"))):
        out = tmp_path / f"catalog.{fmt}"
        assert main(["--catalog", str(catalog_dir), "export", "--format", fmt, "-o", str(out)]) == 0
        check(out.read_text(encoding="utf-8"))
    assert "wrote" in capsys.readouterr().err


def test_exports_carry_the_origin(tricks: list[Trick]) -> None:
    by_id = {r["id"]: r for r in json.loads(to_json(tricks))}
    kd = by_id["knowledge-distillation"]
    assert kd["introduced_by"] == "hinton2015" and kd["introduced_by_source"]["arxiv"] == "1503.02531"
    assert "origin" in by_id["check-initial-loss"] and "introduced_by_source" not in by_id["check-initial-loss"]
    assert all(isinstance(c["independent"], bool) for c in kd["claims"])
    rows = list(csv.DictReader(io.StringIO(to_csv(tricks))))
    assert {r["introduced_by"] for r in rows if r["trick_id"] == "knowledge-distillation"} == {"hinton2015"}
    assert all(r["introduced_by"].startswith("origin: ") for r in rows if r["trick_id"] == "check-initial-loss")
