"""Contribute page: how to add an entry, the annotated template, and the validation command."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from ..scaffold import ScaffoldError, stub_text
from ..settings import repo_root

EXAMPLE_ID = "my-new-trick"
STEPS = """
1. **Check it is not there already**: search for the trick and its other names on the Search page.
2. **Write a stub** from the annotated template (below):
3. **Fill in every `REPLACE`**: a summary, a recipe with typical values, and at least two claims, each with
   its setting, the kind of evidence behind it and the sources that report it. Quote arXiv ids and DOIs.
4. **Pick the verdict the evidence supports**: the validator grades each claim and refuses a verdict the
   claims cannot carry.
5. **Validate**, fix what it reports (every problem has a file, line, code and hint), then rebuild the
   search index and open a pull request.
"""


def template_text(today: dt.date | None = None) -> str:
    """The annotated template exactly as ``tricks-kb new`` writes it."""
    try:
        return stub_text(EXAMPLE_ID, "My new trick", today or dt.date.today())
    except ScaffoldError as exc:
        return f"# {exc}"


def render() -> None:
    """The contribute page."""
    st.title("Contribute a trick")
    st.markdown("Each trick is one YAML file, `tricks/<id>.yaml`, reviewed like code.")
    st.markdown(STEPS)
    st.code(f"tricks-kb new {EXAMPLE_ID}        # writes tricks/{EXAMPLE_ID}.yaml", language="bash")
    st.subheader("The annotated template")
    st.code(template_text(), language="yaml")
    st.subheader("Check your entry")
    st.code(f"tricks-kb validate tricks/{EXAMPLE_ID}.yaml   # every rule, with file:line:col and a hint\n"
            f"tricks-kb show {EXAMPLE_ID}                  # how each claim is graded\n"
            "tricks-kb build                             # refresh the search index\n"
            "./dev.sh test                               # everything CI runs", language="bash")
    guide = repo_root() / "CONTRIBUTING.md"
    if guide.is_file():
        with st.expander("CONTRIBUTING.md: every field, rule and grade explained"):
            st.markdown(guide.read_text(encoding="utf-8"))
