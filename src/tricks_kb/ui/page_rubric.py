"""Rubric page: the evidence-grading rubric (docs/evidence.md) rendered in the app, linked from every grade."""

from __future__ import annotations

import re

import streamlit as st

from ..settings import repo_root

RUBRIC = "docs/evidence.md"


def rubric_markdown() -> str | None:
    """docs/evidence.md with repository-relative links pointed at the repository, or None when missing."""
    path = repo_root() / RUBRIC
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    # Relative links (`../CONTRIBUTING.md`) mean nothing inside the app: keep their text, drop the target.
    return re.sub(r"\[([^\]]+)\]\((?!https?://|#)[^)]*\)", r"\1", text)


def render() -> None:
    """The rubric page: ``/rubric``."""
    st.set_page_config(page_title="Evidence grading rubric · tricks-kb")
    text = rubric_markdown()
    if text is None:
        st.title("Evidence grading")
        st.info(f"The rubric ({RUBRIC}) is not part of this installation.")
        return
    st.markdown(text)  # repository documentation, reviewed like code (not catalog text)
