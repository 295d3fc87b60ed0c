"""tricks-kb export: CSV parses, JSON round-trips, BibTeX parses (pybtex) with the right entry types and keys."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tricks_kb.catalog import load_catalog
from tricks_kb.cli import main
from tricks_kb.export import (
    CSV_COLUMNS,
    DERIVED_CLAIM_KEYS,
    DERIVED_TRICK_KEYS,
    bibtex_key,
    source_bibtex,
    to_bibtex,
    to_csv,
    to_json,
    trick_bibtex,
)
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
    assert {int(r["claim_number"]) for r in rows if r["trick_id"] == rows[0]["trick_id"]} == set(
        range(1, len(next(t for t in tricks if t.id == rows[0]["trick_id"]).claims) + 1))
    by_id = {t.id: t for t in tricks}
    for r in rows:
        t = by_id[r["trick_id"]]
        c = t.claims[int(r["claim_number"]) - 1]  # claims count from 1 everywhere
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


def _parse_bibtex(text: str):
    from pybtex.database import parse_string

    return parse_string(text, "bibtex")  # raises on a syntax error or a duplicate key


def test_bibtex_keys_unique_stable_and_parse(tricks: list[Trick]) -> None:
    text = to_bibtex(tricks)
    keys = re.findall(r"^@\w+\{([^,]+),$", text, flags=re.M)
    assert keys and len(keys) == len(set(keys)), "duplicate BibTeX keys"
    assert to_bibtex(list(reversed(tricks))) == text, "output depends on input order"
    db = _parse_bibtex(text)
    assert list(db.entries) == keys
    source_keys = {k for t in tricks for k in t.sources}
    assert all(k in source_keys or k[:-1] in source_keys for k in keys), "keys are the catalog's own source keys"
    s = Source(title="Decoupled Weight Decay Regularization", authors=["Ilya Loshchilov", "Frank Hutter"],
               year=2019, kind="paper", arxiv="1711.05101")
    assert bibtex_key(s) == "loshchilov2019decoupled"  # the fallback for a source without a key


@pytest.mark.parametrize("venue, kind, field, value", [
    ("ICLR", "inproceedings", "booktitle", "International Conference on Learning Representations (ICLR)"),
    ("ICML (PMLR 97)", "inproceedings", "booktitle", "Proceedings of the International Conference on Machine "
                                                      "Learning (ICML)"),
    ("NeurIPS (also CVPR Workshops)", "inproceedings", "booktitle", "Advances in Neural Information Processing "
                                                                    "Systems (NeurIPS)"),
    ("ICLR Workshop", "inproceedings", "booktitle", "ICLR Workshop"),
    ("Journal of Machine Learning Research", "article", "journal", "Journal of Machine Learning Research"),
    ("TMLR", "article", "journal", "Transactions on Machine Learning Research"),
    ("Findings of EMNLP", "inproceedings", "booktitle", "Findings of EMNLP"),
    ("arXiv", "misc", "howpublished", "arXiv preprint"),
    ("arXiv preprint", "misc", "howpublished", "arXiv preprint"),
    ("arXiv (technical report)", "misc", "howpublished", "arXiv preprint"),
    ("Neural Networks: Tricks of the Trade (2nd ed.), LNCS 7700", "incollection", "booktitle",
     "Neural Networks: Tricks of the Trade (2nd ed.), LNCS 7700"),
])
def test_bibtex_entry_type_follows_the_venue(venue: str, kind: str, field: str, value: str) -> None:
    s = Source(title="A Study", authors=["Ann Smith", "Bob Jones"], year=2020, venue=venue, kind="paper",
               arxiv="2001.00001")
    entry = _parse_bibtex(source_bibtex(s, "smith2020")).entries["smith2020"]
    assert entry.type == kind
    assert entry.fields[field] == value
    assert "journal" not in entry.fields or kind == "article"
    assert entry.fields["eprint"] == "2001.00001" and [str(p) for p in entry.persons["author"]] == [
        "Smith, Ann", "Jones, Bob"]


@pytest.mark.parametrize("which", ["fixture", "repository"])
def test_catalog_bibtex_is_paper_ready(tricks: list[Trick], which: str) -> None:
    if which == "repository":
        from tricks_kb.settings import repo_root

        tricks = list(load_catalog([repo_root() / "tricks"]).tricks.values())
    db = _parse_bibtex(to_bibtex(tricks))
    for key, e in db.entries.items():
        venue = e.fields.get("journal", "") + e.fields.get("booktitle", "")
        assert not re.match(r"(ICLR|ICML|NeurIPS|NIPS|CVPR|ICCV|ECCV|EMNLP|ACL|AAAI)\b", e.fields.get("journal", "")), key
        assert "arxiv" not in venue.lower(), f"{key}: a preprint is not a journal or proceedings"
        if "arxiv" in e.fields.get("howpublished", "").lower():
            assert e.fields["howpublished"] == "arXiv preprint", key  # one spelling
    assert sum(e.type == "inproceedings" for e in db.entries.values()) >= 3


def test_trick_bibtex_uses_the_source_keys_of_the_entry(tricks: list[Trick]) -> None:
    for t in tricks:
        db = _parse_bibtex(trick_bibtex(t))
        assert list(db.entries) == list(t.sources), t.id


def test_bibtex_disambiguates_colliding_keys() -> None:
    a = Source(title="Deep Learning", authors=["Ann Smith"], year=2020, kind="paper", arxiv="2001.00001")
    b = Source(title="Deep Networks", authors=["Bob Smith"], year=2020, kind="paper", arxiv="2001.00002")

    def entry(tid: str, src: Source) -> Trick:
        return Trick.model_validate({
            "id": tid, "name": "X", "category": "optimizer", "summary": "s", "how_to": "h",
            "applies_to": {"domains": ["general"]}, "verdict": "folklore", "verdict_reason": "r",
            "last_reviewed": "2026-01-01",
            "claims": [{"statement": "c", "effect": "helps", "setting": {"task": "t"}, "evidence": "anecdote",
                        "sources": ["smith2020"]}],
            "sources": {"smith2020": src.model_dump()},
        })

    text = to_bibtex([entry("x-trick", a), entry("y-trick", b), entry("z-trick", a)])
    keys = re.findall(r"^@\w+\{([^,]+),$", text, flags=re.M)
    assert keys == ["smith2020", "smith2020b"]  # the same source once; another source with that key gets "b"
    assert "2001.00001" in text.split("@misc{smith2020b")[0]  # the first entry by id keeps the key


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


@pytest.mark.parametrize(("venue", "kind", "field"), [
    ("ICASSP", "inproceedings", "Acoustics, Speech and Signal Processing"),
    ("Interspeech", "inproceedings", "Interspeech"),
    ("EMNLP-IJCNLP", "inproceedings", "Empirical Methods"),
    ("NAACL 2021", "inproceedings", "North American Chapter"),
    ("MICCAI (Lecture Notes in Computer Science)", "inproceedings", "Medical Image Computing"),
    ("USENIX ATC 2021", "inproceedings", "USENIX ATC 2021"),
    ("Conference on Lifelong Learning Agents (PMLR 330)", "inproceedings", "Lifelong Learning Agents"),
    ("Patterns 4(9):100804, 2023", "article", "Patterns"),
    ("Ecography 40(8)", "article", "Ecography"),
    ("Scientific Reports 11, 22544", "article", "Scientific Reports"),
    ("Nature Methods", "article", "Nature Methods"),
    ("IEEE TPAMI (2022)", "article", "TPAMI"),
    ("Transformer Circuits Thread", "misc", "Transformer Circuits Thread"),
    ("technical report", "misc", "technical report"),
])
def test_journals_and_proceedings_beyond_the_big_conferences(venue: str, kind: str, field: str) -> None:
    from tricks_kb.export import bibtex_type

    src = Source(title="T", authors=["Ann Smith"], year=2021, kind="paper", venue=venue, url="https://example.org/t")
    got_kind, _, text = bibtex_type(src)
    assert got_kind == kind and field in (text or ""), (got_kind, text)
