"""Near-duplicate guard (TK101): lexical always, embedding from a fresh index; advisory only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tricks_kb.catalog import load_catalog
from tricks_kb.cli import main
from tricks_kb.neardup import (
    EMBEDDING_THRESHOLD,
    TOKEN_OVERLAP_THRESHOLD,
    changed_files,
    lexical_score,
    near_duplicates,
)


def make_entry(good: str, trick_id: str, name: str, aliases: list[str], summary: str | None = None,
               how_to: str | None = None) -> str:
    text = good.replace("id: fixture-good", f"id: {trick_id}").replace("name: Fixture good trick", f"name: {name}")
    text = text.replace("aliases: [fixture alias]", f"aliases: [{', '.join(aliases)}]")
    if summary:
        text = text.replace("summary: A valid entry used by the tests.", f"summary: {json.dumps(summary)}")
    if how_to:
        text = text.replace("how_to: Nothing to do; it only exists to be valid.", f"how_to: {json.dumps(how_to)}")
    return text


def git(repo: Path, *args: str) -> None:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "HOME": str(repo), "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


@pytest.fixture
def good(fixtures_dir: Path) -> str:
    return (fixtures_dir / "good" / "fixture-good.yaml").read_text(encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path, good: str) -> Path:
    """A git repo whose committed catalog holds one entry, 'learning-rate-warmup'."""
    cat = tmp_path / "tricks"
    cat.mkdir()
    (cat / "learning-rate-warmup.yaml").write_text(
        make_entry(good, "learning-rate-warmup", "Learning-rate warmup", ["LR warm-up"]), encoding="utf-8")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def run_validate(cat: Path, capsys, *extra: str) -> tuple[int, dict]:
    code = main(["--catalog", str(cat), "validate", "--format", "json", *extra])
    return code, json.loads(capsys.readouterr().out)


def test_lexical_scores() -> None:
    assert lexical_score("warm-up", "Warmup") == (1.0, "spelling")
    assert lexical_score("decoupled weight decay", "weight decay, decoupled")[0] == 1.0
    assert lexical_score("learning rate warmups", "warmup of the learning rate")[0] >= TOKEN_OVERLAP_THRESHOLD
    # Distinct tricks measured on the real catalog stay below the threshold.
    assert lexical_score("LR proportional to batch size", "LR proportional to sqrt(batch size)")[0] < TOKEN_OVERLAP_THRESHOLD
    assert lexical_score("Adam", "RAdam")[0] < TOKEN_OVERLAP_THRESHOLD


def test_new_entry_with_overlapping_aliases_warns_but_validate_passes(repo: Path, good: str, capsys) -> None:
    cat = repo / "tricks"
    (cat / "warmup.yaml").write_text(make_entry(good, "warmup", "Warmup of the learning rate", ["LR warmup"]),
                                     encoding="utf-8")
    code, report = run_validate(cat, capsys)
    tk101 = [p for p in report["problems"] if p["code"] == "TK101"]
    assert code == 0, "a warning must never fail validate"
    assert len(tk101) == 1 and tk101[0]["path"].endswith("warmup.yaml")
    assert "'learning-rate-warmup'" in tk101[0]["message"] and tk101[0]["severity"] == "warning"
    assert tk101[0]["line"] == 3  # points at `name:`
    # --no-warnings hides it, as ./dev.sh test runs validate.
    assert main(["--catalog", str(cat), "validate", "--no-warnings"]) == 0
    assert "TK101" not in capsys.readouterr().out


def test_only_new_or_changed_entries_are_checked(repo: Path, good: str, capsys) -> None:
    cat = repo / "tricks"
    (cat / "warmup.yaml").write_text(make_entry(good, "warmup", "Warm-up", ["LR warmup"]), encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "add warmup")
    # Both committed and unchanged since HEAD: nothing to say.
    assert changed_files(cat) == set()
    _, report = run_validate(cat, capsys)
    assert not [p for p in report["problems"] if p["code"] == "TK101"]
    # Against the first commit, warmup.yaml is new.
    _, report = run_validate(cat, capsys, "--since", "HEAD~1")
    assert [Path(p["path"]).name for p in report["problems"] if p["code"] == "TK101"] == ["warmup.yaml"]
    code = main(["--catalog", str(cat), "validate", "--since", "no-such-rev"])
    assert code == 2 and "unknown revision" in capsys.readouterr().err


def test_outside_git_every_entry_is_compared(tmp_path: Path, good: str, capsys) -> None:
    cat = tmp_path / "plain" / "tricks"
    cat.mkdir(parents=True)
    (cat / "label-smoothing.yaml").write_text(make_entry(good, "label-smoothing", "Label smoothing", ["soft targets"]),
                                              encoding="utf-8")
    (cat / "smoothing-labels.yaml").write_text(make_entry(good, "smoothing-labels", "Smoothing of labels", ["LS"]),
                                               encoding="utf-8")
    (cat / "dropout.yaml").write_text(make_entry(good, "dropout", "Dropout", ["random unit dropping"]),
                                      encoding="utf-8")
    assert changed_files(cat) is None
    _, report = run_validate(cat, capsys)
    flagged = sorted(Path(p["path"]).name for p in report["problems"] if p["code"] == "TK101")
    assert flagged == ["label-smoothing.yaml", "smoothing-labels.yaml"]


def test_a_related_link_acknowledges_the_other_entry(repo: Path, good: str) -> None:
    cat = repo / "tricks"
    text = make_entry(good, "warmup", "Warmup of the learning rate", ["LR warmup"])
    text = text.replace("related: []", "related:\n  - {id: learning-rate-warmup, type: alternative-to}")
    (cat / "warmup.yaml").write_text(text, encoding="utf-8")
    catalog = load_catalog([cat])
    assert near_duplicates(catalog.entries, changed_files(cat)) == []


def test_validate_imports_neither_torch_nor_the_model(repo: Path, good: str) -> None:
    cat = repo / "tricks"
    (cat / "warmup.yaml").write_text(make_entry(good, "warmup", "LR warmup", ["x"]), encoding="utf-8")
    code = ("import sys; from tricks_kb.cli import main; main(['--catalog', sys.argv[1], 'validate']); "
            "bad = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]; "
            "print('HEAVY', bad)")
    out = subprocess.run([sys.executable, "-c", code, str(cat)], capture_output=True, text=True, check=True).stdout
    assert "TK101" in out and "HEAVY []" in out


@pytest.mark.slow
def test_embedding_similarity_from_a_fresh_index(tmp_path: Path, good: str, capsys, monkeypatch) -> None:
    """Two entries with different names but the same text are caught only through the index vectors."""
    from tricks_kb.build import build

    cat = tmp_path / "tricks"
    cat.mkdir()
    summary = ("Replace the one-hot training targets with a mixture of the one-hot vector and the uniform "
               "distribution over classes, which discourages over-confident logits. It usually improves top-1 "
               "accuracy and calibration of image classifiers slightly, but it erases information that "
               "knowledge distillation relies on.")
    how_to = ("Use a smoothing weight of 0.1 in the cross-entropy loss for ImageNet classifiers and for "
              "machine-translation transformers: nn.CrossEntropyLoss(label_smoothing=0.1). Avoid it for a model "
              "that will be a distillation teacher, and report calibration separately.")
    (cat / "label-smoothing.yaml").write_text(
        make_entry(good, "label-smoothing", "Label smoothing", ["soft targets"], summary, how_to), encoding="utf-8")
    (cat / "target-softening.yaml").write_text(
        make_entry(good, "target-softening", "Target softening", ["uniform target mixing"], summary, how_to),
        encoding="utf-8")
    (cat / "gradient-clipping.yaml").write_text(make_entry(
        good, "gradient-clipping", "Gradient clipping", ["clip grad norm"],
        "Rescale the gradient when its global norm exceeds a threshold, to avoid loss spikes.",
        "Clip the global gradient norm at 1.0 with torch.nn.utils.clip_grad_norm_."), encoding="utf-8")
    # Lexically these names share nothing: without an index there is no warning.
    code, report = run_validate(cat, capsys)
    assert code == 0 and report["errors"] == 0
    assert not [p for p in report["problems"] if p["code"] == "TK101"]
    index_dir = tmp_path / "index"
    build(load_catalog([cat]).tricks, index_dir)
    monkeypatch.setenv("TRICKS_KB_INDEX", str(index_dir))
    _, report = run_validate(cat, capsys)
    tk101 = {Path(p["path"]).name: p["message"] for p in report["problems"] if p["code"] == "TK101"}
    assert set(tk101) == {"label-smoothing.yaml", "target-softening.yaml"}
    assert "embedding similarity" in tk101["label-smoothing.yaml"]
    sim = float(tk101["label-smoothing.yaml"].rsplit(" ", 1)[-1])
    assert sim >= EMBEDDING_THRESHOLD
    # Once an entry changes, its indexed vector is stale and is no longer used.
    (cat / "target-softening.yaml").write_text(
        make_entry(good, "target-softening", "Target softening", ["uniform target mixing"], summary + " Edited.",
                   how_to), encoding="utf-8")
    _, report = run_validate(cat, capsys)
    assert not [p for p in report["problems"] if p["code"] == "TK101"]
