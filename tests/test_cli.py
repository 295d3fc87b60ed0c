"""CLI commands that work without the model: show, stats, schema; never importing torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tricks_kb.cli import main

GOOD = Path(__file__).parent / "fixtures" / "good"


def test_show_prints_grades_and_reasoning(capsys: pytest.CaptureFixture) -> None:
    assert main(["--catalog", str(GOOD), "show", "fixture-good"]) == 0
    out = capsys.readouterr().out
    assert "grade A (high) - controlled-study" in out
    assert "grading: starts at 6 for controlled-study; +2: replicated by 2 independent sources" in out
    assert "verdicts the evidence supports: promising" in out
    assert "arXiv:1711.05101" in out


def test_show_finds_by_alias_and_suggests_on_typo(capsys: pytest.CaptureFixture) -> None:
    assert main(["--catalog", str(GOOD), "show", "Fixture Alias"]) == 0
    assert "[fixture-good]" in capsys.readouterr().out
    assert main(["--catalog", str(GOOD), "show", "fixture-goo"]) == 1
    assert "did you mean: fixture-good" in capsys.readouterr().err


def test_show_json_has_grades(capsys: pytest.CaptureFixture) -> None:
    assert main(["--catalog", str(GOOD), "show", "fixture-good", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["grade"] for c in data["claims"]] == ["A", "C"] and data["best_grade"] == "A"


def test_stats_counts(capsys: pytest.CaptureFixture) -> None:
    assert main(["--catalog", str(GOOD), "stats", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["tricks"] == 1 and s["claims"] == 2 and s["sources"] == 2
    assert s["verdict"]["promising"] == 1 and s["category"]["optimizer"] == 1
    assert s["best_grade"] == {"A": 1, "B": 0, "C": 0, "D": 0}
    assert main(["--catalog", str(GOOD), "stats"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("1 tricks, 2 claims, 2 distinct sources")


def test_real_catalog_stats_cover_every_category_and_verdict(capsys: pytest.CaptureFixture) -> None:
    assert main(["stats", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["tricks"] >= 120
    assert all(n > 0 for n in s["category"].values()), s["category"]
    assert all(n > 0 for n in s["verdict"].values()), s["verdict"]


def test_schema_check_passes_on_the_committed_file(capsys: pytest.CaptureFixture) -> None:
    assert main(["schema", "--check"]) == 0


def test_no_command_prints_help(capsys: pytest.CaptureFixture) -> None:
    assert main([]) == 2
    assert "validate" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["validate"], ["show", "adamw"], ["stats"], ["export", "--format", "bibtex"],
                                  ["schema"]])
def test_light_commands_never_import_torch(argv: list[str]) -> None:
    code = (
        "import sys; from tricks_kb.cli import main; import io, contextlib;\n"
        "buf = io.StringIO()\n"
        f"with contextlib.redirect_stdout(buf): main({argv!r})\n"
        "print([m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_show_names_the_origin_and_who_ran_each_study(catalog_dir, capsys: pytest.CaptureFixture) -> None:
    assert main(["--catalog", str(catalog_dir), "show", "knowledge-distillation"]) == 0
    out = capsys.readouterr().out
    assert "introduced by: Hinton et al. (2015). Distilling the Knowledge in a Neural Network" in out
    assert "proposers' own study: hinton2015 (the introducing source)" in out
    # Müller et al. shares an author (Hinton) with the introducing paper: the name is matched after normalising
    assert "muller2019 (shares an author with it)" in out
    assert "independent of the proposers: beyer2022 has no author in common with 'hinton2015'" in out
    assert "rated down for single-task (one task), proposer-run (run by the method's own proposers)" in out
