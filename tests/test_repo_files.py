"""Contributor plumbing: pre-commit hooks, CI workflow and GitHub templates run and ask for the right things."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _yaml(rel: str):
    return yaml.safe_load((ROOT / rel).read_text(encoding="utf-8"))


def test_pre_commit_runs_the_ci_checks() -> None:
    hooks = {h["id"]: h for repo in _yaml(".pre-commit-config.yaml")["repos"] for h in repo["hooks"]}
    entries = " | ".join(h["entry"] for h in hooks.values())
    for needed in ("tricks-kb validate", "tricks-kb schema --check", "tricks-kb fmt --check", "ruff check"):
        assert needed in entries, needed
    for h in hooks.values():
        exe = h["entry"].split()[0]
        assert exe.startswith(".venv/bin/"), f"{h['id']} must use the project's pinned tools"
        assert h["language"] == "system"


def test_ci_workflow_runs_the_same_steps_as_ci_run_on_pull_requests() -> None:
    wf = _yaml(".github/workflows/ci.yml")
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers and "push" in triggers
    job = wf["jobs"]["test"]
    assert job["runs-on"].startswith("ubuntu")
    setup_py = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/setup-python"))
    assert setup_py["with"]["python-version"] == "3.11"
    runs = [s.get("run", "") for s in job["steps"]]
    assert any(".ci/run" in r for r in runs)
    ci_run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./dev.sh test" in ci_run
    assert wf.get("permissions") == {"contents": "read"}


def test_templates_ask_for_sources_and_the_checks() -> None:
    pr = (ROOT / ".github" / "pull_request_template.md").read_text(encoding="utf-8")
    for needed in ("add trick", "update evidence", "tricks-kb validate", "tricks-kb fmt --check", "build"):
        assert needed in pr, needed
    form = _yaml(".github/ISSUE_TEMPLATE/claim-is-wrong.yml")
    ids = {b.get("id") for b in form["body"]}
    assert {"trick", "claim", "evidence"} <= ids
    required = {b["id"] for b in form["body"] if b.get("validations", {}).get("required")}
    assert {"trick", "claim", "evidence"} <= required
