"""tricks-kb new: the stub validates, and existing ids, names or aliases are refused."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tricks_kb.catalog import load_entry
from tricks_kb.cli import main
from tricks_kb.diagnostics import Severity
from tricks_kb.lint import validate
from tricks_kb.scaffold import ScaffoldError, new_entry


@pytest.fixture
def catalog(tmp_path: Path, fixtures_dir: Path) -> Path:
    cat = tmp_path / "tricks"
    cat.mkdir()
    shutil.copy(fixtures_dir / "good" / "fixture-good.yaml", cat / "fixture-good.yaml")
    return cat


def test_stub_validates_without_errors(catalog: Path) -> None:
    path = new_entry("gradient-noise", catalog, today=dt.date(2026, 1, 2))
    assert path == catalog / "gradient-noise.yaml"
    entry = load_entry(path)
    assert entry.problems == [] and entry.trick is not None
    assert entry.trick.id == "gradient-noise" and entry.trick.last_reviewed == dt.date(2026, 1, 2)
    problems, n = validate([path], catalog, today=dt.date(2026, 1, 2))
    assert n == 1
    assert [p.format() for p in problems if p.severity is Severity.error] == []
    assert "REPLACE" in path.read_text(encoding="utf-8")


def test_cli_new_writes_a_stub(catalog: Path, capsys) -> None:
    assert main(["--catalog", str(catalog), "new", "loss-scaling"]) == 0
    assert (catalog / "loss-scaling.yaml").is_file()
    assert "fill in every REPLACE" in capsys.readouterr().out


@pytest.mark.parametrize(("trick_id", "why"), [
    ("fixture-good", "already exists"),         # existing id (file)
    ("fixture-alias", "already covered"),       # an alias of fixture-good
    ("fixture-good-trick", "already covered"),  # its display name, kebab-cased
    ("Not_Kebab", "not a kebab-case id"),
    ("x", "not a kebab-case id"),
])
def test_refuses_taken_or_malformed_ids(catalog: Path, trick_id: str, why: str, capsys) -> None:
    before = sorted(p.name for p in catalog.iterdir())
    with pytest.raises(ScaffoldError, match=why):
        new_entry(trick_id, catalog)
    assert main(["--catalog", str(catalog), "new", trick_id]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert sorted(p.name for p in catalog.iterdir()) == before


def test_stub_is_the_annotated_template_in_contributing(catalog: Path, repo_root: Path) -> None:
    import re

    from tricks_kb.catalog import SCHEMA_COMMENT

    guide = (repo_root / "CONTRIBUTING.md").read_text(encoding="utf-8")
    block = re.search(r"^## Annotated template\n.*?^```yaml\n(.*?)^```", guide, flags=re.M | re.S).group(1)
    path = new_entry("gradient-noise", catalog, today=dt.date(2026, 1, 2))
    want = (block.replace("{id}", "gradient-noise").replace("{name}", "Gradient noise")
            .replace("{year}", "2026").replace("{today}", "2026-01-02"))
    written = path.read_text(encoding="utf-8")
    assert written == want and written.splitlines()[0] == SCHEMA_COMMENT
    assert "{" + "id}" not in written and "id: gradient-noise" in written


def test_missing_template_is_a_clear_error(tmp_path: Path) -> None:
    from tricks_kb.scaffold import template

    (tmp_path / "CONTRIBUTING.md").write_text("# no template here\n", encoding="utf-8")
    with pytest.raises(ScaffoldError, match="no YAML block under '## Annotated template'"):
        template(tmp_path / "CONTRIBUTING.md")
