"""Every repository file path named by the code, the `tricks-kb new` stub, README and CONTRIBUTING exists."""

from __future__ import annotations

import re
from pathlib import Path

from tricks_kb.scaffold import template

ROOT = Path(__file__).resolve().parents[1]
# Paths into the project's own folders (catalog files like tricks/<id>.yaml are the user's, not ours).
PATH = re.compile(r"(?<![\w/.-])((?:docs|src|tests|bench|schema|\.streamlit|\.github|\.ci)/[\w./-]*[\w/]"
                  r"|(?:README|CONTRIBUTING)\.md)")


def _named(text: str) -> set[str]:
    return {m.rstrip("./") for m in PATH.findall(text)}


def _sources() -> dict[str, str]:
    out = {"annotated template": template(), "README.md": (ROOT / "README.md").read_text(encoding="utf-8"),
           "CONTRIBUTING.md": (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")}
    for f in sorted((ROOT / "src").rglob("*.py")):
        out[str(f.relative_to(ROOT))] = f.read_text(encoding="utf-8")
    return out


def test_every_named_path_exists() -> None:
    missing = sorted(f"{where}: {p}" for where, text in _sources().items() for p in _named(text)
                     if not (ROOT / p).exists())
    assert missing == []


def test_the_check_sees_paths() -> None:
    # The scanner must find what the stub and README name, or the test above proves nothing.
    assert "docs/cli.md" in _named("see docs/cli.md, then") and "CONTRIBUTING.md" in _named("CONTRIBUTING.md")
    assert {"docs/cli.md", "docs/lint.md"} <= _named(_sources()["README.md"])
    assert "docs/entry-format.md" in _named("see docs/entry-format.md.")
