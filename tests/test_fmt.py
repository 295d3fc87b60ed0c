"""tricks-kb fmt: canonical order and layout, comments kept, idempotent, --check."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tricks_kb.catalog import SCHEMA_COMMENT
from tricks_kb.cli import main
from tricks_kb.fmt import FormatError, format_file, format_text
from tricks_kb.loader import load_text
from tricks_kb.schema import TOP_LEVEL_ORDER, Claim, Source

SHUFFLED = """# a head comment
name: Shuffled entry   # eol comment on name
id: shuffled
category: optimizer
summary: >-
  A folded summary
  # this hash is text inside a block scalar, not a comment
how_to: Do it.
applies_to:
    scales: [small]
    domains: [general]
# comment before claims
claims:
- sources: [a2019]
  # comment before effect
  effect: helps
  statement: It helps.
  evidence: ablation
  setting: {task: classification}
sources:
  a2019:
    year: 2019
    authors: [Ada Lovelace]
    title: A Paper
    kind: paper
    arxiv: 1603.06560
    doi: '10.1109/CVPR.2016.90'
verdict: promising
verdict_reason: An ablation.
last_reviewed: 2026-01-01
# trailing comment
"""


def test_keys_follow_the_model_order_and_identifiers_are_quoted() -> None:
    out = format_text(SHUFFLED)
    data = load_text(out, "x.yaml").data
    assert list(data) == [k for k in TOP_LEVEL_ORDER if k in data]
    assert list(data["claims"][0]) == [k for k in Claim.model_fields if k in data["claims"][0]]
    assert list(data["sources"]["a2019"]) == [k for k in Source.model_fields if k in data["sources"]["a2019"]]
    # The bare float 1603.06560 keeps its trailing zero once quoted.
    assert 'arxiv: "1603.06560"' in out and 'doi: "10.1109/CVPR.2016.90"' in out
    assert data["sources"]["a2019"]["arxiv"] == "1603.06560"
    assert out.splitlines()[0] == SCHEMA_COMMENT
    assert "\n  - statement: It helps.\n    effect: helps\n" in out.replace("    # comment before effect\n", "")


def test_comments_survive_next_to_their_keys() -> None:
    out = format_text(SHUFFLED)
    lines = out.splitlines()
    assert lines[1] == "# a head comment"
    assert "name: Shuffled entry   # eol comment on name" in lines
    assert lines[lines.index("# comment before claims") + 1] == "claims:"
    i = [ln.strip() for ln in lines].index("# comment before effect")
    assert lines[i + 1].strip() == "effect: helps"
    assert lines[-1] == "# trailing comment"
    # Folded text is re-folded at the width; a '#' inside it stays text (the data check below proves it).
    assert "A folded summary # this hash is text inside a block scalar, not a comment" in out
    # Only layout changed: the data is the same (apart from the arXiv id, now the intended text).
    before = load_text(SHUFFLED, "b").data
    before["sources"]["a2019"]["arxiv"] = "1603.06560"
    assert load_text(out, "a").data == before


def test_formatting_is_idempotent() -> None:
    once = format_text(SHUFFLED)
    assert format_text(once) == once


def test_whole_catalog_twice(tmp_path: Path, catalog_dir: Path) -> None:
    copy = tmp_path / "tricks"
    shutil.copytree(catalog_dir, copy)
    files = sorted(copy.glob("*.yaml"))
    assert len(files) >= 10
    before = {f.name: load_text(f.read_text(encoding="utf-8"), f.name).data for f in files}
    first = [format_file(f) for f in files]
    second = [format_file(f) for f in files]
    assert not [r.path.name for r in second if r.changed], "second pass changed files"
    assert all(r.text == s.text for r, s in zip(first, second, strict=True))
    for f in files:  # formatting never changes what an entry says
        assert load_text(f.read_text(encoding="utf-8"), f.name).data == before[f.name], f.name


def test_check_exits_1_when_a_file_would_change(tmp_path: Path, capsys) -> None:
    f = tmp_path / "shuffled.yaml"
    f.write_text(SHUFFLED, encoding="utf-8")
    assert main(["fmt", "--check", str(f)]) == 1
    assert f.read_text(encoding="utf-8") == SHUFFLED, "--check must not write"
    assert "would reformat" in capsys.readouterr().out
    assert main(["fmt", str(f)]) == 0
    assert f.read_text(encoding="utf-8") != SHUFFLED
    assert main(["fmt", "--check", str(f)]) == 0


def test_unsafe_yaml_is_refused_not_rewritten(tmp_path: Path, capsys) -> None:
    f = tmp_path / "dup.yaml"
    f.write_text("id: a\nid: b\n", encoding="utf-8")
    with pytest.raises(FormatError, match="TK003"):
        format_file(f)
    assert main(["fmt", str(f)]) == 2
    err = capsys.readouterr().err
    assert "TK003" in err and "Traceback" not in err
    assert f.read_text(encoding="utf-8") == "id: a\nid: b\n"


def test_missing_path_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["fmt", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_fmt_and_changes_never_import_the_model(tmp_path: Path, fixtures_dir: Path) -> None:
    import subprocess
    import sys

    f = tmp_path / "fixture-good.yaml"
    shutil.copy(fixtures_dir / "good" / "fixture-good.yaml", f)
    code = ("import sys; from tricks_kb.cli import main; main(['fmt', '--check', sys.argv[1]]); "
            "main(['changes', '--since', 'HEAD']); "
            "print('HEAVY', [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code, str(f)], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout
    assert "would reformat" in out and "HEAVY []" in out
