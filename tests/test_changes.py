"""tricks-kb changes: added, removed, changed entries and verdict moves from a temporary git repo."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tricks_kb.changes import ChangesError, compute_changes
from tricks_kb.cli import main


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "HOME": str(repo), "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def entry(good_text: str, trick_id: str, verdict: str = "promising", summary: str | None = None) -> str:
    text = good_text.replace("id: fixture-good", f"id: {trick_id}")
    text = text.replace("name: Fixture good trick", f"name: Trick {trick_id}")
    text = text.replace("aliases: [fixture alias]", f"aliases: [alias {trick_id}]")
    text = text.replace("verdict: promising", f"verdict: {verdict}")
    if summary:
        text = text.replace("summary: A valid entry used by the tests.", f"summary: {summary}")
    return text


@pytest.fixture
def history(tmp_path: Path, fixtures_dir: Path) -> dict:
    """A repo with three commits: v1 (alpha, beta, gamma), then edits, a removal and an addition."""
    good = (fixtures_dir / "good" / "fixture-good.yaml").read_text(encoding="utf-8")
    repo = tmp_path / "repo"
    cat = repo / "tricks"
    cat.mkdir(parents=True)
    git(repo, "init", "-q")
    for tid in ("alpha", "beta", "gamma"):
        (cat / f"{tid}.yaml").write_text(entry(good, tid), encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "v1")
    git(repo, "tag", "v1")
    # v2: alpha's summary changes and gamma is removed; then (uncommitted) beta's verdict moves, delta is added.
    (cat / "alpha.yaml").write_text(entry(good, "alpha", summary="A new summary."), encoding="utf-8")
    (cat / "gamma.yaml").unlink()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "v2")
    (cat / "beta.yaml").write_text(entry(good, "beta", verdict="folklore"), encoding="utf-8")
    (cat / "delta.yaml").write_text(entry(good, "delta"), encoding="utf-8")
    # A comment-only edit is not a change.
    (cat / "alpha.yaml").write_text("# reviewed\n" + entry(good, "alpha", summary="A new summary."), encoding="utf-8")
    return {"repo": repo, "cat": cat}


def test_added_removed_changed_and_verdict_moves(history: dict) -> None:
    found = {c.id: c for c in compute_changes(history["cat"], "v1")}
    assert set(found) == {"alpha", "beta", "gamma", "delta"}
    assert found["delta"].status == "added" and found["delta"].verdict_to == "promising"
    assert found["gamma"].status == "removed" and found["gamma"].name == "Trick gamma"
    assert found["alpha"].status == "changed" and found["alpha"].fields == ["summary"]
    assert not found["alpha"].verdict_moved
    assert found["beta"].verdict_moved and (found["beta"].verdict_from, found["beta"].verdict_to) == (
        "promising", "folklore")


def test_between_two_revisions_and_comment_only_edits(history: dict) -> None:
    found = compute_changes(history["cat"], "v1", "HEAD")
    assert [(c.status, c.id) for c in found] == [("changed", "alpha"), ("removed", "gamma")]
    # Since HEAD, alpha only gained a comment: it is not listed.
    assert "alpha" not in {c.id for c in compute_changes(history["cat"], "HEAD")}


def test_cli_text_json_and_markdown(history: dict, capsys) -> None:
    cat = str(history["cat"])
    assert main(["--catalog", cat, "changes", "--since", "v1"]) == 0
    out = capsys.readouterr().out
    assert "A delta" in out and "D gamma" in out and "verdict: promising -> folklore" in out
    assert "1 added, 2 changed, 1 removed, 1 verdict(s) moved" in out
    assert main(["--catalog", cat, "changes", "--since", "v1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {c["id"]: c["status"] for c in data["changes"]} == {
        "delta": "added", "alpha": "changed", "beta": "changed", "gamma": "removed"}
    assert [c["id"] for c in data["changes"] if c["verdict_moved"]] == ["beta"]
    assert main(["--catalog", cat, "changes", "--since", "v1", "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("## Catalog changes since v1")
    assert "### Verdicts changed" in md and "*promising* → *folklore*" in md
    assert "### Removed" in md and "`gamma`" in md


def test_bad_revision_and_no_repository_are_clear_errors(history: dict, tmp_path: Path, capsys) -> None:
    with pytest.raises(ChangesError, match="unknown revision"):
        compute_changes(history["cat"], "no-such-tag")
    assert main(["--catalog", str(history["cat"]), "changes", "--since", "no-such-tag"]) == 2
    err = capsys.readouterr().err
    assert "unknown revision 'no-such-tag'" in err and "Traceback" not in err
    lone = tmp_path / "lone"
    lone.mkdir()
    assert main(["--catalog", str(lone), "changes", "--since", "HEAD"]) == 2
    assert "not inside a git repository" in capsys.readouterr().err


def test_an_entry_that_became_invalid_is_reported(history: dict) -> None:
    (history["cat"] / "beta.yaml").write_text("id: beta\nname: [broken\n", encoding="utf-8")
    beta = next(c for c in compute_changes(history["cat"], "v1") if c.id == "beta")
    assert beta.status == "changed" and beta.fields[0].startswith("now invalid: TK001")


def test_a_verdict_move_reports_why(history: dict, capsys) -> None:
    found = {c.id: c for c in compute_changes(history["cat"], "v1")}
    assert found["beta"].why == "One strong controlled study and a supporting ablation."
    assert found["alpha"].why is None  # no move, no reason
    assert main(["--catalog", str(history["cat"]), "changes", "--since", "v1", "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "*promising* → *folklore*. Why: One strong controlled study and a supporting ablation." in md
    assert main(["--catalog", str(history["cat"]), "changes", "--since", "v1"]) == 0
    assert "    why: One strong controlled study" in capsys.readouterr().out
